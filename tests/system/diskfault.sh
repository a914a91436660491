#!/usr/bin/env bash
# disk{}, pause{} and clock{rate} end to end (sim/core/diskf.h): each scenario meets its
# expectation AND the fault really acted (its trace lines, its effect on the client and
# the databases), a weak design fails where it should, the shrink form of each fault
# reads back, and bad declarations are one line "FILE:LINE: ..." with exit 2.
source "$(dirname "$0")/lib.bash"
R=$OUT/runs

# run SCENARIO SEED [ARGS...]: $? is the exit code; sets T (trace) and D (run dir)
run() {
  local sc=$1 seed=$2; shift 2
  sim run "scenarios/$sc.lua" --seed "$seed" --out "$R" --quiet "$@"
  local rc=$?
  D=$R/$sc/$seed T=$D/trace.jsonl
  return $rc
}
count() { grep -c -- "$1" "$T"; }
q() { sqlite3 "$D/$1.db" "$2"; }

# ---- a full disk at the payment commit ------------------------------------------------
run disk-full-at-commit 1; check "full disk: exit 0" test $? -eq 0
full=$(count '"ev":"disk_fault","node":"payment","fault":[12],"op":"write","error":"full"')
check "full disk: disk_fault lines ($full)" test "$full" -gt 1
check "full disk: the nth = 1 fault failed exactly one call, its first, on the WAL" \
  test "$(count '"ev":"disk_fault","node":"payment","fault":2,"op":"write","error":"full","call":1,"file":"wal"}')" -eq 1
told=$(count '"result":"failed","detail":"error: payment.db: commit: database or disk is full"')
check "full disk: clients told their commit failed ($told)" test "$told" -gt 0
check "full disk: no payment told failed is in the database" \
  test "$(grep '"result":"failed"' "$T" | grep -o '"pay":[0-9]*' | cut -d: -f2 |
          while read -r p; do q payment "SELECT count(*) FROM payment WHERE id=$p"; done |
          grep -c '^1$')" -eq 0
check "full disk: summary counts the disk faults" grep -q '"disk_faults"' "$D/summary.json"
check "full disk: the VFS journal is in payment.disk/" test -f "$D/payment.disk/disk.journal"

# ---- EIO halfway through a commit, and at COMMIT under publish-in-tx -------------------
run disk-eio-mid-commit 1; check "eio mid-commit: exit 0" test $? -eq 0
check "eio mid-commit: the 2nd write failed in payment and in accounting, on the WAL" \
  bash -c "grep -q '\"ev\":\"disk_fault\",\"node\":\"payment\",\"fault\":1,\"op\":\"write\",\"error\":\"eio\",\"call\":2,\"file\":\"wal\"}' '$T' &&
           grep -q '\"ev\":\"disk_fault\",\"node\":\"accounting\",\"fault\":2,\"op\":\"write\",\"error\":\"eio\",\"call\":2,\"file\":\"wal\"}' '$T'"
check "eio mid-commit: accounting reported the failed commit" \
  grep -q '"node":"accounting","kind":"error","detail":"accounting.db: commit: disk I/O error"' "$T"
run disk-eio-mid-commit 1 --design publish-in-tx
check "eio mid-commit under publish-in-tx: a phantom (exit 1)" test $? -eq 1
run disk-eio-publish-in-tx 1 --design publish-in-tx
check "eio at COMMIT under publish-in-tx: a phantom (exit 1)" test $? -eq 1
check "eio at COMMIT, publish-in-tx: summary says no_phantom broke" \
  grep -q '"no_phantom": *{ *"ok": *false' "$D/summary.json"
run disk-eio-publish-in-tx 1
check "eio at COMMIT under outbox: the same faults are harmless (exit 0)" test $? -eq 0

# ---- EIO on a read inside a transaction (lib's OX_ERR_DB paths of lookups) ---------------
run disk-eio-second-statement 1; check "eio on read: exit 0" test $? -eq 0
check "eio on read: the INSERT of the outbox row failed, after the payment row's" \
  grep -q '"result":"failed","detail":"error: payment.db: insert outbox row: disk I/O error"' "$T"
