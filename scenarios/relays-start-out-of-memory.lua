-- relays-start-out-of-memory.lua: a relay restarts and cannot open its database.  relay-1
-- is killed at 4 s (a deploy, an OOM kill) with rows claimed; its supervisor starts it
-- again half a second later, and that START runs out of memory (SQLite's 1000th
-- allocation of the window fails: SQLITE_NOMEM) while the relay prepares the scan's
-- statements on the payment's rows, after its own lease columns were checked.  A relay
-- that cannot prepare its statements must not run: it says why on one line and exits 3
-- ("start_failed"), and is started again 0.5 s later, this time whole.  Meanwhile relay-2
-- takes over relay-1's rows once their 2 s lease (and the 1 s skew margin) is over, and
-- half of the payment's first publications are lost for 10 s, so there is work to take
-- over.  Every invariant holds: nothing is lost, and no row is published outside its
-- lease.
scenario {
  name     = "a relay runs out of memory while it opens the payment database, and is restarted",
  knobs    = { relay_rtt = 0.1, lease = 2 },
  workload = { payments = 60, rate = 10 },
  run      = 12,
  settle   = 60,
}

topology { relays = 2 }

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 10 }
crash { node = "relay-1", at = 4, restart_after = 0.5 }
disk { node = "relay-1", fault = "nomem", on = "alloc", nth = 1000, start = 4, stop = 6,
       at_start = true, restart_after = 0.5 }

expect { all_invariants = true, faults_act = true,
         reached = { "disk_error", "frame_dropped", "republished" } }
