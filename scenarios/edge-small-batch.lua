-- edge-small-batch.lua: the smallest batches.  scan_batch = 1 (the smallest value):
-- each scan republishes one due row and deletes one settled row, while a burst of
-- payments with half of their PUBLISH frames lost leaves many rows due at once, so
-- every scan finds more due rows than it may take, and the cleanup
-- (cleanup_after = 1 s) always has more settled rows than its batch.  prefetch = 1
-- lets the broker have one delivery in flight to accounting at a time.  The backlog
-- drains one row per scan, oldest first, every payment is settled and every settled
-- row is eventually deleted.
scenario {
  name     = "batches of one: a backlog drains a row per scan and is cleaned up",
  knobs    = { scan_batch = 1, prefetch = 1, cleanup_after = 1, scan_interval = 0.2,
               retry_base = 0.5 },
  workload = { payments = 40, rate = 20 },
  run      = 10,
  settle   = 60,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 5 }

expect {
  all_invariants = true,
  reached        = { "republished", rows_cleaned = 30 },
  never          = { "row_dead", "frame_rejected", "redelivered" },
}