check "eio on read: a payment lookup failed" \
  grep -q '"detail":"error: payment.db: look up payment: disk I/O error"' "$T"
check "eio on read: accounting's inbox lookup failed" \
  grep -q '"node":"accounting","kind":"error","detail":"accounting.db: look up inbox: disk I/O error"' "$T"
check "eio on read: no payment without its outbox row" \
  test "$(q payment 'SELECT count(*) FROM payment WHERE id NOT IN (SELECT payment_id FROM outbox)')" -eq 0

# ---- fsync failing -------------------------------------------------------------------
run disk-fsync-fail 1; check "fsync fail: exit 0" test $? -eq 0
check "fsync fail: syncs failed" test "$(count '"op":"sync","error":"fsync_fail"')" -gt 0
check "fsync fail: the client was told" \
  test "$(count '"result":"failed","detail":"error: payment.db: commit: disk I/O error"')" -gt 0

# ---- a pause longer than the visibility timeout ---------------------------------------
run pause-past-visibility 1; check "pause: exit 0" test $? -eq 0
check "pause: paused at 3 s until 11 s, resumed with events waiting" \
  bash -c "grep -q '\"t\":3.000000,\"ev\":\"pause\",\"node\":\"accounting\",\"fault\":1,\"until\":11.000000' '$T' &&
           grep -q '\"t\":11.000000,\"ev\":\"resume\",\"node\":\"accounting\",\"fault\":1,\"waiting\":[1-9]' '$T'"
check "pause: accounting handled nothing in [3, 11)" \
  test -z "$(grep '"node":"accounting"' "$T" | grep -E '"ev":"(note|timer)"' |
             awk -F'"t":' '{split($2,a,","); if (a[1] >= 3 && a[1] < 11) print}')"
check "pause: the broker redelivered meanwhile" test "$(count '"kind":"redeliver"')" -gt 0
check "pause: accounting absorbed the copies" test "$(count '"node":"accounting","kind":"duplicate"')" -gt 0
check "pause: one voucher per payment" \
  test "$(q accounting 'SELECT count(*) - count(DISTINCT msg_id) FROM voucher')" -eq 0

# ---- a clock at another rate ---------------------------------------------------------
run clock-fast-payment 1; check "fast clock: exit 0" test $? -eq 0
check "fast clock: the scan timer (1 s on its clock) fires every 0.667 s" \
  bash -c "grep '\"ev\":\"timer\",\"node\":\"payment\",\"id\":1}' '$T' | head -2 |
           grep -o '\"t\":[0-9.]*' | tr '\n' ' ' | grep -q '\"t\":0.666667 \"t\":1.333334'"
check "fast clock: rows carry its clock (a payment at 0.010 s is stamped 0.015 s)" \
  test "$(q payment 'SELECT created_at FROM outbox WHERE payment_id = 1')" -eq 1700000000015
check "fast clock: announced with its rate" \
  grep -q '"kind":"clock","target":"payment".*"lua":"clock { node = \\"payment\\", rate = 1.5 }"' "$T"

# ---- determinism: batched or not, a rerun -----------------------------------------------
for sc in disk-full-at-commit pause-past-visibility clock-fast-payment; do
  run "$sc" 2; a=$(sha256sum <"$T")
  OUTBOX_SIM_BATCH=1 run "$sc" 2; b=$(sha256sum <"$T")
  check "$sc: the same trace stepped one event at a time" test "$a" = "$b"
done

