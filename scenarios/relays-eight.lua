-- relays-eight.lua: the outbox scaled out as far as the configuration goes.  Eight relays
-- (knob relays = 8, the largest value every service takes) compete for the payment
-- database's due rows, each claiming with a lease.  Half of the first publications are
-- lost for 10 s, so every relay has rows to claim; relay-5 is killed at 4.05 s with claims
-- held and comes back 5 s later, and its rows wait out their lease and go to another.
-- A service that took one relay too few as its limit refuses to start here, and a lease
-- that two of eight relays hold at once is caught by the lease checks: every invariant
-- must hold and every payment settle.
scenario {
  name     = "eight relays, the most the services take: leases hold, every row settles",
  knobs    = { relay_rtt = 0.1, lease = 2 },
  workload = { payments = 80, rate = 8 },
  run      = 15,
  settle   = 60,
}

topology { relays = 8 }

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 10 }
crash { node = "relay-5", at = 4.05, restart_after = 5 }

expect { all_invariants = true, reached = { "frame_dropped", "republished" } }
