-- outbox-cleanup.lua: the pattern's known cost, a table that only grows, and its usual
-- cure: the payment service deletes settled rows (CONSUMED or FAILED) older than
-- cleanup_after, a bounded batch per scan, while loss and refusals keep the scan busy.
-- The checker knows a deleted row from the record the cleanup leaves behind in the same
-- transaction (table outbox_cleaned, trigger outbox_tombstone): a row missing without
-- one is still an atomicity break, and a row deleted while it had work to do is caught.
scenario {
  name     = "settled outbox rows are cleaned up; nothing unsettled is lost",
  knobs    = { cleanup_after = 5 },
  workload = { payments = 120, rate = 6, refuse = { 10, 50 } },
  run      = 25,
  settle   = 60,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.2 }

expect { all_invariants = true, reached = { "rows_cleaned" } }
