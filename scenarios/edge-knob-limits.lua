-- edge-knob-limits.lua: every range knob at the top of its documented range, and full
-- jitter.  jitter = 1 (its largest value) makes each retry interval anything from 0 to
-- twice the linear schedule's, so retry_schedule judges the jitter's bounds on both
-- sides; max_attempts = 1000, scan_batch = 10000 and prefetch = 10000 are the largest
-- values the services accept, and every service must start with them.  Half of the
-- PUBLISH frames are lost during the run: rows are republished on the jittered
-- schedule until one gets through, and every payment is settled.
scenario {
  name     = "knobs at the top of their ranges, full jitter: the outbox converges",
  knobs    = { retry = "linear", retry_base = 1, jitter = 1, max_attempts = 1000,
               scan_interval = 0.1, scan_batch = 10000, prefetch = 10000 },
  workload = { payments = 40, rate = 4 },
  run      = 20,
  settle   = 60,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5 }

-- No row may run out of 1000 attempts, no frame is damaged, nothing waits 5 s for its
-- DACK, and no cleanup is configured: none of these may happen.
expect {
  all_invariants = true,
  reached        = { republished = 10 },
  never          = { "row_dead", "frame_rejected", "redelivered", "rows_cleaned" },
}
