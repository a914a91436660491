-- relays-one.lua: the recovery scan moved out of the payment service into one relay.
--
-- The seed's "message recovery system" as its own process: the payment service still
-- writes the payment and its outbox row in one transaction and publishes at once, but
-- it no longer scans; relay-1, on the same payment database, claims the due rows with
-- a lease and publishes them again.  Half of the first publications are lost in the
-- first 12 s, and relay-1 is killed once with rows claimed: after its restart it takes
-- them back (its own lease, or an expired one).  With one relay nothing competes, so
-- this is the baseline of the classroom's "scaling the relay" (docs/classroom.md,
-- lesson 13), before relays-lease.lua runs three.
scenario {
  name     = "one relay process runs the recovery scan: lost publications come back",
  knobs    = { relay_rtt = 0.1, lease = 2 },
  workload = { payments = 120, rate = 10 },
  run      = 20,
  settle   = 80,
}

topology { relays = 1 }

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 12 }
crash { node = "relay-1", at = 5.05, restart_after = 2 }

expect { all_invariants = true, reached = { "frame_dropped", "republished" } }
