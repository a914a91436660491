# tests/system/lib.bash: shared helpers of the system tests (sourced, not run).
# Each check prints "ok - what" or "not ok - what"; tests/run.sh counts them.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 3
SIM=${OUTBOX_BIN:-bin}/outbox-sim
OUT=$(mktemp -d /tmp/outbox-systest.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
# A check this machine or build cannot make: said, and counted apart (tests/run.sh), never
# as passed.
skip() { echo "skip - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else notok "$what"; fi; }

# sim ARGS...: runs the simulator with a wall-clock guard; output in $OUT/last.{out,err}
sim() {
  timeout -k 5 300 "$SIM" "$@" >"$OUT/last.out" 2>"$OUT/last.err"
}

# Leftovers of simulator runs: live outbox-node processes started from $1 (a run
# directory prefix), and libfaketime shm files and simulator temp dirs whose owner is
# dead.  Only what appeared since this test began counts: other people's runs on the
# same machine (another clone's `make test`, a sweep) are not ours to judge.  A file
# of a dead owner must also outlive a grace period: a run elsewhere that is between a
# child's death and its cleanup removes it within milliseconds; a real leftover stays.
# Prints what it finds; returns 0 when there is nothing.
# (LEFTOVER_TMP and LEFTOVER_SHM move the places looked at, for the check's own test.)
leftover_candidates() {
  local t=${LEFTOVER_TMP:-/tmp} s=${LEFTOVER_SHM:-/dev/shm}
  ls -d "$t"/outbox-sim.* "$s"/outbox-sim.* "$s"/faketime_shm_* "$s"/sem.faketime_sem_* \
    2>/dev/null | sort
}
leftover_candidates >"$OUT/.leftovers-before"
# The candidates new since the test began whose owner is dead, one per line.
dead_new_candidates() {
  local f pid
  for f in $(comm -13 "$OUT/.leftovers-before" <(leftover_candidates)); do
    case $f in
      */outbox-sim.*) pid=$(cat "$f/owner" 2>/dev/null || echo 0) ;;
      *) pid=${f##*_} ;;
    esac
    [ -e "$f" ] && ! kill -0 "$pid" 2>/dev/null && echo "$f"
  done
}
leftovers() {
  local prefix=$1 found=0 f left i
  if pgrep -f "outbox-node.*--db $prefix" >/dev/null 2>&1; then
    echo "# leftover processes:"; pgrep -af "outbox-node.*--db $prefix" | sed 's/^/#   /'; found=1
  fi
  left=$(dead_new_candidates)
  for i in $(seq 1 15); do
    [ -z "$left" ] && break
    sleep 0.2
    left=$(for f in $left; do [ -e "$f" ] && echo "$f"; done)
  done
  for f in $left; do echo "# leftover $f"; found=1; done
  return $found
}
