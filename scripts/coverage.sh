#!/usr/bin/env bash
# scripts/coverage.sh: coverage of the scenario library, and the check that holds it
# (make coverage, after the gcov build into build-cov/).
#
#   1. every scenarios/*.lua with seeds 1..COVERAGE_SEEDS (default 2), run by the
#      instrumented build-cov/bin/outbox-sim into reports/coverage/runs/; the nodes
#      write their counts before every reply (node/coverage.h), so what a SIGKILLed
#      node executed is counted too;
#   2. lib/ coverage of those runs alone (the number the check holds);
#   3. the unit tests, then the HTML report of everything: reports/coverage/index.html;
#   4. reports/coverage/summary.txt (+ .json): line and branch coverage of lib/, each
#      failpoint: reached, crashed at, and whether the runs that crashed there still
#      converged (from the runs' summary.json), and each OX_ERR_DB path of lib/: reached
#      by the scenarios, or argued unreachable (scripts/coverage_summary.py).
# The check: lib/ line coverage from the scenarios >= COVERAGE_MIN (default 90) percent,
# every failpoint `outbox-sim failpoints` lists crashed at by at least one run, and every
# OX_ERR_DB path reached (or argued unreachable, and not reached).
# Exit 0 held, 1 not held (what is missing is printed), 3 could not measure.
set -u
cd "$(dirname "$0")/.." || exit 3
seeds=${COVERAGE_SEEDS:-2}
min=${COVERAGE_MIN:-90}
jobs=${COVERAGE_JOBS:-$(nproc 2>/dev/null || echo 1)}
out=reports/coverage
sim=build-cov/bin/outbox-sim

die() { echo "coverage: $*" >&2; exit 3; }

# gcovr (Debian package gcovr) reads the counts; install it as root, as deps.sh does.
need_gcovr() {
  command -v gcovr >/dev/null && return 0
  local cmd="apt-get update && apt-get install -y --no-install-recommends gcovr"
  [ "$(id -u)" = 0 ] || die "gcovr is missing; run as root:  $cmd"
  echo "coverage: installing gcovr" >&2
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcovr; } \
    >/tmp/outbox-lab-apt.log 2>&1 || die "apt-get failed; see /tmp/outbox-lab-apt.log"
}

# gcovr over build-cov/; extra arguments pick the files and the outputs.
measure() { gcovr --root . --object-directory build-cov --gcov-ignore-parse-errors "$@" >/dev/null; }

[ -x "$sim" ] || die "$sim is not built (make coverage builds it)"
need_gcovr
start=$SECONDS
find build-cov -name '*.gcda' -delete
rm -rf "$out"
mkdir -p "$out/runs"

# 1. The scenario library, COVERAGE_JOBS runs at a time (libgcov locks each .gcda file).
#    Each scenario with its own design under every seed, then once (seed 1) under every
#    other design: the weak designs are library code too, and the library under every
#    design is what `make matrix` runs.  Runs go to runs/ (own design) or runs-<design>/.
designs=$("$sim" run --design '?' scenarios/clean.lua 2>&1 | sed -n 's/.*designs: \(.*\))$/\1/p' | tr -d ',')
[ -n "$designs" ] || die "cannot list the designs"
for s in scenarios/*.lua; do
  for seed in $(seq 1 "$seeds"); do echo "$s $seed -"; done
  for d in $designs; do echo "$s 1 $d"; done
done | xargs -P "$jobs" -L 1 sh -c \
  'if [ "$2" = - ]; then set -- "$0" "$1" runs; else set -- "$0" "$1" "runs-$2" --design "$2"; fi
   timeout -k 5 600 '"$sim"' run "$1" --seed "$2" --out '"$out"'/"$3" --quiet ${4:+"$4"} ${5:+"$5"} >/dev/null 2>&1;
   [ "$3" = runs ] && echo "$1 $2 $?" >>'"$out"'/runs.txt; true'
[ -s "$out/runs.txt" ] || die "no scenario ran"
sort -o "$out/runs.txt" "$out/runs.txt"
echo "coverage: $(wc -l <"$out/runs.txt") scenario runs in $((SECONDS - start)) s"

# 2. lib/ from the scenarios alone.
measure --filter 'lib/' --json-summary "$out/lib-scenarios.json" --txt "$out/lib-scenarios.txt" ||
  die "gcovr failed on the scenario runs"
measure --filter 'lib/' --branches --txt "$out/lib-scenarios-branches.txt" || die "gcovr failed"
measure --filter 'lib/' --json "$out/lib-scenarios-lines.json" || die "gcovr failed"   # per line

# 3. The unit tests on top, then the report of all the code (not the tests' own).
for t in build-cov/tests/test_*; do
  [ -x "$t" ] && { OUTBOX_BIN=build-cov/bin "$t" >/dev/null 2>&1 || echo "coverage: note: $t failed" >&2; }
done
measure --filter 'lib/' --json-summary "$out/lib-all.json" || die "gcovr failed"
measure --exclude 'tests/' --exclude 'fuzz/' --exclude 'bench/' \
  --html-details "$out/index.html" --html-title "outbox-lab coverage" \
  --json-summary "$out/all.json" --txt "$out/all.txt" || die "gcovr failed on the report"

# 4. The summary and the check.
"$sim" failpoints >"$out/failpoints.list" || die "$sim failpoints failed"
python3 scripts/coverage_summary.py "$out" "$min"
rc=$?
echo "coverage: report $out/index.html; summary $out/summary.txt ($((SECONDS - start)) s)"
exit $rc