# ---- bad input -------------------------------------------------------------------------
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
bad "disk fault" "disk: unknown fault 'ful' (did you mean 'full'?" 'disk { node = "payment", fault = "ful" }'
bad "disk op" "disk: unknown on 'wrte'" 'disk { node = "payment", fault = "eio", on = "wrte" }'
bad "full on sync" "disk: fault 'full' fails writes only" 'disk { node = "payment", fault = "full", on = "sync" }'
bad "fsync on read" "disk: fault 'fsync_fail' fails syncs only" 'disk { node = "payment", fault = "fsync_fail", on = "read" }'
bad "disk without fault" "disk: needs 'fault'" 'disk { node = "payment" }'
bad "disk p and nth" "disk: give either 'p' or 'nth', not both" 'disk { node = "payment", fault = "eio", p = 0.1, nth = 2 }'
bad "disk any node" "disk: 'node' must name one node" 'disk { node = "*", fault = "eio" }'
bad "pause past healing" "pause: it ends at 12 s" 'pause { node = "broker", at = 8, duration = 4 }'
bad "pause without duration" "pause: needs 'duration'" 'pause { node = "broker", at = 2 }'
bad "pause zero" "pause: 'duration' must be a time in seconds >" 'pause { node = "broker", at = 2, duration = 0 }'
bad "clock rate 0" "clock: 'rate' must be a rate >= 0.01" 'clock { node = "payment", rate = 0 }'
bad "clock nothing" "clock: needs 'skew'" 'clock { node = "payment" }'
bad "disk restart_after alone" "disk: 'restart_after' goes with 'at_start = true'" 'disk { node = "payment", fault = "eio", restart_after = 1 }'
bad "nemesis pause_max alone" "nemesis: 'pause_max' goes with 'pause_every'" 'nemesis { pause_max = 2 }'

# ---- the broker's incarnation under two power cuts (synchronous=normal) ----------------
run disk-broker-incarnation 1; check "incarnation: exit 0" test $? -eq 0
check "incarnation: two power cuts took unsynced writes back" \
  test "$(grep '"ev":"power_cut","node":"broker"' "$T" | grep -c '"keep":"none","writes_lost":[1-9]')" -eq 2
check "incarnation: each life bumped it durably (1, 2, 3)" \
  test "$(grep -o '"node":"broker","kind":"recover","detail":"incarnation [0-9]*' "$T" |
          grep -o '[0-9]*$' | tr '\n' ' ')" = "1 2 3 "
sed 's/"incarnation 2: /"incarnation 1: /' "$T" >"$OUT/reused.jsonl"
"${BUILD:-build}/tools/history-check" "$OUT/reused.jsonl" outbox 60 durable=1 >"$OUT/hc.out" 2>&1
check "incarnation handed out twice (planted): exit 1" test $? -eq 1
check "... flagged by dack_names_delivery" \
  grep -q '^dack_names_delivery .*incarnation 1 after incarnation 1' "$OUT/hc.out"

# ---- disk faults at START (at_start): the service exits 3, is restarted, nothing breaks ----
run disk-start-payment 1; check "start payment: exit 0" test $? -eq 0
for why in "cannot open payment.db: begin schema: disk I/O error" \
           "cannot open payment.db: cannot open: disk I/O error" \
           "cannot open payment.db: reading its identity: disk I/O error" \
           "cannot open payment.db: count SENDING rows: disk I/O error" \
           "cannot open accounting.db: cannot switch to journal_mode wal: disk I/O error"; do
  check "start payment: a START failed: $why" grep -q "\"ev\":\"start_failed\".*\"why\":\"$why\"" "$T"
done
check "start payment: each failed START is restarted 0.5 s later" \
  test "$(grep -c '"ev":"start_failed"' "$T")" -eq 6
check "start payment: the failed life logged its fatal line and exited (no process left)" \
  grep -q 'outbox-node: payment: fatal: cannot open payment.db: count SENDING rows' "$D/payment.log"
check "start payment: after its restart the payment served (a payment committed after 9 s)" \
  grep -q '"t":9\.[0-9]*,"ev":"reply","node":"client","pay":[0-9]*,"result":"ok"' "$T"
run disk-start-broker 1; check "start broker: exit 0" test $? -eq 0
{ echo 'scenario { name = "back3", knobs = { durable = 1, ["broker.journal_mode"] = "delete" },'
  echo '  workload = { payments = 60, rate = 10 }, run = 12, settle = 60 }'
  grep '"ev":"fault"' "$T" | sed 's/.*"lua":"//; s/"}$//; s/\\"/"/g'; } >"$OUT/back3.lua"
