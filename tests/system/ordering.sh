#!/usr/bin/env bash
# tests/system/ordering.sh: per-key ordering (issue 14).  The history invariant `ordering`
# fires on real runs of a design that claims per-account order and does nothing for it
# (ordered-naive: retries reorder an account's messages), holds under design `ordered`
# (one message of an account in flight), is not judged under designs that claim no
# order; and `ordered`'s own failure mode: a DEAD head blocks its account, each held row
# is noted, the alert says how many later messages it blocks, the run still goes quiet,
# and an operator's requeue brings the blocked rows home in order.
source "$(dirname "$0")/lib.bash"

R=$OUT/runs
HC=${BUILD:-build}/tools/history-check

# run SCENARIO DESIGN [FILE]: one run at seed 1; its exit code in $rc.
run() {
    sim run "${3:-scenarios/$1.lua}" --seed 1 --design "$2" --out "$R/$2" --quiet >/dev/null 2>&1
    rc=$?
}
# inv DESIGN SCENARIO INV FIELD: prints summary.json's FIELD (ok, skipped, count) of INV.
inv() {
    python3 - "$R/$1/$2/1/summary.json" "$3" "$4" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))["invariants"][sys.argv[2]]
print(str(i[sys.argv[3]]).lower())
PY
}
notes() { grep -c "\"kind\":\"$2\"" "$1/trace.jsonl"; }

# ---- retries reorder: caught under ordered-naive, kept under ordered -------------------
run ordering-retries ordered-naive
check "ordered-naive on ordering-retries: FAIL (exit 1)" test "$rc" -eq 1
check "... ordering broken" test "$(inv ordered-naive ordering-retries ordering ok)" = false
S=$R/ordered-naive/ordering-retries/1
read -r first lines < <(python3 - "$S/summary.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["invariants"]["ordering"]["violations"][0]
print(v["text"].replace(" ", "_"), " ".join(str(n) for n in v["trace_lines"]))
PY
)
check "... the first inversion names two payments of one account" \
    grep -qE '^account_[0-9]+:_msg_[0-9]+_\(payment_[0-9]+\)_applied_while_msg_[0-9]+_\(payment_[0-9]+\),_committed_before_it' <<<"$first"
set -- $lines
check "... and cites three trace lines: two commits, then an apply" \
    test "$#" -eq 3 -a "$(sed -n "${1}p;${2}p" "$S/trace.jsonl" | grep -c '"kind":"commit"')" -eq 2 \
         -a "$(sed -n "${3}p" "$S/trace.jsonl" | grep -c '"kind":"apply"')" -eq 1
check "... the end state is whole all the same (the history alone sees it)" \
    test "$(inv ordered-naive ordering-retries exactly_once ok)$(inv ordered-naive ordering-retries eventual_consistency ok)" = truetrue

run ordering-retries ordered
check "ordered on ordering-retries: PASS (exit 0)" test "$rc" -eq 0
check "... ordering judged and kept" \
    test "$(inv ordered ordering-retries ordering skipped)$(inv ordered ordering-retries ordering ok)" = falsetrue
T=$R/ordered/ordering-retries/1
check "... rows were held behind their account's message in flight, and released" \
    test "$(notes "$T" hold)" -gt 0 -a "$(notes "$T" release)" -gt 0
check "... the same history judged as ordered-naive's is in order too" \
    "$HC" "$T/trace.jsonl" ordered-naive 60

run ordering-retries outbox
check "outbox on ordering-retries: PASS, ordering not judged (it claims no order)" \
    test "$rc" -eq 0 -a "$(inv outbox ordering-retries ordering skipped)" = true

# A planted inversion in ordered's own trace: two applies of one account swapped.
python3 - "$T/trace.jsonl" "$OUT/swapped.jsonl" <<'PY'
import json, sys, re
lines = open(sys.argv[1]).read().splitlines()
idx = {}
for i, l in enumerate(lines):
    o = json.loads(l)
    if o.get("kind") == "apply":
        acc = re.search(r"account (\d+)", o["detail"]).group(1)
        idx.setdefault(acc, []).append(i)
