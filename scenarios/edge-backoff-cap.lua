-- edge-backoff-cap.lua: a long outage under exponential backoff, past the point where
-- doubling stops.  The retry interval starts at 1 ms (the smallest the knobs allow)
-- and doubles each attempt up to a cap of 0.25 s; with max_attempts = 66 a row is
-- published 66 times, so the schedule is judged well beyond the 62nd doubling (where
-- 2^(n-1) no longer fits the arithmetic and the cap alone must decide).  Every PUBLISH
-- is lost for the whole run: every row goes DEAD after exactly 66 publications, each
-- with its alert, and retry_schedule judges all 65 intervals of every row.
scenario {
  name     = "exponential backoff past 62 doublings stays at the cap; DEAD after 66",
  knobs    = { retry = "exponential", retry_base = 0.001, retry_max = 0.25,
               scan_interval = 0.05, max_attempts = 66 },
  workload = { payments = 3, rate = 1 },
  run      = 25,
  settle   = 10,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 25 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = { min = 3 },
  reached      = { "row_dead", republished = 195 },
  -- nothing reaches accounting, and no cleanup is configured
  never        = { "rows_cleaned", "frame_rejected", "redelivered", "duplicate_absorbed" },
}
