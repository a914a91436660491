-- relays-short-lease.lua: two relays claim due rows with a lease, as River, Oban and
-- pgmq do, but the lease is shorter than the work it covers (design relay-short-lease:
-- half a publish round trip, with a full batch claimed at once; CAP#1682's lock timeout
-- shorter than its handler).  A relay publishes the first row of its batch at once; by
-- the time it comes to the second, one round trip later, the lease is over, and it
-- leaves the row (it checks its lease before publishing, as it should).  Rows sit owned
-- and unsent until the next scan claims them again, one per batch: the backlog drains at
-- a row per relay per scan, while nothing crashed and nothing paused.  owned_then_sent
-- names the claims that lapsed unsent.  Under the full design (outbox) a relay claims
-- only what it can publish within half its lease, and the same run holds everything.
scenario {
  name     = "a lease shorter than a publish round trip: claimed rows lapse unsent",
  design   = "relay-short-lease",
  knobs    = { relay_rtt = 0.1 },
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 100,
}

topology { relays = 2 }

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 10 }

expect {
  violated = { "owned_then_sent" },
  others_hold = true,
  reached  = { "frame_dropped" },
}
