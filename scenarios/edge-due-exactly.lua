-- edge-due-exactly.lua: rows due exactly at a scan, and rows exactly cleanup_after old.
-- A node's clock has millisecond resolution, and a time on the 1/8 s grid (the scans,
-- every half second here) reads exactly.  Pausing the payment service from 3 s to 5 s
-- makes what waited in its backlog happen at exactly 5 s: the payments the client sent
-- meanwhile commit then (their first PUBLISH is lost), and the answers delayed into the
-- pause mark their rows CONSUMED then.  So with linear retry from 2.5 s, each of those
-- rows is due again at exactly 7.5 s, and the scan at 7.5 s must take it (the scan's
-- query is next_attempt_at <= now: one that asks `<` takes it a scan late, and so does a
-- clock that reads 7.5 s a millisecond early; retry_schedule names the scan that passed
-- it over); and with cleanup_after = 2 the rows settled at 5 s are exactly 2 s old at the
-- scan at 7 s, which must keep them (only rows older than cleanup_after go: one that
-- deletes them then breaks cleanup_final_only).
scenario {
  name     = "rows due exactly at a scan, and exactly cleanup_after old: taken, kept",
  knobs    = { retry = "linear", retry_base = 2.5, scan_interval = 0.5, cleanup_after = 2 },
  workload = { payments = 24, rate = 4 },
  run      = 10,
  settle   = 30,
}

delay { link = "broker->payment", min = 0.5, max = 1, start = 2, stop = 3 }
pause { node = "payment", at = 3, duration = 2 }
drop  { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 5, stop = 5.5 }

expect {
  all_invariants = true,
  reached        = { "paused", republished = 8, rows_cleaned = 24 },
  never          = { "row_dead", "frame_rejected", "redelivered" },
}
