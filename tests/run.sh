#!/usr/bin/env bash
# tests/run.sh: runs every test of outbox-lab and ends with one line
# "tests: N passed, M failed".  Called by `make test` after the build.
#
#   unit tests      build/tests/test_*   (cmocka; each test case counts)
#   system tests    tests/system/*.sh       (each prints "ok - what" / "not ok - what", or
#                                            "skip - what" for a check this build cannot make)
#
# Set TESTS_ONLY=pattern to run only the files whose name contains it.
set -u
cd "$(dirname "$0")/.." || exit 3
BUILD=${BUILD:-build}
export OUTBOX_BIN=${OUTBOX_BIN:-bin}
passed=0
failed=0
skipped=0
failures=()
log_dir=$(mktemp -d /tmp/outbox-tests.XXXXXX)
trap 'rm -rf "$log_dir"' EXIT

run_unit() {
  local t=$1 name out
  name=$(basename "$t")
  out="$log_dir/$name.log"
  "$t" >"$out" 2>&1
  local rc=$?
  local p f
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -gt 0 ]; then
    failures+=("$name")
    echo "FAIL $name ($p passed, $f failed)"; grep -E '^\[  (FAILED|ERROR) *\]|Assert|error' "$out" | head -n 20 | sed 's/^/    /'
  else
    echo "ok   $name ($p tests)"
  fi
}

run_system() {
  local t=$1 name out
  name=$(basename "$t" .sh)
  out="$log_dir/$name.log"
  bash "$t" >"$out" 2>&1
  local rc=$?
  local p f
  p=$(grep -c '^ok - ' "$out")
  f=$(grep -c '^not ok - ' "$out")
  skipped=$((skipped + $(grep -c '^skip - ' "$out")))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $name exited $rc" >>"$out"; fi
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -gt 0 ]; then
    failures+=("$name")
    echo "FAIL $name ($p passed, $f failed)"; grep -E '^not ok|^#' "$out" | head -n 30 | sed 's/^/    /'
    tail -n 15 "$out" | sed 's/^/    | /'
  else
    echo "ok   $name ($p checks$(grep -q '^skip - ' "$out" && echo ", $(grep -c '^skip - ' "$out") skipped"))"
  fi
}

for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  case "$t" in *"${TESTS_ONLY:-}"*) run_unit "$t" ;; esac
done
for t in tests/system/*.sh; do
  [ -f "$t" ] || continue
  case "$t" in *"${TESTS_ONLY:-}"*) run_system "$t" ;; esac
done

if [ "${#failures[@]}" -gt 0 ]; then echo "failed: ${failures[*]}"; fi
echo "tests: $passed passed, $failed failed$([ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
