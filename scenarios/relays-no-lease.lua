-- relays-no-lease.lua: the team moves the recovery scan out of the payment service into
-- two relay processes, so that the scan scales on its own and stops competing with
-- business traffic.  But the relays claim due rows without looking at who holds them:
-- every relay takes every due row (design relay-no-lease).  Half of the payment's first
-- publications are lost for the first 10 s, so rows fall due by the dozen; both relays
-- wake at the same second, both claim the same rows, and while relay-1 publishes its
-- batch one row per round trip (relay_rtt = 0.1 s), relay-2 publishes the same rows.
-- Accounting's inbox absorbs the copies, so the books stay right; the history does not:
-- lease_exclusive names each row two relays held at once, lease_held each publication
-- of a row the relay no longer held.  Under the full design (outbox) each claim skips
-- the rows another relay holds, and the same run holds every invariant.
scenario {
  name     = "two relays without leases publish the same due rows",
  design   = "relay-no-lease",
  knobs    = { relay_rtt = 0.1 },
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 80,
}

topology { relays = 2 }

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 10 }

expect {
  violated = { "lease_exclusive", "lease_held" },
  others_hold = true,
  reached  = { "frame_dropped" },
}
