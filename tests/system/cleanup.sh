#!/usr/bin/env bash
# Whatever way the simulator ends (SIGINT, SIGTERM, SIGKILL) it leaves no child
# process, no libfaketime shm file and (after the next run, for SIGKILL) no temp dir.
source "$(dirname "$0")/lib.bash"
long=$OUT/long.lua
cat >"$long" <<'LUA'
scenario { name = "long", workload = { payments = 50000, rate = 100 }, run = 500, settle = 30 }
drop { link = "payment->broker", p = 0.2 }
LUA
# What a simulator $1 SIGKILLed with children $2 left: its temp dir, its children's
# libfaketime files, a symlink in its run dir.  One line each.
killed_left() {
  local d k
  for d in /dev/shm/outbox-sim.* /tmp/outbox-sim.*; do
    [ "$(cat "$d/owner" 2>/dev/null)" = "$1" ] && echo "temp dir $d"
  done
  for k in $2; do
    ls /dev/shm/faketime_shm_"$k" /dev/shm/sem.faketime_sem_"$k" 2>/dev/null
  done
  find "$OUT/KILL" -type l -printf 'symlink %p\n'
}
# pgrep in this shell: a `bash -c "pgrep ..."` would match its own command line.
no_children() { ! pgrep -f "outbox-node.*--db $1" >/dev/null; }
# wait_busy RUNDIR: up to 60 s for a run to be well under way (its services up and its
# trace past 200 lines), so a signal lands mid-run however loaded the machine is; a
# fixed sleep was too short under load.
wait_busy() {
  for _ in $(seq 1 600); do
    [ "$(wc -l <"$1/trace.jsonl" 2>/dev/null || echo 0)" -gt 200 ] && \
      pgrep -f "outbox-node --role accounting --db $1" >/dev/null && return 0
    sleep 0.1
  done
  return 1
}
for sig in INT TERM KILL; do
  "$SIM" run "$long" --seed 3 --out "$OUT/$sig" --quiet >"$OUT/$sig.out" 2>&1 &
  pid=$!
  wait_busy "$OUT/$sig/long/3"
  kids=$(pgrep -f "outbox-node.*--db $OUT/$sig/" | tr '\n' ' ')
  kill -s "$sig" "$pid"
  wait "$pid"; rc=$?
  case $sig in
    KILL) check "SIGKILL ends the simulator" test $rc -eq 137
          # Its janitor (sim/core/janitor.h) cleans up at once, without a later run.
          for i in $(seq 1 300); do [ -z "$(killed_left "$pid" "$kids")" ] && break; sleep 0.1; done
          check "SIGKILL: nothing left within 30 s (temp dir, shm files, symlinks)" \
            test -z "$(killed_left "$pid" "$kids")"
          killed_left "$pid" "$kids" | sed 's/^/# /'
          check "SIGKILL: the databases are back in the run dir, as the crash left them" \
            test "$(sqlite3 "$OUT/KILL/long/3/payment.db" 'SELECT count(*) > 0 FROM payment')" = 1 ;;
    *)    check "SIG$sig: exit 3 (harness stopped)" test $rc -eq 3
          check "SIG$sig: says it was interrupted" grep -q interrupted "$OUT/$sig.out" ;;
  esac
  check "SIG$sig: no child process left" no_children "$OUT/$sig"
done
# A SIGKILLed simulator could not remove its temp dir; the next run does.
sim run scenarios/clean.lua --seed 1 --out "$OUT/after" --quiet
check "a later run cleans what a killed one left" leftovers "$OUT"

# Two writers in one run directory (issue 11, item 10): the second is refused with one
# line and exit 2, and the first finishes as if alone.
"$SIM" run "$long" --seed 5 --out "$OUT/shared" --quiet >"$OUT/first.out" 2>&1 &
pid=$!
# Wait until the first run is well under way: its lock taken, its trace begun and its
# databases linked (on a loaded machine the lock comes well before the rest).
busy() {
  [ -s "$OUT/shared/long/5/.lock" ] && [ -s "$OUT/shared/long/5/trace.jsonl" ] &&
    [ -L "$OUT/shared/long/5/payment.db" ]
}
for i in $(seq 1 600); do busy && break; sleep 0.1; done
check "the first run is under way (lock, trace, linked databases)" busy
sim run "$long" --seed 5 --out "$OUT/shared" --quiet; rc=$?
check "a second run into a busy run dir: exit 2" test $rc -eq 2
check "... refused in one line naming the holder" \
  test "$(cat "$OUT/last.err")" = "outbox-sim: $OUT/shared/long/5 is in use by another outbox-sim (pid $pid)"
