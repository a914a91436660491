#!/usr/bin/env bash
# tests/system/causes.sh: a violation is explained by what this run's history shows, not
# by a sentence per invariant (sim/report/cause.h), and the duplicates each side absorbed
# are counted apart.
#
# The same invariant broken for different reasons gets different sentences:
# eventual_consistency under ack-before-apply (an ack before the voucher, then a crash)
# and under outbox-no-recovery (a lost frame nobody resent).  Each sentence cites trace
# lines that say what it claims, and report.html's data carries the step that broke it
# (the chart marks it; report.sh renders the page).
source "$(dirname "$0")/lib.bash"

RUNS="$OUT/runs"
# run_fail FILE DESIGN: a run that must fail (exit 1); summary in $OUT/last.out.
run_fail() {
  sim run "$1" --seed 1 --design "$2" --out "$RUNS"
  local rc=$?
  check "${1##*/} under $2 fails (exit 1)" [ $rc = 1 ]
}
# line_is DIR N PATTERN: trace line N of the run in DIR matches PATTERN.
line_is() { sed -n "$2p" "$1/trace.jsonl" | grep -q "$3"; }

run_fail scenarios/crash-after-ack.lua ack-before-apply
dir="$RUNS/crash-after-ack/1"
why=$(grep -m1 '^      why: ' "$OUT/last.out")
check "ack-before-apply: the why tells the early ack and the crash" \
  grep -q 'acked the delivery of message 5 (line [0-9]*) before writing its voucher, then crashed (line [0-9]*)' <<<"$why"
ack=$(sed -n 's/.*(line \([0-9]*\)) before writing.*/\1/p' <<<"$why")
crash=$(sed -n 's/.*then crashed (line \([0-9]*\)).*/\1/p' <<<"$why")
check "... its ack line is accounting's DACK" line_is "$dir" "$ack" '"from":"accounting".*"label":"DACK"'
check "... its crash line is accounting's crash" line_is "$dir" "$crash" '"ev":"crash","node":"accounting"'
check "report.html marks the ack as the step that broke eventual_consistency" \
  grep -q "\"invariant\":\"eventual_consistency\",\"k\":0,\"pay\":5,\"line\":$ack,\"known\":true" "$dir/report.html"
check "summary.json carries the cause and its line" \
  grep -q "{\"invariant\": \"eventual_consistency\", \"k\": 0, \"pay\": 5, \"line\": $ack, \"known\": true, \"text\": \"accounting acked" "$dir/summary.json"
ack_why=$why

run_fail scenarios/pay-queue-loss.lua outbox-no-recovery
dir="$RUNS/pay-queue-loss/1"
why=$(grep -m1 '^      why: ' "$OUT/last.out")
check "no-recovery: the why tells the lost frame and the missing scan" \
  grep -q 'PUBLISH PAYMENT frame of message [0-9]* was lost on the wire (fault 1, line [0-9]*), and design outbox-no-recovery has no recovery scan' <<<"$why"
drop=$(sed -n 's/.*fault 1, line \([0-9]*\)).*/\1/p' <<<"$why")
check "... its line is the dropped frame" line_is "$dir" "$drop" '"fate":"dropped"'
check "one invariant, two causes, two sentences" [ "$ack_why" != "$why" ]

run_fail scenarios/duplicate-delivery.lua outbox-no-dedupe
dir="$RUNS/duplicate-delivery/1"
check "no-dedupe: the why tells the two applies of one message" \
  grep -q '^      why: accounting applied message 3 twice (vouchers at trace lines [0-9]* and [0-9]*)' "$OUT/last.out"
second=$(sed -n 's/.*applied message 3 twice (vouchers at trace lines [0-9]* and \([0-9]*\)).*/\1/p' "$OUT/last.out" | head -n 1)
check "... the second is accounting's apply of payment 3" line_is "$dir" "$second" '"kind":"apply","pay":3,'
check "no-dedupe: 'PAID but 2 vouchers' is not explained as a lost message" \
  bash -c "! grep -A1 'PAID but 2 vouchers' '$OUT/last.out' | grep -q 'nothing sent it again'"
check "no-dedupe: the duplicates are counted per side" \
  grep -q '^  duplicates accounting absorbed 0 (message already in its inbox) and applied 58 again (a second voucher each); payment absorbed 58 answers for settled rows and 0 client retries$' "$OUT/last.out"
check "no-dedupe: no unqualified 'duplicates absorbed' count" bash -c "! grep -q ' duplicates absorbed' '$OUT/last.out'"

run_fail scenarios/phantom-voucher.lua publish-in-tx
check "publish-in-tx: the why tells the publication before COMMIT and the crash" \
  grep -q '^      why: payment published message 5 (line [0-9]*) before its COMMIT and crashed at payment.before_commit' "$OUT/last.out"

# Competing consumers (topology { accounting = 2 }): every instance's lines count as
# accounting's, and the sentence names the instances that applied the message.
sim run scenarios/consumers-dedupe-per-instance.lua --seed 1 --out "$RUNS"
check "consumers-dedupe-per-instance breaks what it expects to (exit 0)" [ $? = 0 ]
dir="$RUNS/consumers-dedupe-per-instance/1"
why=$(grep -m1 '^      why: .*applied message 7 ' "$OUT/last.out")
check "per-instance dedupe: the why names both instances and the design" \
  grep -q '^      why: accounting and accounting-2 applied message 7 twice (vouchers at trace lines [0-9]* by accounting and [0-9]* by accounting-2): .*each instance remembers only what it applied itself' <<<"$why"
second=$(sed -n 's/.* and \([0-9]*\) by accounting-2).*/\1/p' <<<"$why")
check "... the second voucher's line is accounting-2's apply of message 7" \
  line_is "$dir" "$second" '"node":"accounting-2","kind":"apply","pay":7,'
dups=$(grep -c '"node":"accounting[-0-9]*","kind":"duplicate"' "$dir/trace.jsonl")
check "... accounting's absorbed duplicates count every instance's ($dups)" \
  grep -q "^  duplicates accounting absorbed $dups (message already in its inbox)" "$OUT/last.out"
check "... and none of them is counted as payment's" bash -c "[ $dups -gt 0 ] && \
  grep -q \"payment absorbed \$(grep -c '\"node\":\"payment\",\"kind\":\"duplicate\"' '$dir/trace.jsonl') answers\" '$OUT/last.out'"

sim run scenarios/duplicate-delivery.lua --seed 1 --out "$RUNS"
check "duplicate-delivery passes under outbox" [ $? = 0 ]
check "outbox: accounting's inbox absorbed the duplicates, none applied again" \
  grep -qE '^  duplicates accounting absorbed [1-9][0-9]* \(message already in its inbox\); payment absorbed' "$OUT/last.out"

check "no leftovers" leftovers "$RUNS"
