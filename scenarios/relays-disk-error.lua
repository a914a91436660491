-- relays-disk-error.lua: the relays' own database calls fail, and nothing is lost.
--
-- A relay is one more process on the payment database, so its statements can fail as
-- the payment service's can: its claim (the UPDATE ... RETURNING that takes due rows
-- with a lease) and its read of a row's lease before each publication.  relay-1 runs
-- out of memory now and then (SQLite's allocations fail: SQLITE_NOMEM), relay-2's
-- writes fail with EIO.  A failed claim rolls back and claims nothing; a failed lease
-- read publishes nothing; either way the step's transaction is gone and the row stays
-- SENDING, due, for the next claim of either relay.  Half the first publications are
-- lost meanwhile, so the relays have work.  Every invariant must hold, the lease checks
-- included.
scenario {
  name     = "relays whose claims and lease reads fail (out of memory, EIO) lose nothing",
  knobs    = { relay_rtt = 0.1, lease = 2 },
  workload = { payments = 120, rate = 10 },
  run      = 20,
  settle   = 80,
}

topology { relays = 2 }

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 12 }
disk { node = "relay-1", fault = "nomem", on = "alloc", p = 0.01, start = 2, stop = 16 }
disk { node = "relay-2", fault = "eio", on = "write", p = 0.2, start = 2, stop = 16 }

expect { all_invariants = true, reached = { "frame_dropped", "republished", "disk_error" } }
