-- backlog-oldest-first.lua: a burst meets an outage, and the scan must work through the
-- backlog oldest first.  300 payments arrive within one second while every publication
-- to the broker is lost (a firewall rule, a broker behind a dead load balancer).  All 300
-- rows are committed SENDING on the same schedule, so they fall due within a second of
-- each other, three times more than one scan takes: each scan collects `scan_batch`
-- (100) due rows and republishes them in one step.  The scan reads them ORDER BY
-- next_attempt_at, id, so the rows due first go first, and a row waits at most as many
-- scans as there are batches ahead of it.  A scan that reads newest first (a LIFO "serve
-- the freshest payments" tweak, an ORDER BY id DESC) starves the oldest rows for as long
-- as new ones keep falling due; retry_schedule sees each full scan that passed over a row
-- due earlier than one it took.  The loss stops at 9 s and the backlog drains; none of
-- the rows runs out of its 8 attempts.
scenario {
  name     = "a burst of 300 payments during an outage: full scans take the oldest due first",
  workload = { payments = 300, rate = 300 },
  run      = 10,
  settle   = 60,
}

drop { link = "payment->broker", label = "PUBLISH", start = 0, stop = 9 }

expect {
  all_invariants = true,
  reached        = { republished = 300, frame_dropped = 300 },
  never          = { "row_dead" },
}
