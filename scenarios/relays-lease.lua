-- relays-lease.lua: the full design with three relays on the payment database, each
-- claiming due rows with a lease (owner and expiry written in the claiming statement)
-- and publishing them one per round trip.  Half of the payment's first publications are
-- lost for 12 s, so the relays have work.  relay-1 is killed at 5.05 s with rows claimed
-- and comes back 6 s later; relay-2 stops for 4 s at 8.55 s (a pause: it holds its
-- claims and does nothing).  Their rows wait out the 2 s lease and come back: relay-3
-- (or the other one) claims and publishes them, and a paused relay that resumes finds
-- its leases gone, notes a `lapse` and leaves the rows.  Every invariant holds, the
-- three lease checks included: no row is held by two relays, none is published without
-- its lease, and no live relay lets a claim lapse unsent.
scenario {
  name     = "three relays with leases: a crashed and a paused relay's rows come back",
  knobs    = { relay_rtt = 0.1, lease = 2 },
  workload = { payments = 120, rate = 10 },
  run      = 20,
  settle   = 80,
}

topology { relays = 3 }

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 12 }
crash { node = "relay-1", at = 5.05, restart_after = 6 }
pause { node = "relay-2", at = 8.55, duration = 4 }

expect { all_invariants = true, reached = { "frame_dropped" } }
