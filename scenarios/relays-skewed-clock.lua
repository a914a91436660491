-- relays-skewed-clock.lua: two relays whose clocks disagree by less than the team
-- planned for.  A lease's end (lease_until) is written from the claiming relay's clock
-- and read against another relay's, so leases are only as good as the clocks agree.
-- The team sized the margin for it: lease_skew = 3 s (a relay takes another owner's row
-- only once lease_until + 3 s has passed on its own clock).  relay-2's clock is 1.8 s
-- ahead, within that.  Half of the payment's first publications are lost for 10 s, so
-- both relays claim batches; a batch of relay-1 takes a second to publish (10 rows, one
-- per 0.1 s round trip, under a 2 s lease).  Under design relay-skewed-clock a relay
-- trusts its own clock and takes no margin: relay-2 sees relay-1's leases end 1.8 s
-- early and claims rows relay-1 still holds and is about to publish.  lease_exclusive
-- names each such row (the clocks differed by less than lease_skew, so the fault does
-- not excuse it); relay-1 reads the row again before publishing, finds relay-2's name
-- and leaves it (a `lapse`), so nothing is published twice and the books stay right.
-- Under the full design (outbox) relay-2 waits out the margin, and the same run holds
-- every invariant.  A skew larger than lease_skew would excuse the break: no margin
-- tolerates a clock that is off by more than it.
scenario {
  name     = "a relay whose clock runs 1.8 s ahead takes leases another relay still holds",
  design   = "relay-skewed-clock",
  knobs    = { relay_rtt = 0.1, lease = 2, lease_skew = 3 },
  workload = { payments = 300, rate = 40 },
  run      = 20,
  settle   = 80,
}

topology { relays = 2 }

clock { node = "relay-2", skew = 1.8 }
crash { node = "relay-2", at = 0.5, restart_after = 0.3 }   -- a rolling deploy: out of step
drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 10 }

expect {
  violated = { "lease_exclusive" },
  others_hold = true,
  reached  = { "frame_dropped", "republished" },
}
