-- redeliver-early-restart.lua: the weak design redeliver-early, caught across a restart.
-- This broker counts a delivery's visibility timeout from the message's enqueue, not
-- from the delivery: a message that waited longer than the timeout is sent again at
-- the next millisecond, while its consumer may still be working on it.  Accounting's
-- DACKs are lost for 6 s, so deliveries stay in flight; the durable broker restarts at
-- 3 s and restores them, each enqueued long ago, and redelivers them at once instead of
-- 2 s after the delivery.  broker_redelivery names the first early redelivery; the
-- inbox absorbs the copies, so nothing else breaks.
scenario {
  name     = "redeliver-early: a restarted broker redelivers before the visibility timeout",
  design   = "redeliver-early",
  knobs    = { durable = true, visibility = 2 },
  workload = { payments = 20, rate = 10 },
  run      = 8,
  settle   = 30,
}

drop { link = "accounting->broker", label = "DACK", stop = 6 }
crash { node = "broker", at = 3, restart_after = 0.5 }

expect {
  violated    = { "broker_redelivery" },
  others_hold = true,
  reached     = { "redelivered", "broker_restored", "duplicate_absorbed" },
}
