-- relays-zombie.lua: relay-1 stalls in the middle of a batch (a 3 s pause: a garbage
-- collection, a VM migration) with rows claimed under a 2 s lease.  The leases run out,
-- relay-2 claims the rows and publishes them, as it should.  Then relay-1 resumes and,
-- under design relay-zombie, goes on publishing the rest of its batch without asking
-- whether the rows are still its own: a stale owner acting as owner (Wolverine GH-2602's
-- two leaders).  lease_held names each row it published after its lease ended.  Under
-- the full design (outbox) relay-1 reads each row's lease before publishing, finds it
-- gone, notes a `lapse` and leaves the row: the same run holds every invariant.
scenario {
  name     = "a paused relay resumes and publishes rows whose lease it lost",
  design   = "relay-zombie",
  knobs    = { relay_rtt = 0.1, lease = 2 },
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 80,
}

topology { relays = 2 }

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 10 }
pause { node = "relay-1", at = 5.05, duration = 3 }

expect {
  violated = { "lease_held" },
  others_hold = true,
  reached  = { "frame_dropped" },
}
