#!/usr/bin/env bash
# Out of memory (disk{ fault = "nomem" }, node/memf.h) and a database tampered with while
# its node is down (tamper{}, sim/core/tamper.h), end to end: each scenario meets its
# expectation AND the fault really acted where it says (the START or the statement that
# failed; tests/system/determinism.sh reruns them), a tamper on a running node is
# skipped, SQL SQLite refuses is a scenario error, and bad declarations are one line
# "FILE:LINE: ..." with exit 2.
source "$(dirname "$0")/lib.bash"
R=$OUT/runs

run() {   # run SCENARIO SEED [ARGS...]: $? is the exit code; sets T (trace) and D (run dir)
  local sc=$1 seed=$2; shift 2
  sim run "scenarios/$sc.lua" --seed "$seed" --out "$R" --quiet "$@"
  local rc=$?
  D=$R/$sc/$seed T=$D/trace.jsonl
  return $rc
}
failed() { grep -q "\"ev\":\"start_failed\".*\"why\":\"$1\"" "$T"; }

# ---- out of memory at START and in a transaction ------------------------------------------
run memory-start-payment 1; check "nomem at START: exit 0" test $? -eq 0
check "nomem: the 1st, 400th and 520th allocations failed, each traced" \
  test "$(grep -o '"op":"alloc","error":"nomem","call":[0-9]*' "$T" | grep -o '[0-9]*$' |
          tr '\n' ' ')" = "1 400 520 "
for why in "cannot open payment.db: cannot open: out of memory" \
           "cannot open payment.db: reading its identity: out of memory" \
           "cannot open payment.db: prepare .\"SAVEPOINT ox_work.\": out of memory"; do
  check "nomem at START: $why" failed "$why"
done
check "nomem at START: the payment served after its last restart" \
  grep -q '"t":7\.[0-9]*,"ev":"reply","node":"client","pay":[0-9]*,"result":"ok"' "$T"
run memory-ordered-hold 1; check "nomem mid-transaction (ordered): exit 0" test $? -eq 0
check "nomem: the ordered design's hold query failed, and the client was told" \
  grep -q '"result":"failed","detail":"error: payment.db: find the account.s unsettled row: out of memory"' "$T"
check "nomem: the ordered design's hold statement failed, and the client was told" \
  grep -q '"result":"failed","detail":"error: payment.db: hold outbox row: out of memory"' "$T"
check "nomem: no payment without its outbox row" \
  test "$(sqlite3 "$D/payment.db" 'SELECT count(*) FROM payment WHERE id NOT IN (SELECT payment_id FROM outbox)')" -eq 0
check "nomem: accounting's allocations failed too (p)" \
  grep -q '"ev":"disk_fault","node":"accounting","fault":3,"op":"alloc","error":"nomem"' "$T"

# ---- tampered databases --------------------------------------------------------------------
run tamper-payment-identity 1; check "tamper identity: exit 0" test $? -eq 0
check "tamper identity: the SQL ran on the file, twice" test "$(grep -c '"ev":"tamper"' "$T")" -eq 2
check "tamper identity: the START after it refused a file without identity" \
  failed "cannot open payment.db: not an outbox-lab payment database (application_id 0x0, user_version 0)"
check "tamper identity: out of memory in the read-only check: its open and its identity read" \
  bash -c "grep -c '\"ev\":\"start_failed\".*out of memory' '$T' | grep -qx 2"
check "tamper identity: after the repair payment is the payment database again" \
  test "$(sqlite3 "$D/payment.db" 'PRAGMA application_id; PRAGMA user_version' | tr '\n' ' ')" = "1331184204 101 "
run tamper-broker-incarnation 1; check "tamper incarnation: exit 0" test $? -eq 0
check "tamper incarnation: START refused the incarnation out of range, twice" \
  test "$(grep -c '"why":"cannot open broker.db: broker incarnation 214748364[89] out of range"' "$T")" -eq 2
check "tamper incarnation: after the repair the incarnation is 1001" \
  grep -q '"node":"broker","kind":"recover","detail":"incarnation 1001' "$T"
{ echo 'scenario { name = "back", knobs = { durable = 1 },'
  echo '  workload = { payments = 60, rate = 10 }, run = 8, settle = 60 }'
  grep '"ev":"fault"' "$T" | sed 's/.*"lua":"//; s/"}$//; s/\\"/"/g'; } >"$OUT/back.lua"
sim run "$OUT/back.lua" --seed 1 --out "$R" --quiet
check "tamper incarnation: its faults written back as Lua run the same" \
  test "$(grep -E '"ev":"(tamper|start_failed|restart)"' "$T")" = \
       "$(grep -E '"ev":"(tamper|start_failed|restart)"' "$R/back/1/trace.jsonl")"

# ---- a tamper on a running node, SQL SQLite refuses ----------------------------------------
f=$OUT/up.lua
{ echo 'scenario { name = "up", workload = { payments = 10, rate = 10 }, run = 3, settle = 20 }'
  echo 'tamper { node = "payment", at = 1, sql = "DELETE FROM payment" }'; } >"$f"
sim run "$f" --seed 1 --out "$R" --quiet
check "tamper on a running node: exit 0 (nothing changed)" test $? -eq 0
check "... skipped, why running" \
  grep -q '"ev":"tamper_skipped","node":"payment","fault":1,"why":"running"' "$R/up/1/trace.jsonl"
{ echo 'scenario { name = "badsql", workload = { payments = 10, rate = 10 }, run = 3, settle = 20 }'
  echo 'crash { node = "payment", at = 1, restart_after = 1 }'
  echo 'tamper { node = "payment", at = 1.5, sql = "DELETE FROM no_such_table" }'; } >"$f"
sim run "$f" --seed 1 --out "$R" --quiet
check "SQL SQLite refuses: exit 2" test $? -eq 2
check "... naming the tamper's line and SQLite's reason" \
  grep -qF "$f:3: tamper: SQLite refused its sql: no such table: no_such_table" "$OUT/last.err"

# ---- bad declarations ------------------------------------------------------------------------
bad() {   # bad WHAT PATTERN LUA: the declaration fails at load, line 2, exit 2, one line
  local what=$1 pat=$2 f=$OUT/bad.lua
  printf 'scenario { name = "bad", run = 10 }\n%s\n' "$3" >"$f"
  sim run "$f" --seed 1 --out "$R" --quiet
  local rc=$?
  check "bad $what: exit 2" test $rc -eq 2
  check "bad $what: '$f:2: $pat'" grep -qF -- "$f:2: $pat" "$OUT/last.err"
  check "bad $what: one line" test "$(wc -l <"$OUT/last.err")" -eq 1
  check "bad $what: no run directory" test ! -e "$R/bad"
}
bad "nomem on read" "disk: fault 'nomem' fails SQLite's allocations only" \
  'disk { node = "payment", fault = "nomem", on = "read", nth = 1 }'
bad "alloc with eio" "disk: on = \"alloc\" goes with fault = \"nomem\"" \
  'disk { node = "payment", fault = "eio", on = "alloc", nth = 1 }'
bad "tamper without sql" "tamper: needs 'sql'" 'tamper { node = "broker", at = 1 }'
bad "tamper without at" "tamper: needs 'at'" 'tamper { node = "broker", sql = "SELECT 1" }'
bad "tamper sql with a double quote" "tamper: 'sql' may not hold" \
  "tamper { node = \"broker\", at = 1, sql = 'SELECT \"x\"' }"
check "nothing left behind" leftovers "$OUT"
