-- completion-disk-eio.lua: completion = "delete" on a failing disk.  The answer's
-- transaction marks a row CONSUMED (or FAILED, with its refund) and deletes it, leaving
-- its tombstone; between 2 s and 15 s one in ten of the payment database's writes fail
-- with EIO, and in WAL mode it is the commits that fail.  A failed commit takes the whole
-- transaction back: the row is still SENDING, the answer is not acknowledged, and it
-- comes again until a commit succeeds.  An implementation that finishes the row in one
-- statement of its own and deletes it in the next (a step outside its transaction)
-- leaves, whenever only the second one fails, a row CONSUMED that nothing will ever
-- delete: the answer that comes again finds nothing left to finish.  Every other
-- invariant holds then; the history check cleanup_final_only counts the finished rows
-- left in the outbox at the end.  Under the outbox design every invariant holds.
scenario {
  name     = "EIO while the answers' transactions finish and delete outbox rows",
  knobs    = { completion = "delete" },
  workload = { payments = 100, rate = 10, refuse_rate = 0.2 },
  run      = 15,
  settle   = 90,
}

disk { node = "payment", fault = "eio", on = "write", p = 0.1, start = 2, stop = 15 }

expect { all_invariants = true, faults_act = true,
         reached = { "disk_error", "refund", "row_completed" } }