check "... and it touched nothing: the first run's trace is still growing" \
  test -s "$OUT/shared/long/5/trace.jsonl" -a -L "$OUT/shared/long/5/payment.db"
kill -TERM "$pid"; wait "$pid"
sim run scenarios/clean.lua --seed 5 --out "$OUT/shared/x" --quiet
check "a run dir is free again once its run has ended" test $? -eq 0
flock "$OUT/shared/long/5/.lock" -c "\"$SIM\" run \"$long\" --seed 5 --out \"$OUT/shared\" --quiet" \
  >"$OUT/flock.out" 2>&1
check "the lock is flock(2) on DIR/.lock: another holder refuses the run too (exit 2)" \
  test $? -eq 2

# A child that dies unasked is a harness error (exit 3) naming it, never a hang: at
# start (a node binary that exits at once), and mid-run (a service SIGKILLed by hand).
fake=$OUT/fakebin; mkdir -p "$fake"
cp "$SIM" "$fake/outbox-sim"; printf '#!/bin/sh\nexit 1\n' >"$fake/outbox-node"; chmod +x "$fake/outbox-node"
timeout -k 5 60 "$fake/outbox-sim" run scenarios/clean.lua --out "$OUT/dead" --quiet >"$OUT/dead.out" 2>&1; rc=$?
check "node that dies at start: exit 3" test $rc -eq 3
check "node that dies at start: named in one line" grep -q "broker exited with status 1 unexpectedly" "$OUT/dead.out"
"$SIM" run "$long" --seed 4 --out "$OUT/midrun" --quiet >"$OUT/midrun.out" 2>&1 &
pid=$!
wait_busy "$OUT/midrun/long/4"
victim=$(pgrep -f "outbox-node --role accounting --db $OUT/midrun" | head -n1)
[ -n "$victim" ] && kill -KILL "$victim"
timeout 60 tail --pid="$pid" -f /dev/null; wait "$pid"; rc=$?
check "service killed by hand mid-run: exit 3" test $rc -eq 3
check "service killed by hand mid-run: says which" grep -q "accounting was killed by signal 9" "$OUT/midrun.out"
check "service killed by hand mid-run: no child left" no_children "$OUT/midrun"

# The leftover check itself fires: a faketime shm file and a temp dir of a dead process,
# made after the snapshot, are reported.  In scratch places, since any simulator run on
# the machine removes such files from /dev/shm and /tmp (proc.c, remove_stale).
export LEFTOVER_TMP=$OUT/fake-tmp LEFTOVER_SHM=$OUT/fake-shm
mkdir -p "$LEFTOVER_TMP" "$LEFTOVER_SHM"
leftover_candidates >"$OUT/.leftovers-before"
bash -c 'exit 0' & dead=$!; wait "$dead"
touch "$LEFTOVER_SHM/faketime_shm_$dead"
mkdir "$LEFTOVER_TMP/outbox-sim.fake"; echo "$dead" >"$LEFTOVER_TMP/outbox-sim.fake/owner"
leftovers "$OUT/none" >"$OUT/left.out"
check "the leftover check fails on leftovers" test $? -eq 1
check "... naming a dead process's shm file" grep -q "faketime_shm_$dead" "$OUT/left.out"
check "... and a dead simulator's temp dir" grep -q "outbox-sim.fake" "$OUT/left.out"
echo "$$" >"$LEFTOVER_TMP/outbox-sim.fake/owner"; rm "$LEFTOVER_SHM/faketime_shm_$dead"
check "a temp dir whose owner lives is not a leftover" leftovers "$OUT/none"
