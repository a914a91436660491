#!/usr/bin/env bash
# The suite can fail: weak designs break the invariant their weakness predicts, and
# the simulator says so with exit code 1.
source "$(dirname "$0")/lib.bash"
expect_break() {   # scenario design invariant
  local sc=$1 design=$2 inv=$3 slug
  slug=$(basename "$sc" .lua)
  sim run "$sc" --seed 1 --design "$design" --out "$OUT/runs"
  local rc=$?
  check "$design on $slug exits 1" test $rc -eq 1
  check "$design on $slug breaks $inv" grep -q "\"$inv\": {\"ok\": false" "$OUT/runs/$slug/1/summary.json"
}
expect_break scenarios/pay-queue-loss.lua outbox-no-recovery eventual_consistency
expect_break scenarios/pay-queue-loss.lua direct eventual_consistency
expect_break scenarios/duplicate-delivery.lua outbox-no-dedupe exactly_once
expect_break scenarios/crash-after-ack.lua ack-before-apply eventual_consistency
expect_break scenarios/phantom-voucher.lua publish-in-tx no_phantom

# Cleaned rows are known from their tombstones (lib/schema.h, outbox_cleaned), never
# guessed (issue 11, item 1): a weak design on a cleanup scenario breaks what its
# weakness predicts and nothing else, however its payments ended.
expect_held() {   # scenario design invariant: it held
  local slug; slug=$(basename "$1" .lua)
  check "$2 on $slug: $3 holds" grep -q "\"$3\": {\"ok\": true" "$OUT/runs/$slug/1/summary.json"
}
expect_break scenarios/outbox-cleanup.lua mark-on-publish eventual_consistency
expect_held scenarios/outbox-cleanup.lua mark-on-publish atomicity
cat >"$OUT/late-dupes.lua" <<'LUA'
scenario { name = "late duplicates after cleanup", knobs = { cleanup_after = 2 },
           workload = { payments = 40, rate = 10 }, run = 20, settle = 30 }
duplicate { link = "broker->accounting", label = "DELIVER PAYMENT", p = 0.5, copies = 1 }
delay { link = "broker->accounting", min = 3, max = 6, p = 0.3 }
LUA
expect_break "$OUT/late-dupes.lua" outbox-no-dedupe exactly_once
expect_held "$OUT/late-dupes.lua" outbox-no-dedupe atomicity
check "outbox-no-dedupe on late-dupes: the cleanup did delete rows" \
  test "$(sqlite3 "$OUT/runs/late-dupes/1/payment.db" 'SELECT count(*) FROM outbox_cleaned')" -gt 0

# Weak designs that break a producer's or consumer's history contract (issue 12, item 3):
# the history invariant named for each catches it.  The end state forgives most; an alert
# naming another payment is caught by dead_letters_alerted too, which matches an alert on
# its row and the row's payment.
expect_break scenarios/dead-letters.lua alert-stale-payment alert_names_row
check "alert-stale-payment on dead-letters: dead_letters_alerted breaks too" \
  grep -q '"dead_letters_alerted": {"ok": false' "$OUT/runs/dead-letters/1/summary.json"
expect_held scenarios/dead-letters.lua alert-stale-payment atomicity
check "alert-stale-payment: the alert that names another row's payment is cited" \
  grep -q 'its alert names row [0-9]*, payment [0-9]*' "$OUT/runs/dead-letters/1/summary.json"
expect_break scenarios/late-answer-to-dead.lua answer-unguarded final_states_final
expect_held scenarios/late-answer-to-dead.lua answer-unguarded eventual_consistency
check "answer-unguarded: a settled row moved again is cited" \
  grep -q 'moved CONSUMED -> CONSUMED' "$OUT/runs/late-answer-to-dead/1/summary.json"
# A failed write swallowed (errors_reported): the answer is acked, so it is lost, and the
# row converges anyway once the scan republishes it; only the history sees the lie.
expect_break scenarios/completion-disk-eio.lua swallow-error errors_reported
expect_held scenarios/completion-disk-eio.lua swallow-error eventual_consistency
check "swallow-error: the failed write and its time are cited" \
  grep -q "payment's write failed at [0-9.]* s and its step went on" \
  "$OUT/runs/completion-disk-eio/1/summary.json"
# A lookup left open: its snapshot locks every later write out once a relay commits;
# errors_explained names the first error with no fault behind it.
expect_break scenarios/relays-client-resubmit.lua lookup-left-open errors_explained
check "lookup-left-open: the unexplained error and its text are cited" \
  grep -q 'payment reported an error at [0-9.]* s with no fault behind it.*locked' \
  "$OUT/runs/relays-client-resubmit/1/summary.json"
# A scan that reads newest first starves a backlog's oldest rows: retry_schedule sees the
# full scan that passed over a row due earlier than one it took; the end state converges.
expect_break scenarios/backlog-oldest-first.lua scan-newest-first retry_schedule
expect_held scenarios/backlog-oldest-first.lua scan-newest-first eventual_consistency
check "scan-newest-first: the row passed over and the one taken are cited" \
  grep -q 'passed over by the full scan at [0-9]* ms, which took msg [0-9]*, due later' \
  "$OUT/runs/backlog-oldest-first/1/summary.json"
expect_break scenarios/amount-limit-boundary.lua limit-inclusive business_rules
check "limit-inclusive: a payment of exactly max_amount was refused" \
  grep -q '(5000 cents, account [0-9]*) refused; max_amount is 5000' \
  "$OUT/runs/amount-limit-boundary/1/summary.json"
expect_break scenarios/cleanup-late-answers.lua cleanup-takes-alerts alerts_kept
expect_held scenarios/cleanup-late-answers.lua cleanup-takes-alerts dead_letters_alerted
check "cleanup-takes-alerts: the alert gone with its cleaned row is cited" \
  grep -q 'its alert is gone from payment.db; the cleanup deleted the row after the alert' \
  "$OUT/runs/cleanup-late-answers/1/summary.json"

# The broker's contract (issue 12): each weak broker design breaks the history invariant
# it exists for, while the end state forgives it (the outbox republishes what it lost).
expect_break scenarios/clean.lua auto-ack delivered_until_acked
expect_held scenarios/clean.lua auto-ack convergence
expect_held scenarios/clean.lua auto-ack eventual_consistency
expect_break scenarios/broker-crash-durable.lua forget-unacked-on-restart restart_state
check "forget-unacked-on-restart on broker-crash-durable breaks delivered_until_acked" \
  grep -q '"delivered_until_acked": {"ok": false' "$OUT/runs/broker-crash-durable/1/summary.json"
expect_held scenarios/broker-crash-durable.lua forget-unacked-on-restart eventual_consistency
expect_break scenarios/queue-wait-past-visibility.lua redeliver-early broker_redelivery
sim run scenarios/queue-wait-past-visibility.lua --seed 1 --out "$OUT/runs" --quiet >/dev/null
check "outbox on queue-wait-past-visibility: no redelivery, expectations met" test $? -eq 0
