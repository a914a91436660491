-- dead-letters.lua: what happens when retrying is not enough.  Every publication of a
-- payment message is lost for the first 40 s.  With max_attempts = 4 and linear retry
-- from 2 s, a row is published at commit t0 and again near t0+2, t0+6 and t0+12 (a
-- little later: the scan runs every second); after the 4th publication it becomes DEAD
-- and an alert is recorded.  So payments committed before about t = 24 s all go DEAD,
-- while those committed later still have attempts left when the loss stops at 40 s
-- and get through.  The DEAD payments have no voucher, so eventual_consistency is
-- broken on purpose; what must hold is that no dead letter is silent and nothing else
-- went wrong.  (An operator would now requeue them with outbox-ctl.)
scenario {
  name     = "a 40 s outage outlasts the retry budget: rows go DEAD, each with an alert",
  knobs    = { retry = "linear", retry_base = 2, max_attempts = 4 },
  workload = { payments = 60, rate = 1.5 },   -- commits spread over [0, 40)
  run      = 45,
  settle   = 60,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 40 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = { min = 1 },
  reached      = { "row_dead", "republished" },
}