a, b = next(v for v in idx.values() if len(v) >= 2)[:2]
lines[a], lines[b] = lines[b], lines[a]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
"$HC" "$OUT/swapped.jsonl" ordered 60 >"$OUT/hc.out" 2>&1
rc=$?
check "history-check: two applies of one account swapped break ordering (exit 1)" \
    test "$rc" -eq 1
check "... ordering names the overtaken message" grep -qE '^ordering [0-9]+: account [0-9]+: msg [0-9]+ .* applied while msg [0-9]+ ' "$OUT/hc.out"

# ---- a DEAD head blocks its account ----------------------------------------------------
run ordering-dead-head ordered
check "ordered on ordering-dead-head: expectations met (exit 0)" test "$rc" -eq 0
D=$R/ordered/ordering-dead-head/1
check "... ordering kept, convergence kept, eventual_consistency broken" \
    test "$(inv ordered ordering-dead-head ordering ok)$(inv ordered ordering-dead-head convergence ok)$(inv ordered ordering-dead-head eventual_consistency ok)" = truetruefalse
alert=$(grep '"kind":"alert"' "$D/trace.jsonl")
n=$(sed -n 's/.*; it blocks \([0-9]*\) later messages\{0,1\} of account \([0-9]*\)".*/\1/p' <<<"$alert")
acc=$(sed -n 's/.*; it blocks [0-9]* later messages\{0,1\} of account \([0-9]*\)".*/\1/p' <<<"$alert")
check "... the DEAD head's alert says how many later messages of its account it blocks" \
    test -n "$n" -a "${n:-0}" -gt 0
aline=$(grep -n '"kind":"alert"' "$D/trace.jsonl" | cut -d: -f1)
check "... N: the rows of its account held when it went DEAD" \
    test "$(head -n "$aline" "$D/trace.jsonl" | grep '"kind":"hold"' | grep -c "account ${acc:-0} ")" = "$n"
q="SELECT count(*) FROM outbox o JOIN payment p ON p.id=o.payment_id WHERE p.account=${acc:-0} AND o.id>1"
check "... every later row of its account is still SENDING, never published" \
    test "$(sqlite3 "$D/payment.db" "$q AND o.status='SENDING' AND o.attempts=0")" = \
         "$(sqlite3 "$D/payment.db" "$q")"
check "... each held row was noted" \
    test "$(grep '"kind":"hold"' "$D/trace.jsonl" | grep -c "account ${acc:-0} ")" -ge "$n"
check "... the other account was not blocked: it has vouchers" \
    test "$(sqlite3 "$D/accounting.db" "SELECT count(*) FROM voucher")" -gt 0
check "... and none of the blocked account after its head" \
    test "$(sqlite3 "$D/payment.db" "SELECT count(*) FROM outbox o JOIN payment p ON p.id=o.payment_id WHERE p.account=${acc:-0} AND o.status='CONSUMED' AND o.id>1")" = 0

run ordering-dead-head ordered-naive
check "ordered-naive on ordering-dead-head: the later payments overtake the dead one" \
    test "$(inv ordered-naive ordering-dead-head ordering ok)" = false

# The operator requeues the dead letter: the blocked rows follow it, in order.
sed -e 's/pay = 1 }/pay = 1, stop = 12 }/' \
    -e 's/^expect {/at(15, function() ctl("requeue", "all") end)\nexpect {/' \
    scenarios/ordering-dead-head.lua >"$OUT/requeue.lua"
python3 - "$OUT/requeue.lua" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = s[:s.index("expect {")] + 'expect { all_invariants = true, reached = { "operator_requeue" } }\n'
open(p, "w").write(s)
PY
run requeue ordered "$OUT/requeue.lua"
check "ordered, the dead head requeued by the operator: every payment home, in order (exit 0)" \
    test "$rc" -eq 0

# ---- relays keep the order too: a relay's claim skips rows an earlier unsettled one of
# their account blocks (OX_ORDERED_CLAIM_SQL), as the scan does --------------------------
run relays-lease ordered
check "ordered with three relays (relays-lease): exit 0" test "$rc" -eq 0
check "... ordering judged and held" test "$(inv ordered relays-lease ordering ok)" = true
run relays-lease ordered-naive
check "ordered-naive with the same relays: ordering broken" \
    test "$(inv ordered-naive relays-lease ordering ok)" = false
