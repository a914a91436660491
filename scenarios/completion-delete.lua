-- completion-delete.lua: the outbox table need not grow at all.  With completion =
-- "delete" (Spring Modulith's completion-mode DELETE) the transaction that marks a row
-- CONSUMED, or FAILED with its refund, deletes it too; the trigger outbox_tombstone leaves
-- its tombstone (outbox_cleaned: id, last status, attempts) in the same transaction, so
-- the checker still knows the row existed and how it ended, and a missing row with no
-- tombstone is still an atomicity break.  Around the completion: the payment service is
-- killed right after the deleting transaction committed, before it acked the answer
-- (payment.after_consumed, twice), so the broker delivers the answer again and it finds
-- no row to finish; some answers arrive twice on the wire; accounting dies once between
-- its commit and its answer; some payments are refused (FAILED, refunded, deleted).
-- Every duplicate answer changes nothing, every invariant holds, and the history check
-- cleanup_final_only sees every deletion come after its row's consumed or failed note.
scenario {
  name     = "finished outbox rows are deleted by their answer's transaction; nothing is lost",
  knobs    = { completion = "delete" },
  workload = { payments = 100, rate = 10, refuse = { 4, 12, 33 } },
  run      = 20,
  settle   = 60,
}

crash { node = "payment", at_failpoint = "payment.after_consumed", hit = 4, restart_after = 1 }
crash { node = "payment", at_failpoint = "payment.after_consumed", hit = 30, restart_after = 1 }
crash { node = "accounting", at_failpoint = "accounting.after_apply", hit = 20, restart_after = 1 }
duplicate { link = "broker->payment", queue = "ACC_QUEUE", label = "DELIVER", p = 0.2 }

expect { all_invariants = true, reached = { "row_completed", "answer_duplicate", "refund" } }
