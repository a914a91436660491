-- completion-archive.lua: the outbox table stays small and the history stays whole.  With
-- completion = "archive" (Spring Modulith's completion-mode ARCHIVE) the transaction that
-- marks a row CONSUMED, or FAILED with its refund, copies it into outbox_archive (payload
-- included) and deletes it from outbox, which leaves its tombstone (outbox_cleaned) as any
-- deletion does; the checker judges the row from the tombstone, as with completion-delete.
-- The same faults around the completion as completion-delete.lua: the payment service
-- killed right after the archiving transaction committed, before the ack (twice), answers
-- duplicated on the wire, accounting killed between its commit and its answer, refused
-- payments.  Every invariant holds, and tests/system/retention.sh checks that every
-- settled row is in outbox_archive exactly once.
scenario {
  name     = "finished outbox rows are archived by their answer's transaction; nothing is lost",
  knobs    = { completion = "archive" },
  workload = { payments = 100, rate = 10, refuse = { 4, 12, 33 } },
  run      = 20,
  settle   = 60,
}

crash { node = "payment", at_failpoint = "payment.after_consumed", hit = 4, restart_after = 1 }
crash { node = "payment", at_failpoint = "payment.after_consumed", hit = 30, restart_after = 1 }
crash { node = "accounting", at_failpoint = "accounting.after_apply", hit = 20, restart_after = 1 }
duplicate { link = "broker->payment", queue = "ACC_QUEUE", label = "DELIVER", p = 0.2 }

expect { all_invariants = true, reached = { "row_completed", "answer_duplicate", "refund" } }
