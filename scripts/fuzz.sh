#!/usr/bin/env bash
# scripts/fuzz.sh TARGET...: runs libFuzzer targets (make fuzz; built into build-fuzz/).
#
# Each target build-fuzz/fuzz/fuzz_TARGET (fuzz/oracles.h says what it checks) runs for
# FUZZ_SECONDS (default 60), FUZZ_JOBS targets at a time (default: one per core), on
#   build-fuzz/work/corpus/TARGET   its working corpus, kept between sessions
#   fuzz/corpus/TARGET              the seeds kept in git (read only here)
#   build-fuzz/work/seeds/TARGET    seeds made now by the current encoders (MKSEEDS)
# with fuzz/TARGET.dict as its dictionary when there is one.  Every crash, leak, timeout
# or out-of-memory it finds is minimized (FUZZ_MINIMIZE_SECONDS, default 30) and copied
# into tests/fuzz-regressions/TARGET/, named after its kind and content, where `make
# test` replays it (tests/unit/sim/test_fuzz_regressions.c).  A target whose past crashes
# do not all pass yet is skipped (it would find them again).  One line per target says
# what it did.  Exit 0 nothing found, 1 something found (listed), 2 bad usage, 3 no fuzzer.
set -u
cd "$(dirname "$0")/.." || exit 3
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
min_secs=${FUZZ_MINIMIZE_SECONDS:-30}
mkseeds=${MKSEEDS:-build/fuzz/mkseeds}
work=build-fuzz/work
[ $# -gt 0 ] || { echo "usage: scripts/fuzz.sh TARGET..." >&2; exit 2; }
case "$secs" in ''|*[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a whole number, got '$secs'" >&2; exit 2 ;; esac
for t in "$@"; do
  [ -x "build-fuzz/fuzz/fuzz_$t" ] || { echo "fuzz: build-fuzz/fuzz/fuzz_$t is not built (make fuzz)" >&2; exit 3; }
done

mkdir -p "$work"
rm -rf "$work/seeds"
if [ -x "$mkseeds" ]; then "$mkseeds" "$work/seeds" || exit 3; fi

# The scenario oracle writes /dev/shm/outbox-fuzz-<pid>.lua; a fuzzer that died left its.
clean_shm() {
  local f pid
  for f in /dev/shm/outbox-fuzz-*.lua; do
    [ -e "$f" ] || continue
    pid=${f##*-}; pid=${pid%.lua}
    kill -0 "$pid" 2>/dev/null || rm -f "$f"
  done
}

# fuzz_one TARGET: one session; writes $work/TARGET.log and $work/TARGET.result.
fuzz_one() {
  local t=$1 bin="build-fuzz/fuzz/fuzz_$1" dict=() dirs=()
  local arts="$work/artifacts/$t"
  rm -rf "$arts"; mkdir -p "$arts" "$work/corpus/$t"
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  dirs=("$work/corpus/$t")
  [ -d "fuzz/corpus/$t" ] && dirs+=("fuzz/corpus/$t")
  [ -d "$work/seeds/$t" ] && dirs+=("$work/seeds/$t")
  # The scenario library itself seeds the loader (read-only), rather than copies of it.
  [ "$t" = scenario ] && dirs+=("scenarios")
  # A known crash that is not fixed yet would only be found again: say so instead.
  local known
  for known in "tests/fuzz-regressions/$t"/*; do
    [ -f "$known" ] || continue
    if ! "$bin" "$known" >"$work/$t.known.log" 2>&1; then
      echo "fuzz $t: skipped: $known still fails; fix it first ($work/$t.known.log)" >"$work/$t.result"
      return
    fi
  done
  local t0=$SECONDS
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$arts/" "${dict[@]}" "${dirs[@]}" >"$work/$t.log" 2>&1
  local rc=$? took=$((SECONDS - t0)) runs eps cov corp found=()
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t.log")
  cov=$(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -n1 | cut -d' ' -f2)
  corp=$(find "$work/corpus/$t" -type f | wc -l)
  local a kind sum dest
  for a in "$arts"/*; do
    [ -f "$a" ] || continue
    kind=$(basename "$a"); kind=${kind%%-*}
    # Minimizing keeps the same crash; timeouts and leaks may not minimize: keep them whole.
    if [ "$kind" = crash ] &&
       "$bin" -minimize_crash=1 -max_total_time="$min_secs" -timeout=10 \
         -exact_artifact_path="$a.min" "$a" >"$a.minimize.log" 2>&1 && [ -s "$a.min" ]; then
      mv "$a.min" "$a"
    fi
    sum=$(sha1sum "$a" | cut -c1-12)
    mkdir -p "tests/fuzz-regressions/$t"
    dest="tests/fuzz-regressions/$t/$kind-$sum"
    cp "$a" "$dest"
    found+=("$dest")
  done
  {
    printf 'fuzz %-9s %ss, %s runs (%s/s), %s edges, corpus %s inputs: ' \
      "$t" "$took" "${runs:-?}" "${eps:-?}" "${cov:-?}" "$corp"
    if [ ${#found[@]} -gt 0 ]; then
      echo "FOUND ${#found[@]}: ${found[*]} (log $work/$t.log)"
    elif [ $rc -ne 0 ]; then
      echo "FAILED (exit $rc, see $work/$t.log)"
    else
      echo "nothing found"
    fi
  } >"$work/$t.result"
}

start=$SECONDS
running=0
for t in "$@"; do
  if [ $running -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait
clean_shm

rc=0
for t in "$@"; do
  cat "$work/$t.result"
  grep -q 'nothing found$' "$work/$t.result" || rc=1
done
echo "fuzz: $# targets in $((SECONDS - start)) s; $( [ $rc -eq 0 ] && echo 'nothing found' || echo 'replay: make unit && build/tests/test_fuzz_regressions' )"
exit $rc
