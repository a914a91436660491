-- relays-slow-round-trip.lua: the relays publish to a broker far away.  Each publication
-- and its confirmation take 1.5 s (relay_rtt = 1.5: the broker is in another region),
-- and the lease was sized at 2 s.  A relay claims what it can publish within half its
-- lease, one row per round trip: half of 2 s holds less than one round trip of 1.5 s,
-- so each claim must still take one row (at least one, or a relay would claim nothing
-- ever again) and publish it in the claiming step, well inside the lease.  Half of the
-- payment's first publications are lost for 8 s, so the two relays have work: they
-- drain it one row per scan each, slowly, and everything arrives.  Every invariant holds,
-- the lease checks included: each claimed row is published under its lease and released.
scenario {
  name     = "relays with a round trip longer than half their lease claim one row at a time",
  knobs    = { relay_rtt = 1.5, lease = 2 },
  workload = { payments = 40, rate = 10 },
  run      = 10,
  settle   = 60,
}

topology { relays = 2 }

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 8 }

expect { all_invariants = true, reached = { "frame_dropped", "republished" } }
