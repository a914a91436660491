-- edge-budget-outage.lua: an outage that just outlasts the retry budget.  With linear
-- retry from 2 s and max_attempts = 2, a row is published at its commit and once more
-- about 2 s later (the first interval, interval(1) = 2 s, rounded up to the next scan).
-- The four payments commit in the first half second and every PUBLISH is lost for the
-- first 4 s, so both publications of every row are lost: every row goes DEAD, with its
-- alert, at the scan after its second interval.  A schedule that waits longer before the
-- first republication (or allows a third publication) would publish after the outage,
-- and fewer rows would end DEAD: the scenario pins the count to exactly four.
scenario {
  name     = "both publications inside a 4 s outage: all four rows go DEAD",
  knobs    = { retry = "linear", retry_base = 2, max_attempts = 2 },
  workload = { payments = 4, rate = 8 },
  run      = 10,
  settle   = 20,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 4 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = 4,
  reached      = { row_dead = 4, republished = 4 },
  never        = { "rows_cleaned", "frame_rejected", "redelivered", "duplicate_absorbed" },
}
