-- edge-linear-cap.lua: a long outage under linear backoff, past the point where the
-- steps stop growing.  The interval grows by retry_base each attempt (1.001 s, 2.002 s,
-- 3.003 s, ...) and retry_max = 3.5 s stops it there: from the fourth republication on,
-- every interval is the cap.  Every PUBLISH is lost for the whole run, so every row is
-- published 8 times and goes DEAD with its alert, and retry_schedule judges all seven
-- intervals of every row: a linear schedule that forgot its cap (4.004 s, 5.005 s, ...)
-- republishes each row late from its fifth attempt on.  retry_base is spelt to the
-- millisecond on purpose: 1.001 * 1000 is 1000.9999... in floating point, so a service
-- that truncates seconds to milliseconds runs a step of 1000 ms, and its n-th interval
-- comes n ms early (more than the 1 ms a clock may read early).  edge-backoff-cap.lua is
-- the same story under exponential backoff.
scenario {
  name     = "linear backoff stops growing at retry_max; DEAD after max_attempts",
  knobs    = { retry = "linear", retry_base = 1.001, retry_max = 3.5,
               scan_interval = 0.05, max_attempts = 8 },
  workload = { payments = 3, rate = 0.5 },
  run      = 30,
  settle   = 10,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 30 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = { min = 3 },
  reached      = { "row_dead", republished = 21 },
}
