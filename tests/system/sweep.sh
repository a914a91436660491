#!/usr/bin/env bash
# outbox-sim sweep: parallel seeds, JUnit and JSON, shards that cover every run once,
# a time budget, failures that reproduce from their printed command, the determinism
# rerun (at least one, even under a budget), one sweep per --out directory, and a sweep
# stopped by SIGINT or SIGKILL that leaves nothing behind.
source "$(dirname "$0")/lib.bash"

# seeds_of JUNIT: the "scenario seed" of every test case, one a line, sorted.
seeds_of() { sed -n 's/.*<testcase classname="\([^"]*\)" name="seed \([0-9]*\)".*/\1 \2/p' "$1" | sort; }
# hash_of RUN_DIR: the trace hash its summary.json records.
hash_of() { sed -n 's/.*"hash": "\([^"]*\)".*/\1/p' "$1/summary.json"; }
# Well-formed XML, when python3 is there to say so (grep checks the content anyway).
xml_ok() { ! command -v python3 >/dev/null || python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$1"; }

# --- a clean sweep: 10 seeds, 2 at a time ---------------------------------------------
sim sweep scenarios/clean.lua --seeds 1..10 -j 2 --out "$OUT/all" --junit "$OUT/all.xml" --json "$OUT/all.json"
rc=$?
check "10 seeds of clean.lua: exit 0" test $rc -eq 0
check "JUnit: one test case per seed" test "$(grep -c '<testcase ' "$OUT/all.xml")" -eq 10
check "JUnit: no failure, no error" grep -q 'tests="10" failures="0" errors="0" skipped="0"' "$OUT/all.xml"
check "JUnit: classname is the scenario, name the seed" grep -q '<testcase classname="clean" name="seed 7"' "$OUT/all.xml"
check "JUnit: well-formed XML" xml_ok "$OUT/all.xml"
check "JSON summary: counts" grep -q '"counts": {"planned": 10, "ran": 10, "passed": 10, "failed": 0, "errors": 0, "skipped": 0}' "$OUT/all.json"
check "JSON summary: seeds per minute" grep -q '"seeds_per_minute": [0-9]' "$OUT/all.json"
check "piped progress: one plain line per run" test "$(grep -c '^\[[0-9]*/10\] clean seed [0-9]*: pass' "$OUT/last.out")" -eq 10
check "the determinism rerun ran and agreed" grep -q 'determinism: 1 of 1 sampled runs rerun, 1 identical, 0 differ' "$OUT/last.out"
check "JSON summary: rerun checked" grep -q '"checked": 1, "identical": 1, "mismatches": 0' "$OUT/all.json"
check "passing run dirs are removed" test -z "$(find "$OUT/all" -name summary.json 2>/dev/null)"
# A run on the simulated disk keeps each node's journal in a folder (NODE.disk/): a passing
# run's directory goes with everything in it.
sim sweep scenarios/disk-eio-mid-commit.lua --seeds 1..2 -j 2 --rerun 0 --out "$OUT/disk"
check "a sweep on the simulated disk: exit 0" test $? -eq 0
check "... leaves no run directory, nor its nodes' disk folders" \
  test -z "$(find "$OUT/disk" -mindepth 1 -not -name .lock)"

# --- shards: 1/2 and 2/2 cover the unsharded sweep exactly ------------------------------
sim sweep scenarios/clean.lua --seeds 1..10 -j 2 --shard 1/2 --rerun 0 --out "$OUT/s1" --junit "$OUT/s1.xml"
rc1=$?
sim sweep scenarios/clean.lua --seeds 1..10 -j 2 --shard 2/2 --rerun 0 --out "$OUT/s2" --junit "$OUT/s2.xml"
rc2=$?
check "shards exit 0" test "$rc1$rc2" = 00
seeds_of "$OUT/all.xml" >"$OUT/all.seeds"
seeds_of "$OUT/s1.xml" >"$OUT/s1.seeds"
seeds_of "$OUT/s2.xml" >"$OUT/s2.seeds"
check "shard 1/2 and shard 2/2 each run 5" test "$(wc -l <"$OUT/s1.seeds")$(wc -l <"$OUT/s2.seeds")" = 55
check "shards do not overlap" test -z "$(comm -12 "$OUT/s1.seeds" "$OUT/s2.seeds")"
check "shards together are the whole sweep" cmp -s <(sort "$OUT/s1.seeds" "$OUT/s2.seeds") "$OUT/all.seeds"

# --- a time budget: stops starting runs, still checks determinism, sums up the rest ------
# 200,000 seeds in 2 s: the sampled runs (--rerun 0.0001: 14, none among the first
# seeds) are never reached, yet one run that ran is rerun; the JUnit file holds the
# runs that ran and one case for those that did not.
sim sweep scenarios/clean.lua --seeds 1..200000 --time-budget 2 --rerun 0.0001 -j 2 --out "$OUT/budget" --junit "$OUT/budget.xml" --json "$OUT/budget.json"
rc=$?
check "time budget: exit 0" test $rc -eq 0
check "time budget: says how many ran and were skipped" grep -Eq '^sweep: time budget of 2 s spent: [0-9]+ runs ran, [0-9]+ skipped$' "$OUT/last.out"
check "time budget: at least one run was rerun for determinism" grep -Eq '^sweep: determinism: [1-9][0-9]* of [1-9][0-9]* sampled runs rerun, [1-9][0-9]* identical, 0 differ$' "$OUT/last.out"
check "time budget: the JSON says so too" grep -Eq '"checked": [1-9][0-9]*, "identical": [1-9]' "$OUT/budget.json"
check "time budget: the JUnit file stays small ($(wc -c <"$OUT/budget.xml") bytes)" test "$(wc -c <"$OUT/budget.xml")" -lt 20000
check "time budget: one skipped case sums up the runs not started" \
  test "$(grep -c '<testcase classname="clean" name="not run: [0-9]* seeds [0-9]*..200000" time="0"><skipped message="time budget of 2 s spent: ' "$OUT/budget.xml")" -eq 1
ran=$(grep -c '<testcase classname="clean" name="seed ' "$OUT/budget.xml")
check "time budget: the counts agree with the cases ($ran ran)" grep -q "tests=\"$((ran + 1))\" failures=\"0\" errors=\"0\" skipped=\"1\"" "$OUT/budget.xml"
check "time budget: planned and not run are properties" grep -q "<property name=\"not_run\" value=\"$((200000 - ran))\"/>" "$OUT/budget.xml"
check "time budget: JUnit well-formed" xml_ok "$OUT/budget.xml"
check "time budget: no run dir left" test -z "$(find "$OUT/budget" -name summary.json 2>/dev/null)"

# A budget of 0 would run nothing and pass: refused, one line, exit 2.
sim sweep scenarios/clean.lua --seeds 1..10 --time-budget 0 --out "$OUT/budget0"
rc=$?
check "time budget 0: exit 2, one line" test "$rc:$(wc -l <"$OUT/last.err")" = 2:1
check "time budget 0: says why" grep -q 'time-budget: expected seconds > 0' "$OUT/last.err"
check "time budget 0: nothing ran" test ! -e "$OUT/budget0"

# --- runs that cannot start: the sweep says so (no "time budget" it was never given) ------
mkdir -p "$OUT/nostart" && : >"$OUT/nostart/clean"    # a file where clean/ must go
sim sweep scenarios/clean.lua --seeds 1..3 --out "$OUT/nostart" --junit "$OUT/nostart.xml"
rc=$?
check "a run that cannot start: exit 3" test $rc -eq 3
check "a run that cannot start: the reason on stderr" grep -q 'cannot create .*nostart/clean/' "$OUT/last.err"
check "a run that cannot start: no time budget is mentioned" sh -c "! grep -q 'time budget' '$OUT/last.out'"
check "a run that cannot start: says it stopped starting runs" grep -q '^sweep: stopped starting runs after the error above: 0 runs ran, 3 not started$' "$OUT/last.out"
check "a run that cannot start: JUnit names why" grep -q 'skipped message="a run could not be started (cannot create ' "$OUT/nostart.xml"
# An --out the user may not write (as nobody, when this test runs as root): one line, exit 2.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  mkdir -p "$OUT/ro" && chmod 755 "$OUT/ro" "$OUT" && chmod -R a+rX "${OUTBOX_BIN:-bin}" scenarios
  setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/ \
    "$SIM" sweep scenarios/clean.lua --seeds 1 --out "$OUT/ro" >"$OUT/ro.out" 2>"$OUT/ro.err"
  rc=$?
  check "an --out nobody may write: exit 2, one line" test "$rc:$(wc -l <"$OUT/ro.err")" = 2:1
  check "an --out nobody may write: says so" grep -q "sweep: --out $OUT/ro: cannot open $OUT/ro/.lock: Permission denied" "$OUT/ro.err"
  check "an --out nobody may write: no time budget is mentioned" sh -c "! grep -q 'time budget' '$OUT/ro.out' '$OUT/ro.err'"
fi

# --- one sweep per directory: a second one into the same --out is refused ---------------
"$SIM" sweep scenarios/clean.lua --seeds 1..4 -j 1 --out "$OUT/shared" --json "$OUT/first.json" >"$OUT/first.out" 2>&1 &
first=$!
for _ in $(seq 1 600); do [ -e "$OUT/shared/.lock" ] && break; sleep 0.1; done
sim sweep scenarios/clean.lua --seeds 1..2 --out "$OUT/shared" --json "$OUT/second.json"
rc=$?
check "a second sweep into the same --out: exit 2, one line" test "$rc:$(wc -l <"$OUT/last.err")" = 2:1
check "... naming the holder" grep -q "sweep: --out $OUT/shared is in use by another outbox-sim (pid $first); give each sweep its own --out" "$OUT/last.err"
check "... and it wrote nothing" test ! -e "$OUT/second.json"
wait "$first"
rc=$?
check "the first sweep was not disturbed: exit 0, 4 passed" sh -c "[ $rc -eq 0 ] && grep -q ': 4 passed, 0 failed, 0 errors$' '$OUT/first.out'"
sim sweep scenarios/clean.lua --seeds 1 --out "$OUT/shared"
check "a sweep after it may use the directory" test $? -eq 0

# --- a weak design fails, and its printed command reproduces the failure ---------------
sim sweep scenarios/pay-queue-loss.lua --seeds 1..2 -j 2 --design direct --out "$OUT/weak" --junit "$OUT/weak.xml" --json "$OUT/weak.json"
rc=$?
check "direct on pay-queue-loss: exit 1" test $rc -eq 1
check "JUnit: a failure naming the broken invariant" grep -q '<failure message="eventual_consistency broken: ' "$OUT/weak.xml"
check "JUnit: the failure holds the reproduction command" grep -qF ">reproduce: $SIM run scenarios/pay-queue-loss.lua --seed 1 --design direct&#10;" "$OUT/weak.xml"
check "JUnit: well-formed XML" xml_ok "$OUT/weak.xml"
check "JSON summary: the failures with their commands" grep -qF "\"command\": \"$SIM run scenarios/pay-queue-loss.lua --seed 2 --design direct\"" "$OUT/weak.json"
check "the failing run dir is kept" test -f "$OUT/weak/pay-queue-loss/1/summary.json"
cmd=$(sed -n 's/^ *reproduce: //p' "$OUT/last.out" | grep -- '--seed 1 ' | head -n1)
check "the sweep printed the command" test -n "$cmd"
# shellcheck disable=SC2086   # the printed command is meant to be word-split as a shell would
timeout -k 5 120 $cmd --out "$OUT/repro" --quiet >/dev/null 2>&1
rc=$?
check "the printed command fails the same way (exit 1)" test $rc -eq 1
check "the printed command gives the same trace hash" test "$(hash_of "$OUT/repro/pay-queue-loss/1")" = "$(hash_of "$OUT/weak/pay-queue-loss/1")"

# --- bad input: one line, exit 2, nothing run --------------------------------------------
printf 'scenario { name = "bad", workload = { payments = 10, rate = -5 } }\n' >"$OUT/bad.lua"
sim sweep scenarios/clean.lua "$OUT/bad.lua" --seeds 1..3 --out "$OUT/badrun"
rc=$?
check "a bad scenario: exit 2" test $rc -eq 2
check "a bad scenario: reported once, with file and line" test "$(grep -c 'bad.lua:1:' "$OUT/last.err")" -eq 1
check "a bad scenario: nothing ran" test ! -e "$OUT/badrun"
for bad in "--seeds 5..1" "--seeds x" "--shard 3/2" "--shard 0/2" "-j 0" "--rerun 2" "--time-budget -1" "--time-budget 0" "--bogus" "--design nope"; do
  # shellcheck disable=SC2086
  sim sweep scenarios/clean.lua --seeds 1..2 $bad --out "$OUT/badflag"
  rc=$?
  check "sweep $bad: exit 2" test $rc -eq 2
done
check "bad flags: nothing ran" test ! -e "$OUT/badflag"

# --- SIGINT and SIGKILL mid-sweep leave nothing behind ----------------------------------
long=$OUT/long.lua
cat >"$long" <<'LUA'
scenario { name = "long", workload = { payments = 50000, rate = 100 }, run = 500, settle = 30 }
drop { link = "payment->broker", p = 0.2 }
LUA
# pgrep in this shell: a `bash -c "pgrep ..."` would match its own command line.
runs_under_way() { pgrep -f "outbox-sim run .*--out $1" >/dev/null; }
no_processes() { ! runs_under_way "$1" && ! pgrep -f "outbox-node.*--db $1" >/dev/null; }
for sig in INT KILL; do
  "$SIM" sweep "$long" --seeds 1..6 -j 2 --out "$OUT/$sig" >"$OUT/$sig.out" 2>&1 &
  pid=$!
  # Polled, not slept: under load the first runs may take long to start.
  for _ in $(seq 1 600); do runs_under_way "$OUT/$sig" && break; sleep 0.1; done
  check "SIG$sig: the sweep's runs are under way" runs_under_way "$OUT/$sig"
  kill -s "$sig" "$pid"
  { wait "$pid"; } 2>/dev/null; rc=$?
  if [ "$sig" = INT ]; then
    check "SIGINT: exit 3" test $rc -eq 3
    check "SIGINT: says it was interrupted" grep -q 'interrupted by signal' "$OUT/$sig.out"
    check "SIGINT: the stopped runs' dirs are removed" test -z "$(find "$OUT/$sig" -mindepth 2 2>/dev/null)"
  else
    check "SIGKILL ends the sweep" test $rc -eq 137
    # The runs hear SIGTERM (PDEATHSIG), stop their nodes and clean up.
    for _ in $(seq 1 60); do no_processes "$OUT/$sig" && break; sleep 0.5; done
  fi
  check "SIG$sig: no run or node process left" no_processes "$OUT/$sig"
  check "SIG$sig: no temp dir or shm file of a dead process" leftovers "$OUT/$sig"
done

# --- reproduce lines name the --node flags the runs had, quoted ----------------------------
mkdir -p "$OUT/with space"
cp "${OUTBOX_BIN:-bin}/outbox-node" "$OUT/with space/node"
sim sweep scenarios/pay-queue-loss.lua --seeds 1 --node "accounting=$OUT/with space/node" \
  --design direct --out "$OUT/ovr"
check "a sweep with --node: its failing run's line names it, quoted" \
  grep -qF " --node 'accounting=$OUT/with space/node'" "$OUT/last.out"
line=$(grep -F " --node 'accounting=" "$OUT/last.out" | grep -v 'reproduce:' | head -n 1)
bash -c "$line --out '$OUT/ovr2'" >/dev/null 2>&1
check "... and run by bash it reproduces the failure (exit 1)" test $? -eq 1
