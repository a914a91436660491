-- relays-eight.lua: the outbox scaled out as far as the configuration goes.  Eight relays
-- (knob relays = 8, the largest value every service takes) compete for the payment
-- database's due rows, each claiming with a lease what it can publish within half of it
-- (five rows: a 2 s lease, one row per 0.2 s round trip).  Forty payments a second and
-- 70% of their first publications lost for 9 s leave more rows due each second than one
-- relay may claim, so the relays that step after the first claim the rest: every one of
-- the eight claims rows.  relay-1 is killed at 4.05 s holding the rest of a batch it
-- started at 4 s, and comes back 4 s later; its rows wait out their lease and go to the
-- others.  A service that took one relay too few as its limit refuses to start here, and
-- a row two of the eight relays hold at once is caught by the lease checks: every
-- invariant must hold and every payment settle.
scenario {
  name     = "eight relays, the most the services take: all claim, leases hold, every row settles",
  knobs    = { relay_rtt = 0.2, lease = 2 },
  workload = { payments = 400, rate = 40 },
  run      = 12,
  settle   = 60,
}

topology { relays = 8 }

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.7, stop = 9 }
crash { node = "relay-1", at = 4.05, restart_after = 4 }

expect { all_invariants = true, reached = { "frame_dropped", "republished" } }
