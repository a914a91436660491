#!/usr/bin/env bash
# tests/system/retention.sh: the knobs inbox_retention and completion (lib/config.h) on
# real runs.  The files the completion leaves (no outbox row, a tombstone each, under
# archive an archived copy each), a retention too short caught by exactly_once and
# dedupe_same_answer where the right one holds, the purge's notes, and the history check
# that must still catch a completion deleting a row it did not finish (a planted fault in
# a real trace, judged by history-check; the end state's side, a tombstone that says
# SENDING, is tests/unit/sim/test_checker.c's test_completed_rows).
source "$(dirname "$0")/lib.bash"

HC=${BUILD:-build}/tools/history-check
R=$OUT/runs

run() {   # run SCENARIO [ARGS...]: seed 1, its exit code in $rc
    local s=$1
    shift
    sim run "scenarios/$s.lua" --seed 1 --out "$R" --quiet "$@" >/dev/null 2>&1
    rc=$?
}
q() { sqlite3 "$1" "$2"; }
inv() {   # inv SCENARIO INVARIANT: "true" (held) or "false" (broken) from summary.json
    python3 -c "import json,sys; print(str(json.load(open(sys.argv[1]))['invariants']"\
"[sys.argv[2]]['ok']).lower())" "$R/$1/1/summary.json" "$2"
}

# ---- completion = delete | archive -------------------------------------------------------
for m in delete archive; do
    run "completion-$m"
    check "completion-$m: expectations met (exit 0)" test "$rc" -eq 0
    P=$R/completion-$m/1/payment.db
    check "... no outbox row is left" test "$(q "$P" 'SELECT count(*) FROM outbox')" = 0
    check "... one tombstone per payment, each CONSUMED or FAILED" test \
        "$(q "$P" "SELECT count(*) FROM outbox_cleaned WHERE status IN ('CONSUMED','FAILED')")" \
        = "$(q "$P" 'SELECT count(*) FROM payment')"
    check "... FAILED exactly for the refunded payments" test \
        "$(q "$P" "SELECT count(*) FROM outbox_cleaned c JOIN payment p ON p.id = c.payment_id
                   WHERE (c.status = 'FAILED') != (p.status = 'REFUNDED')")" = 0
    check "... one complete note per payment" test \
        "$(grep -c '"kind":"complete"' "$R/completion-$m/1/trace.jsonl")" = 100
done
P=$R/completion-archive/1/payment.db
check "archive: every finished row is in outbox_archive once, as its tombstone says" test \
    "$(q "$P" "SELECT count(*) FROM outbox_cleaned c JOIN outbox_archive a
               ON a.id = c.outbox_id AND a.payment_id = c.payment_id AND a.status = c.status
               AND length(a.payload) > 0")" = 100
check "delete: no outbox_archive table at all" test \
    "$(q "$R/completion-delete/1/payment.db" \
         "SELECT count(*) FROM sqlite_schema WHERE name = 'outbox_archive'")" = 0
run clean
check "mark (the default): no table, no tombstone, no complete note" test \
    "$(q "$R/clean/1/payment.db" "SELECT count(*) FROM sqlite_schema
                                 WHERE name = 'outbox_archive'") $(q "$R/clean/1/payment.db" \
       'SELECT count(*) FROM outbox_cleaned') $(grep -c '"kind":"complete"' \
       "$R/clean/1/trace.jsonl")" = "0 0 0"

# A completion that deletes a row no answer finished: the history and the end state say so.
T=$R/completion-delete/1/trace.jsonl
check "the untouched completion-delete trace passes history-check" \
    "$HC" "$T" outbox 100 completion=delete
grep -v '"kind":"consumed"' "$T" >"$OUT/early.jsonl"
"$HC" "$OUT/early.jsonl" outbox 100 completion=delete >"$OUT/hc.out" 2>&1
check "rows deleted with no consumed note before them: cleanup_final_only (exit 1)" \
    test $? -eq 1
check "... naming the row deleted while SENDING" \
    grep -q '^cleanup_final_only .*deleted by its completion while SENDING' "$OUT/hc.out"
# ---- inbox_retention --------------------------------------------------------------------
run inbox-retention-too-short
check "retention 3 s: the scenario's expected break happened (exit 0)" test "$rc" -eq 0
check "... exactly_once broken" test "$(inv inbox-retention-too-short exactly_once)" = false
check "... dedupe_same_answer broken" \
    test "$(inv inbox-retention-too-short dedupe_same_answer)" = false
A=$R/inbox-retention-too-short/1/accounting.db
check "... a payment with two vouchers whose msg the inbox has forgotten or re-learned" test \
    "$(q "$A" "SELECT count(*) FROM (SELECT payment_id FROM voucher GROUP BY payment_id
               HAVING count(*) > 1)")" -gt 0
# variant SCENARIO NAME KNOB: the scenario with its inbox_retention replaced, as NAME.
variant() {
    mkdir -p "$OUT/sc"
    sed "s/inbox_retention = [0-9]*/inbox_retention = $3/" "scenarios/$1.lua" >"$OUT/sc/$2.lua"
    sim run "$OUT/sc/$2.lua" --seed 1 --out "$R" --quiet >/dev/null 2>&1
    rc=$?
}
variant inbox-retention-too-short too-short-60 60
check "the same faults with retention 60 s: exactly_once holds (exit 1: the expected break)" \
    test "$rc-$(inv too-short-60 exactly_once)" = 1-true
run inbox-retention-enough
check "retention 60 s: every invariant holds (exit 0)" test "$rc" -eq 0
check "... and the purge did forget ids" \
    grep -q '"node":"accounting","kind":"purge"' "$R/inbox-retention-enough/1/trace.jsonl"
# A purge that forgets a row younger than the retention: the history says which purge.
T=$R/inbox-retention-enough/1/trace.jsonl
RK=(outbox 80 inbox_retention=60 retry=linear retry_base=2 max_attempts=8)
check "the untouched inbox-retention-enough trace passes history-check" "$HC" "$T" "${RK[@]}"
python3 -c '
import re, sys
done = False
for l in open(sys.argv[1]):
    if not done and "\"kind\":\"purge\"" in l:
        l = re.sub(r"\"detail\":\"(\d+) ", lambda m: "\"detail\":\"%d " % (int(m.group(1)) + 5), l)
        done = True
    sys.stdout.write(l)' "$T" >"$OUT/purge.jsonl"
"$HC" "$OUT/purge.jsonl" "${RK[@]}" >"$OUT/hc.out" 2>&1
check "a purge forgetting 5 rows more than were old enough: dedupe_same_answer (exit 1)" \
    test $? -eq 1
check "... naming the purge and the retention" \
    grep -q '^dedupe_same_answer .*forgot [0-9]* inbox rows at .*inbox_retention (60000 ms)' \
    "$OUT/hc.out"
variant inbox-retention-enough enough-1 1
check "retention 1 s under the same faults: exit 1, exactly_once broken" \
    test "$rc-$(inv enough-1 exactly_once)" = 1-false
