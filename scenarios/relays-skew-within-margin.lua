-- relays-skew-within-margin.lua: relays-skewed-clock.lua under the full design.  The same
-- two relays, relay-2's clock 1.8 s ahead, the same lost publications and the same slow
-- batches under a 2 s lease; the team's margin, lease_skew = 3 s, is larger than the
-- skew, and the full design honours it: a relay takes another owner's row only once
-- lease_until + 3 s has passed on its own clock, so relay-2 waits out every lease
-- relay-1 still holds.  Every invariant holds, lease_exclusive included.  A relay that
-- reads the margin as 0 (its own clock trusted, the knob wired to nothing) takes rows
-- relay-1 is about to publish, and lease_exclusive names each of them.
scenario {
  name     = "a relay whose clock runs 1.8 s ahead waits out the 3 s margin: no lease is taken",
  knobs    = { relay_rtt = 0.1, lease = 2, lease_skew = 3 },
  workload = { payments = 300, rate = 40 },
  run      = 20,
  settle   = 80,
}

topology { relays = 2 }

clock { node = "relay-2", skew = 1.8 }
crash { node = "relay-2", at = 0.5, restart_after = 0.3 }   -- a rolling deploy: out of step
drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 10 }

expect { all_invariants = true, reached = { "frame_dropped", "republished" } }
