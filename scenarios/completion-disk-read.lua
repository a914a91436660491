-- completion-disk-read.lua: the payment database's reads fail while answers finish rows.
-- With completion = "archive" an answer's transaction marks the row CONSUMED (or FAILED,
-- with its refund) and moves it to the archive: several statements, each reading pages.
-- Two relays write the same database from their own processes, so the payment service's
-- page cache is stale at almost every answer and its statements read the file again;
-- between 2 s and 16 s one read in ten fails with EIO.  A failed read fails its
-- statement, the transaction rolls back, the answer is not acked and comes again.  A
-- handler that rolls back and then reports success (it acks the answer, says nothing)
-- loses the answer: the row stays SENDING, the scan republishes it, the consumer answers
-- again, and the end state is as it should be.  errors_reported sees the step that went
-- on.  Every invariant holds under the outbox design.
scenario {
  name     = "EIO on the payment's reads while answers archive rows, relays beside it",
  knobs    = { relay_rtt = 0.1, lease = 2, completion = "archive" },
  workload = { payments = 120, rate = 10, refuse_rate = 0.2 },
  run      = 20,
  settle   = 80,
}

topology { relays = 2 }

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.3, stop = 12 }
disk { node = "payment", fault = "eio", on = "read", p = 0.1, start = 2, stop = 16 }

expect { all_invariants = true, faults_act = true,
         reached = { "disk_error", "refund", "row_completed", "republished" } }