sim run "$OUT/back3.lua" --seed 1 --out "$R" --quiet
check "start broker: its faults written back as Lua (at_start, restart_after) run the same" \
  test "$(grep -E '"ev":"(start_failed|restart)"' "$T")" = \
       "$(grep -E '"ev":"(start_failed|restart)"' "$R/back3/1/trace.jsonl")"
check "start broker: the bump of the incarnation and the load failed at START" \
  bash -c "grep -q '\"why\":\"cannot open broker.db: bump incarnation: disk I/O error\"' '$T' &&
           grep -q '\"why\":\"cannot open broker.db: load stored messages: disk I/O error\"' '$T'"
check "start broker: the incarnation only grows (1 2 4: the failed load's bump is skipped)" \
  test "$(grep -o '"node":"broker","kind":"recover","detail":"incarnation [0-9]*' "$T" |
          grep -o '[0-9]*$' | tr '\n' ' ')" = "1 2 4 "
run disk-eio-scan 1; check "eio scan: exit 0" test $? -eq 0
check "eio scan: the relay scan's query failed" \
  grep -q '"node":"payment","kind":"error","detail":"payment.db: scan due rows: disk I/O error"' "$T"
check "eio scan: the cleanup's DELETE failed, and a later scan deleted the rows" \
  bash -c "grep -q '\"detail\":\"payment.db: clean up settled rows: disk I/O error\"' '$T' &&
           test \$(grep -c '\"kind\":\"cleanup\"' '$T') -gt 0"
run disk-fsync-durable-send 1; check "barrier sync fails: exit 0" test $? -eq 0
check "barrier sync fails: payment did not publish, accounting did not answer (file name only)" \
  bash -c "grep -q '\"detail\":\"payment.db: durability barrier: sync failed: disk I/O error: PAYMENT not sent\"' '$T' &&
           grep -q '\"detail\":\"accounting.db: durability barrier: sync failed: disk I/O error: CONSUMED not sent\"' '$T'"
f=$OUT/atstart.lua
{ echo 'scenario { name = "atstart", workload = { payments = 10, rate = 10 }, run = 4, settle = 20 }'
  echo 'disk { node = "payment", fault = "eio", on = "read", p = 1, stop = 2, at_start = true }'; } >"$f"
sim run "$f" --seed 1 --out "$R" --quiet
check "p = 1 at START until 2 s: payment is restarted every second until the window ends (exit 0)" \
  test $? -eq 0
check "... its STARTs at 0 s and 1 s fail, the one at 2 s (the window's end) does not" \
  test "$(grep -c '"ev":"start_failed"' "$R/atstart/1/trace.jsonl")" -eq 2

# ---- make coverage's list of OX_ERR_DB paths (scripts/coverage_summary.py --errdb) ----------
# gcovr's per-line records made up from the real sites: every path taken but those argued
# unreachable; then one path not taken, then an unreachable one taken.
fake_cov() {   # fake_cov OUT [NOT_TAKEN_FUNCTION] [TAKEN_UNREACHABLE_FUNCTION]
  python3 - "$@" <<'PY'
import json, sys
sys.dont_write_bytecode = True
sys.path.insert(0, "scripts")
import coverage_summary as cs
out, skip, take = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "", sys.argv[3] if len(sys.argv) > 3 else ""
files = {}
for rel, n, fn, text, ctx in cs.errdb_sites():
    why = any(f == rel and g == fn and p in ctx for (f, g, p) in cs.ERRDB_UNREACHABLE)
    hit = (fn == take) if why else (fn != skip)
    br = [{"count": 1 if hit else 0}, {"count": 5}] if text.startswith("if (") else []
    files.setdefault(rel, []).append({"line_number": n, "count": 5 if (hit or br) else 0,
                                      "branches": br})
json.dump({"files": [{"file": f, "lines": l} for f, l in files.items()]}, open(out, "w"))
PY
}
fake_cov "$OUT/cov-all.json"
python3 scripts/coverage_summary.py --errdb "$OUT/cov-all.json" >"$OUT/errdb.out"
check "errdb list: every path reached or argued: exit 0" test $? -eq 0
check "errdb list: the scan's query is listed, reached" \
  grep -q '^  lib/scan.c:[0-9]* *collect *reached' "$OUT/errdb.out"
