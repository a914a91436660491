-- edge-restart-quiet.lua: a durable broker restarts when nothing new is coming.  The 20
-- payments are published in the first 2 s, but a partition between broker and
-- accounting eats every delivery until 3 s: the messages sit in PAY_QUEUE, in flight,
-- unacked.  At 3.5 s, before their visibility timeout (5 s), the broker crashes; its
-- queues are durable, so the restart at 4 s restores all 20 as ready, and it must
-- deliver them then, on its own: no publication will come to prompt it, because the
-- payment service's first republication is 30 s away (retry_base = 30) and the run
-- ends at 26 s.  A broker that waits for the next publication to pump a restored queue
-- leaves every row SENDING and every message undelivered.
scenario {
  name     = "a durable broker restarts with nothing new coming: it delivers what it restored",
  knobs    = { durable = true, retry_base = 30 },
  workload = { payments = 20, rate = 10 },
  run      = 6,
  settle   = 20,
}

partition { between = { "broker", "accounting" }, start = 0, stop = 3 }
crash { node = "broker", at = 3.5, restart_after = 0.5 }

-- No republication and no redelivery: the restart's own delivery is the only way.
expect {
  all_invariants = true,
  reached        = { "broker_restored" },
  never          = { "republished", "redelivered" },
}
