-- edge-refusal-twice.lua: a refusal answered twice.  Accounting refuses payments 3 and
-- 5 (their account is frozen) and answers CONSUME_FAILED; the broker's delivery of
-- each CONSUME_FAILED to the payment service arrives twice.  The first copy marks the
-- row FAILED and refunds the payment, in one transaction; the second finds nothing
-- left to fail and changes nothing, and says so (a duplicate note): each refused
-- payment is refunded exactly once, and the two duplicates are seen.
scenario {
  name     = "each CONSUME_FAILED delivered twice: one refund, one duplicate seen",
  workload = { payments = 10, rate = 5, refuse = { 3, 5 } },
  run      = 5,
  settle   = 20,
}

duplicate { link = "broker->payment", queue = "ACC_QUEUE", label = "DELIVER CONSUME_FAILED" }

-- Nothing is lost, so nothing is republished, redelivered or absorbed by the inbox, and
-- no cleanup is configured: none of these may happen.
expect {
  all_invariants = true,
  reached        = { refused = 2, refund = 2, answer_duplicate = 2 },
  never          = { "republished", "redelivered", "duplicate_absorbed", "row_dead",
                     "rows_cleaned", "frame_rejected" },
}
