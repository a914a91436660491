-- disk-eio-refunds.lua: the compensation's transaction meets a failing disk.  Accounting
-- refuses about a fifth of the payments; for each, the payment service must mark the
-- outbox row FAILED and refund the payment in one transaction (the seed's compensation).
-- Between 2 s and 15 s, one in ten of the payment database's writes fail with EIO
-- (SQLITE_IOERR_WRITE), and in WAL mode the pages are written at COMMIT, so it is the
-- commits that fail.  A failed commit rolls the whole transaction back: the row stays
-- SENDING, the answer is not acknowledged, and it comes again until a commit succeeds.
-- An implementation that commits FAILED first and refunds in a second transaction leaves,
-- whenever only the second commit fails, a refused payment marked FAILED and never
-- refunded: `compensation` catches it.  Every invariant holds under the outbox design.
scenario {
  name     = "EIO on the payment database while refused payments are compensated",
  workload = { payments = 100, rate = 10, refuse_rate = 0.2 },
  run      = 15,
  settle   = 90,
}

disk { node = "payment", fault = "eio", on = "write", p = 0.1, start = 2, stop = 15 }

expect { all_invariants = true, faults_act = true, reached = { "disk_error", "refund" } }
