#!/usr/bin/env bash
# tests/system/shrink.sh: `outbox-sim shrink` turns a failing run into a small, explicit Lua
# scenario that still fails the same way; a passing run is refused; -j does not change
# the answer; SIGINT leaves nothing behind.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

RUNS=$OUT/runs
RUN=$RUNS/duplicate-delivery/1

# A failing run: duplicated deliveries and a consumer without an inbox.
sim run scenarios/duplicate-delivery.lua --seed 1 --design outbox-no-dedupe --out "$RUNS" --quiet
check "the original run fails (exit 1)" test $? -eq 1
check "the original run breaks exactly_once" grep -Eq '"exactly_once": *\{ *"ok": *false' "$RUN/summary.json"

sim shrink "$RUN" -j 2
rc=$?
check "shrink exits 0" test $rc -eq 0
SHRUNK=$RUN/shrunk.lua
check "shrink writes RUN_DIR/shrunk.lua" test -s "$SHRUNK"
check "shrink says which invariant it matches" grep -q 'matching  exactly_once' "$OUT/last.out"
check "shrink reports how much smaller and how many runs" grep -Eq 'smaller   payments 120 -> [0-9]+, injected faults [0-9]+ -> [0-9]+, run 20 s -> .* in [0-9]+ runs' "$OUT/last.out"

# No randomness left: no chance, no nemesis, no math.random (comments included).
check "the shrunk scenario has no 'p ='" bash -c "! grep -Eq '(^|[^a-z_])p *=' '$SHRUNK'"
check "the shrunk scenario has no math.random or nemesis" bash -c "! grep -Eq 'math\\.random|nemesis' '$SHRUNK'"
check "the shrunk scenario expects every invariant (a regression test)" grep -q '^expect { all_invariants = true }' "$SHRUNK"
check "the shrunk scenario says where it came from" grep -q "^-- .*scenarios/duplicate-delivery.lua, seed 1, design outbox-no-dedupe" "$SHRUNK"

payments=$(sed -n 's/.*workload = { payments = \([0-9]*\),.*/\1/p' "$SHRUNK")
faults=$(grep -Ec '^(drop|duplicate|delay|crash|partition|broker_loss|clock|clock_jump|slow) ' "$SHRUNK")
orig_faults=$(grep -Ec '^(drop|duplicate|delay|crash) ' scenarios/duplicate-delivery.lua)
check "fewer payments than the original ($payments < 120)" test "${payments:-999}" -lt 120
check "fewer faults than the original ($faults < $orig_faults)" test "$faults" -lt "$orig_faults"
check "every fault line names its frame with nth" bash -c "! grep -E '^(drop|duplicate|delay) ' '$SHRUNK' | grep -vq 'nth = '"

# It fails when run, the same way, and it is a scenario a person can run as is.
sim run "$SHRUNK" --seed 1 --out "$OUT/again" --quiet
check "running the shrunk scenario fails (exit 1)" test $? -eq 1
check "... with the same invariant broken" grep -Eq '"exactly_once": *\{ *"ok": *false' "$OUT/again/shrunk/1/summary.json"
check "no work directory is left" test ! -e "$RUN/shrink.work"

# -j changes the speed, never the result.
sim shrink "$RUN" -j 1 --out "$OUT/j1.lua"
check "shrink -j 1 exits 0" test $? -eq 0
check "-j 1 and -j 2 write the same scenario" diff <(grep -v '^--' "$SHRUNK") <(grep -v '^--' "$OUT/j1.lua")

# A crash that only a weak design cannot survive: crash faults stay explicit.
sim run scenarios/crash-after-ack.lua --seed 2 --design ack-before-apply --out "$RUNS" --quiet
sim shrink "$RUNS/crash-after-ack/2" -j 2 --max-runs 60
check "a crash run shrinks (exit 0)" test $? -eq 0
check "... to one crash at a failpoint hit" grep -Eq '^crash \{ at_failpoint = "accounting.after_ack", hit = [0-9]+' "$RUNS/crash-after-ack/2/shrunk.lua"
sim run "$RUNS/crash-after-ack/2/shrunk.lua" --seed 2 --out "$OUT/again" --quiet
check "... and still fails when run" test $? -eq 1

# Refused: a passing run, something that is not a run, bad flags.
sim run scenarios/clean.lua --seed 1 --out "$RUNS" --quiet
sim shrink "$RUNS/clean/1"
check "a passing run is refused (exit 2)" test $? -eq 2
check "... with one clear line" grep -q "the run passed (verdict pass, no invariant broken): nothing to shrink" "$OUT/last.err"
check "... and nothing written" test ! -e "$RUNS/clean/1/shrunk.lua"
sim shrink "$OUT/nowhere"
check "a missing run directory is refused (exit 2)" test $? -eq 2
sim shrink "$RUN" --invariant durability
check "--invariant naming an invariant that held is refused (exit 2)" test $? -eq 2
sim shrink "$RUN" -j 0
check "-j 0 is refused (exit 2)" test $? -eq 2

# SIGINT in the middle: the candidates' runs stop, nothing is left, nothing is written.
timeout -k 5 120 "$SIM" shrink "$RUN" -j 2 --out "$OUT/int.lua" >"$OUT/int.out" 2>&1 &
pid=$!
for _ in $(seq 1 1500); do [ -d "$RUN/shrink.work" ] && break; sleep 0.02; done
sleep 0.2
kill -INT "$pid" 2>/dev/null
wait "$pid"
rc=$?
check "SIGINT stops shrink with exit 3 (got $rc)" test $rc -eq 3
check "... and says so" grep -q "interrupted" "$OUT/int.out"
check "... with no work directory left" test ! -e "$RUN/shrink.work"
check "... and no output written" test ! -e "$OUT/int.lua"
check "... and no process, shm file or temp dir left" leftovers "$OUT"

# A second SIGINT while the runs stop: their process groups are SIGKILLed, and each
# run's janitor then copies its databases back into a run dir that shrink is removing
# (pool_remove waits for them).  The runs are held stopped so that the second signal
# surely finds them alive.
timeout -k 5 120 "$SIM" shrink "$RUN" -j 2 --out "$OUT/int2.lua" >"$OUT/int2.out" 2>&1 &
pid=$!
runs=""
for _ in $(seq 1 1500); do
  if compgen -G "$RUN/shrink.work/runs/c*/1/trace.jsonl" >/dev/null; then
    shrinker=$(pgrep -P "$pid" -x outbox-sim)
    runs=$(pgrep -P "${shrinker:-0}" -x outbox-sim | tr '\n' ' ')
    # shellcheck disable=SC2086 # one pid per word
    [ -n "$runs" ] && kill -STOP $runs 2>/dev/null && break
  fi
  sleep 0.02
done
kill -INT "${shrinker:-0}"   # itself: timeout forwards only the first signal it gets
sleep 0.3
kill -INT "${shrinker:-0}"
wait "$pid"
rc=$?
check "two SIGINTs with the runs held stopped: shrink exits 3 (got $rc, runs ${runs:-none})" \
  test "$rc" -eq 3 -a -n "$runs"
check "... with no work directory left, though the runs' janitors copied into it" \
  test ! -e "$RUN/shrink.work"
check "... and no output written" test ! -e "$OUT/int2.lua"
check "... and no process, shm file or temp dir left" leftovers "$OUT"
