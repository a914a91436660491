#!/usr/bin/env bash
# tests/system/history.sh: the history invariants (sim/check/history.h) on real runs.
# Each weak design that breaks a history contract is caught by the invariant named for
# it, and the scenario library's own design passes them all.  Where no design breaks a
# check, a real run's trace gets one planted fault (a line edited as the bug would have
# written it), or is judged under knobs the services did not run with, and
# build/tools/history-check, the same checks alone, names the invariant that fault breaks.
source "$(dirname "$0")/lib.bash"

HC=${BUILD:-build}/tools/history-check
R=$OUT/runs

# run SCENARIO DESIGN: one run at seed 1; its exit code in $rc.
run() {
    sim run "scenarios/$1.lua" --seed 1 --design "$2" --out "$R/$2" --quiet >/dev/null 2>&1
    rc=$?
}
# broken DESIGN SCENARIO INV: the run's summary.json says INV broke, with trace lines.
broken() {
    python3 - "$R/$1/$2/1/summary.json" "$3" <<'PY'
import json, sys
inv = json.load(open(sys.argv[1]))["invariants"][sys.argv[2]]
v = inv["violations"]
sys.exit(0 if inv["count"] > 0 and v and v[0]["trace_lines"] else 1)
PY
}

# ---- the full design holds every history invariant --------------------------------------
for s in clean crash-after-publish dead-letters broker-crash-durable cleanup-dead-letters; do
    run "$s" outbox
    check "outbox $s: expectations met (exit 0)" test "$rc" -eq 0
done
check "outbox clean: summary.json lists the history invariants" \
    grep -q '"restart_state": {"ok": true' "$R/outbox/clean/1/summary.json"

# ---- weak designs, each caught by its history invariant --------------------------------
while read -r design scenario inv; do
    case $design in ''|'#'*) continue ;; esac
    run "$scenario" "$design"
    check "$design on $scenario: FAIL (exit 1)" test "$rc" -eq 1
    check "... $inv broken, with the trace lines behind it" broken "$design" "$scenario" "$inv"
done <tests/history-breaks.txt
held() {   # DESIGN SCENARIO INV: INV held in that run
    grep -q "\"$3\": {\"ok\": true" "$R/$1/$2/1/summary.json"
}
check "cleanup-by-age: the DEAD rows it deleted are named" \
    grep -q 'msg [0-9]* deleted by the cleanup while DEAD' \
    "$R/cleanup-by-age/cleanup-dead-letters/1/summary.json"
check "... where the end state's dead_letters_alerted held (the tombstones keep alerts)" \
    held cleanup-by-age cleanup-dead-letters dead_letters_alerted
check "outbox cleanup-dead-letters: the cleanup did delete settled rows" \
    grep -q '"rows_cleaned": [1-9]' "$R/outbox/cleanup-dead-letters/1/summary.json"

# ---- planted faults in real traces ---------------------------------------------------------
# judged TRACE INV DESIGN NPAY KNOBS...: history-check exits 1 naming INV.
judged() {
    local trace=$1 inv=$2
    shift 2
    "$HC" "$trace" "$@" >"$OUT/hc.out" 2>&1
    local code=$?
    [ "$code" -eq 1 ] && grep -q "^$inv " "$OUT/hc.out"
}
T=$R/outbox
check "the untouched dead-letters trace passes history-check" \
    "$HC" "$T/dead-letters/1/trace.jsonl" outbox 60 retry=linear retry_base=2 max_attempts=4
sed '0,/(outbox row 1)/s//(outbox row 2)/' "$T/dead-letters/1/trace.jsonl" >"$OUT/alert.jsonl"
check "an alert naming another row: alert_names_row" \
    judged "$OUT/alert.jsonl" alert_names_row outbox 60 retry=linear retry_base=2 max_attempts=4
grep -v '"kind":"alert"' "$T/dead-letters/1/trace.jsonl" >"$OUT/silent.jsonl"
check "a DEAD with no alert: alert_names_row" \
    judged "$OUT/silent.jsonl" alert_names_row outbox 60 retry=linear retry_base=2 max_attempts=4
# Design ordered: a DEAD head's alert says how many later messages of its account it
# blocks (ordered.c); the history counts the account's rows still SENDING behind it.
sim run scenarios/ordering-dead-head.lua --seed 1 --out "$R/ordered" --quiet
OT=$R/ordered/ordering-dead-head/1/trace.jsonl
OK=(ordered 30 retry=linear retry_base=1 max_attempts=3)
check "the untouched ordering-dead-head trace passes history-check" "$HC" "$OT" "${OK[@]}"
sed -E 's/(DEAD_LETTER: [^"]*); it blocks [^"]*/\1/' "$OT" >"$OUT/noblock.jsonl"
check "design ordered, an alert that does not say what it blocks: alert_names_row" \
    judged "$OUT/noblock.jsonl" alert_names_row "${OK[@]}"
