# tests/system/lib.bash: shared helpers of the system tests (sourced, not run).
# Each check prints "ok - what" or "not ok - what"; tests/run.sh counts them.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 3
SIM=${OUTBOX_BIN:-bin}/outbox-sim
OUT=$(mktemp -d /tmp/outbox-systest.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else notok "$what"; fi; }

# sim ARGS...: runs the simulator with a wall-clock guard; output in $OUT/last.{out,err}
sim() {
  timeout -k 5 300 "$SIM" "$@" >"$OUT/last.out" 2>"$OUT/last.err"
}

# Leftovers of simulator runs: live outbox-node processes started from $1 (a run
# directory prefix), libfaketime shm files of dead processes, temp dirs of dead
# simulators.  Prints what it finds; returns 0 when there is nothing.
leftovers() {
  local prefix=$1 found=0 f pid
  if pgrep -f "outbox-node.*--db $prefix" >/dev/null 2>&1; then
    echo "# leftover processes:"; pgrep -af "outbox-node.*--db $prefix" | sed 's/^/#   /'; found=1
  fi
  for f in /dev/shm/faketime_shm_* /dev/shm/sem.faketime_sem_*; do
    [ -e "$f" ] || continue
    pid=${f##*_}
    if ! kill -0 "$pid" 2>/dev/null; then echo "# leftover shm file $f"; found=1; fi
  done
  for f in /tmp/outbox-sim.* /dev/shm/outbox-sim.*; do
    [ -d "$f" ] || continue
    pid=$(cat "$f/owner" 2>/dev/null || echo 0)
    if ! kill -0 "$pid" 2>/dev/null; then echo "# leftover temp dir $f"; found=1; fi
  done
  return $found
}
