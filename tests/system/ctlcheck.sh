#!/usr/bin/env bash
# tests/system/ctlcheck.sh: a scenario's operator and its own checks, in a real run.
#
# ctl() passes outbox-ctl's own flags (ctl("list", "--status", "DEAD")) and returns its
# exit code and output; check(cond, text) and fail_check(text) fail the run (exit 1,
# "scenario_check broken: ..." cited with its line and time, in summary.json too) where
# error() is a scenario error (exit 2).  The trace of a run without checks is unchanged
# (tracelock.sh); a failed check adds one "scenario" line that says so.
source "$(dirname "$0")/lib.bash"

RUNS="$OUT/runs"
# scen NAME BODY: a dead-letter scenario (rows go DEAD by 50 s) with BODY at 50 s.
scen() {
  cat >"$OUT/$1.lua" <<LUA
scenario {
  name     = "operator checks",
  knobs    = { retry = "linear", retry_base = 2, max_attempts = 4 },
  workload = { payments = 10, rate = 2 },
  run      = 60,
  settle   = 60,
}
drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 35 }
at(50, function()
$2
end)
LUA
}

scen listed '  local code, out = ctl("list", "--status", "DEAD")
  check(code == 0, "list exited " .. code)
  local dead = select(2, out:gsub("DEAD", ""))
  check(dead > 0, "no DEAD row listed")
  note("listed " .. dead .. " dead rows")
  check(ctl("requeue", "all") == 0, "requeue all worked")'
sim run "$OUT/listed.lua" --seed 1 --out "$RUNS"
check "ctl with outbox-ctl's flags, its output read, checks that hold: exit 0" [ $? = 0 ]
check "the output reached the scenario" grep -q '"text":"listed [1-9][0-9]* dead rows"' "$RUNS/listed/1/trace.jsonl"
check "summary.json: scenario_checks ok" grep -q '"scenario_checks": {"ok": true, "count": 0' "$RUNS/listed/1/summary.json"

scen failing '  local code = ctl("list", "--status", "SENDING")
  check(code == 0, "list exited " .. code)
  check(false, "the operator found dead letters")
  ctl("requeue", "all")'
sim run "$OUT/failing.lua" --seed 1 --out "$RUNS"
check "a failed check fails the run (exit 1), not a scenario error" [ $? = 1 ]
check "the verdict cites it with its line and time" \
  grep -q '^  verdict    FAIL: scenario_check broken: the operator found dead letters (scenario line 12, at 50.000 s)$' "$OUT/last.out"
check "the summary lists it" grep -q '^  checks     scenario_checks:BROKEN(1)$' "$OUT/last.out"
check "summary.json records it" \
  grep -q '"line": 12, "t": 50.000000, "text": "the operator found dead letters"' "$RUNS/failing/1/summary.json"
check "the trace says where" grep -q '"ev":"scenario","line":12,"text":"check failed: the operator found dead letters"' "$RUNS/failing/1/trace.jsonl"

scen erroring '  error("this is a bug in the scenario")'
sim run "$OUT/erroring.lua" --seed 1 --out "$RUNS"
check "error() in a callback stays a scenario error (exit 2)" [ $? = 2 ]

scen dbflag '  ctl("list", "--db", "/tmp/x.db")'
sim run "$OUT/dbflag.lua" --seed 1 --out "$RUNS"
check "ctl refuses --db (exit 2), the simulator names the database" [ $? = 2 ]
check "... and says so" grep -q "ctl: argument 2 ('--db'): the simulator names the database itself" "$OUT/last.err"

check "no leftovers" leftovers "$RUNS"