sed -E 's/it blocks ([0-9]+) later/it blocks 1\1 later/' "$OT" >"$OUT/miscount.jsonl"
check "design ordered, an alert miscounting what it blocks: alert_names_row" \
    judged "$OUT/miscount.jsonl" alert_names_row "${OK[@]}"
check "... naming the count the history holds" grep -q "the history holds [0-9]" "$OUT/hc.out"
sed -E 's/later messages? of account ([0-9]+)/later messages of account 9\1/' "$OT" \
    >"$OUT/otheracc.jsonl"
check "design ordered, an alert naming another account: alert_names_row" \
    judged "$OUT/otheracc.jsonl" alert_names_row "${OK[@]}"
# The jitter's two sides: every republication the jitter brought early moved to its
# interval (attempt n waits 2 s * n), as a jitter drawn from [0, +jitter) would have left it.
sim run scenarios/retry-jitter-both-ways.lua --seed 1 --out "$R/jitter" --quiet
JT=$R/jitter/retry-jitter-both-ways/1/trace.jsonl
JK=(outbox 80 retry=linear retry_base=2 jitter=0.5 scan_interval=0.1)
check "the untouched retry-jitter-both-ways trace passes history-check" "$HC" "$JT" "${JK[@]}"
python3 -c '
import sys, json
last = {}
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("ev") == "note" and e.get("kind") == "publish" and e.get("node") == "payment":
        d = e["detail"].split(); m, a = d[1], int(d[3])
        if m in last and a > 1 and e["t"] < last[m] + 2.0 * (a - 1):
            e["t"] = round(last[m] + 2.0 * (a - 1), 6)
            l = json.dumps(e, separators=(",", ":")) + "\n"
        last[m] = e["t"]
    sys.stdout.write(l)' "$JT" >"$OUT/onesided.jsonl"
check "a jitter that only ever delays: retry_schedule" \
    judged "$OUT/onesided.jsonl" retry_schedule "${JK[@]}"
check "... saying which side it never showed" \
    grep -q "no republication came earlier than the policy's interval" "$OUT/hc.out"
# A failed disk call swallowed: the payment's error notes taken out of a run with EIO on
# its database, so the steps that rolled back answered frames as if they had committed.
run disk-eio-refunds outbox
check "outbox disk-eio-refunds: expectations met (exit 0)" test "$rc" -eq 0
ET=$R/outbox/disk-eio-refunds/1/trace.jsonl
check "the untouched disk-eio-refunds trace passes history-check" "$HC" "$ET" outbox 100
grep -v '"node":"payment","kind":"error"' "$ET" >"$OUT/swallowed.jsonl"
check "payment's error notes taken out: errors_reported" \
    judged "$OUT/swallowed.jsonl" errors_reported outbox 100
check "... naming the call that failed and when" grep -q "payment's write failed at [0-9.]* s" \
    "$OUT/hc.out"
sed '0,/"kind":"consumed"/{/"kind":"consumed"/p}' "$T/clean/1/trace.jsonl" >"$OUT/twice.jsonl"
check "a row marked CONSUMED twice: final_states_final" \
    judged "$OUT/twice.jsonl" final_states_final outbox 100
check "accounting under a rule it did not run with (frozen=1): business_rules" \
    judged "$T/clean/1/trace.jsonl" business_rules outbox 100 frozen=1
check "... and max_amount one below a booked amount: business_rules" \
    judged "$T/clean/1/trace.jsonl" business_rules outbox 100 max_amount=3068
check "redeliveries inside a 60 s visibility timeout: broker_redelivery" \
    judged "$T/crash-after-publish/1/trace.jsonl" broker_redelivery outbox 100 visibility=60
check "... and any redelivery under at-most-once: broker_redelivery" \
    judged "$T/crash-after-publish/1/trace.jsonl" broker_redelivery outbox 100 delivery=at-most-once
sed '0,/"delivery 4294967297 (msg 1 PAYMENT) acked/s//"delivery 4294967298 (msg 1 PAYMENT) acked/' \
    "$T/clean/1/trace.jsonl" >"$OUT/ack.jsonl"
check "an ack naming another delivery than its DACK: dack_names_delivery" \
    judged "$OUT/ack.jsonl" dack_names_delivery outbox 100
