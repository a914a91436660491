-- completion-memory-start.lua: the payment service runs out of memory while it opens its
-- database under completion = "archive", at the statement that deletes a finished row
-- from the outbox.  Payment crashes at 2 s; the 1295th allocation of the restart fails
-- (disk{ fault = "nomem" }, as in memory-start-payment.lua: SQLite answers SQLITE_NOMEM),
-- and that one lands in the preparing of the completion's DELETE.  A service must treat
-- it like any other failed preparing: say why, exit 3 and be started again by its
-- supervisor half a second later (at_start, restart_after).  One that shrugs it off
-- ("the optional statements") comes up without its completion statements: every answer
-- it gets afterwards fails in its transaction, is never acknowledged, and the rows
-- committed before and after the restart stay SENDING for ever, while the broker
-- redelivers their answers.  Payment runs on journal_mode = "delete", so that the count
-- of allocations does not move with the WAL's length (it moves when the statements
-- change: the failure's "why" in the trace names the statement).  Every invariant holds,
-- and every finished row ends in outbox_archive.
scenario {
  name     = "payment runs out of memory preparing the archive's statements at a restart",
  knobs    = { completion = "archive", ["payment.journal_mode"] = "delete" },
  workload = { payments = 30, rate = 10 },
  run      = 6,
  settle   = 20,
}

crash { node = "payment", at = 2, restart_after = 0.5 }
disk { node = "payment", fault = "nomem", on = "alloc", nth = 1295, start = 2, stop = 3.9,
       at_start = true, restart_after = 0.5 }

expect { all_invariants = true, faults_act = true,
         reached = { "disk_error", "client_retry", "row_completed" } }
