-- edge-linear-cap.lua: a long outage under linear backoff, past the point where the
-- steps stop growing.  The interval grows by retry_base each attempt (0.1 s, 0.2 s,
-- 0.3 s, ...) and retry_max = 0.35 s stops it there: from the fourth republication on,
-- every interval is the cap.  Every PUBLISH is lost for the whole run, so every row is
-- published 8 times and goes DEAD with its alert, and retry_schedule judges all seven
-- intervals of every row: a linear schedule that forgot its cap (0.4 s, 0.5 s, ...)
-- republishes each row late from its fifth attempt on.  edge-backoff-cap.lua is the
-- same story under exponential backoff.
scenario {
  name     = "linear backoff stops growing at retry_max; DEAD after max_attempts",
  knobs    = { retry = "linear", retry_base = 0.1, retry_max = 0.35,
               scan_interval = 0.05, max_attempts = 8 },
  workload = { payments = 3, rate = 1 },
  run      = 10,
  settle   = 10,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 10 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = { min = 3 },
  reached      = { "row_dead", republished = 21 },
}