check "errdb list: a lost group is argued unreachable, with why" \
  bash -c "grep -A1 'group_lost *unreachable' '$OUT/errdb.out' | grep -q 'why: '"
fake_cov "$OUT/cov-miss.json" collect
python3 scripts/coverage_summary.py --errdb "$OUT/cov-miss.json" >"$OUT/errdb.out"
check "errdb list: the scan's query not reached: exit 1" test $? -eq 1
check "... named NOT REACHED" grep -q '^  lib/scan.c:[0-9]* *collect *NOT REACHED' "$OUT/errdb.out"
fake_cov "$OUT/cov-stale.json" "" group_lost
python3 scripts/coverage_summary.py --errdb "$OUT/cov-stale.json" >"$OUT/errdb.out"
check "errdb list: a path argued unreachable that a run reached: exit 1" test $? -eq 1
check "... says to drop the argument" grep -q 'REACHED after all' "$OUT/errdb.out"

# ---- written back as Lua (shrink) --------------------------------------------------------
f=$OUT/back.lua
{ echo 'scenario { name = "back", workload = { payments = 20, rate = 10 }, run = 10, settle = 30 }'
  echo 'nemesis { disk = 0.2, pause_every = 3, pause_max = 2, clock_rate = 0.1, swarm = false }'; } >"$f"
sim run "$f" --seed 3 --out "$R" --quiet
check "nemesis with disk, pause, clock_rate: exit 0" test $? -eq 0
T=$R/back/3/trace.jsonl
check "nemesis drew a disk fault, a pause and clock rates" \
  bash -c "grep -q '\"kind\":\"disk\"' '$T' && grep -q '\"kind\":\"pause\"' '$T' &&
           grep -q '\"lua\":\"clock { node = ..payment.., rate = ' '$T'"
{ echo 'scenario { name = "back2", workload = { payments = 20, rate = 10 }, run = 10, settle = 30 }'
  grep '"ev":"fault"' "$T" | sed 's/.*"lua":"//; s/"}$//; s/\\"/"/g'; } >"$OUT/back2.lua"
sim run "$OUT/back2.lua" --seed 3 --out "$R" --quiet
check "the faults written back as Lua load and run (exit 0)" test $? -eq 0
check "written back: the same faults act the same" \
  test "$(grep -E '"ev":"(disk_fault|pause|resume)"' "$T" | sed 's/"fault":[0-9]*,//')" = \
       "$(grep -E '"ev":"(disk_fault|pause|resume)"' "$R/back2/3/trace.jsonl" | sed 's/"fault":[0-9]*,//')"
# ---- a long run directory: a failed START still says why ----------------------------
# The databases in the run dir itself (OUTBOX_SIM_TMPDB=0), whose path is 250 bytes: the
# error after "PATH: " must not be cut off (lib/service.h, OX_SERVICE_ERR_MAX).
long="$OUT/$(printf 'd%.0s' {1..120})/$(printf 'e%.0s' {1..100})"
mkdir -p "$long"
OUTBOX_SIM_TMPDB=0 sim run scenarios/disk-start-accounting.lua --seed 1 --out "$long" --quiet
check "a 250-byte run dir: disk-start-accounting passes (exit 0)" test $? -eq 0
check "... and each failed START says what failed" \
  test "$(grep -c '"kind":"fatal","detail":"cannot open accounting.db: [a-z ]*: disk I/O error"' \
          "$long/disk-start-accounting/1/trace.jsonl")" -eq 2
rm -rf "$OUT/ddd"*

check "nothing left behind" leftovers "$OUT"