sed 's/incarnation 2: 45 messages restored/incarnation 2: 44 messages restored/' \
    "$T/broker-crash-durable/1/trace.jsonl" >"$OUT/lost.jsonl"
check "the durable broker's restart gives back fewer than were unacked: restart_state" \
    judged "$OUT/lost.jsonl" restart_state outbox 100 durable=1
# The same trace judged as in-memory queues: a broker that keeps them ignores the knob.
check "a broker of in-memory queues (durable = false) that restores messages: restart_state" \
    judged "$T/broker-crash-durable/1/trace.jsonl" restart_state outbox 100 durable=0
check "... saying a crash takes them" grep -q "but its queues are in memory" "$OUT/hc.out"
sed '0,/"1 outbox rows SENDING/s//"0 outbox rows SENDING/' \
    "$T/crash-after-publish/1/trace.jsonl" >"$OUT/gone.jsonl"
check "the payment's restart finds fewer SENDING rows than committed: restart_state" \
    judged "$OUT/gone.jsonl" restart_state outbox 100
check "... cites the restart it pins the loss to" grep -q '^restart_state 1: .*\[[0-9]* [0-9]*\]' "$OUT/hc.out"
"$HC" "$OUT/no-such.jsonl" outbox 10 >/dev/null 2>&1
check "a missing trace: exit 3" test $? -eq 3
"$HC" "$T/clean/1/trace.jsonl" outbox 10 bogus=1 >/dev/null 2>&1
check "an unknown knob: exit 2" test $? -eq 2

# ---- accounting's restarts (restart_state, its "recover" note) -----------------------------
run crash-after-apply outbox
check "outbox crash-after-apply: expectations met (exit 0)" test "$rc" -eq 0
check "... accounting's restart reports what it found" \
    grep -q '"node":"accounting","kind":"recover","detail":"5 inbox rows, 5 vouchers"' \
    "$T/crash-after-apply/1/trace.jsonl"
sed 's/"5 inbox rows, 5 vouchers"/"4 inbox rows, 4 vouchers"/' \
    "$T/crash-after-apply/1/trace.jsonl" >"$OUT/acc-lost.jsonl"
check "accounting's restart finds a voucher fewer than it committed: restart_state" \
    judged "$OUT/acc-lost.jsonl" restart_state outbox 100
check "... pinned to accounting's restart" \
    grep -q '^restart_state 1: accounting restarted and found 4 inbox rows' "$OUT/hc.out"
# A real loss: the power cut takes back 30 committed inbox rows under synchronous=normal,
# which promises nothing (the run passes); judged as if the knobs had promised every
# commit durable (synchronous=full), restart_state pins the loss to the restart.
run power-accounting-normal outbox
check "outbox power-accounting-normal: expectations met (exit 0)" test "$rc" -eq 0
check "the cut's vouchers, under knobs that promise them: restart_state" \
    judged "$T/power-accounting-normal/1/trace.jsonl" restart_state outbox 60 \
    accounting.synchronous=full
check "... names what the restart found against what was committed" \
    grep -q '^restart_state 1: accounting restarted and found 0 inbox rows and 0 vouchers; the history committed 30' \
    "$OUT/hc.out"

# ---- the broker's contract: delivered until acked (issue 12) -------------------------------
while read -r design scenario inv; do
    run "$scenario" "$design"
    check "$design on $scenario: FAIL (exit 1)" test "$rc" -eq 1
    check "... $inv broken, with the trace lines behind it" broken "$design" "$scenario" "$inv"
done <<'CASES'
auto-ack clean delivered_until_acked
forget-unacked-on-restart broker-crash-durable delivered_until_acked
forget-unacked-on-restart broker-crash-durable restart_state
redeliver-early queue-wait-past-visibility broker_redelivery
CASES
check "forget-unacked-on-restart: the forgotten deliveries are named" \
    grep -q 'never delivered again after the restart' \
    "$R/forget-unacked-on-restart/broker-crash-durable/1/summary.json"
run queue-wait-past-visibility outbox
check "outbox queue-wait-past-visibility: expectations met (exit 0)" test "$rc" -eq 0
check "... and delivered_until_acked judged, held" \
    held outbox queue-wait-past-visibility delivered_until_acked
sed '0,/"kind":"ack"/{/"kind":"ack"/d}' "$T/clean/1/trace.jsonl" >"$OUT/unacked.jsonl"
check "a delivery neither acked nor sent again: delivered_until_acked" \
    judged "$OUT/unacked.jsonl" delivered_until_acked outbox 100
check "the untouched broker-crash-durable trace passes history-check" \
    "$HC" "$T/broker-crash-durable/1/trace.jsonl" outbox 100 durable=1
