-- edge-knob-floor.lua: every range knob at the bottom of its documented range.  The
-- counterpart of edge-knob-limits.lua: retry_base, retry_max and visibility of one
-- millisecond (the smallest time a knob takes), max_attempts, scan_batch and prefetch
-- of 1, jitter, cleanup_after and inbox_retention of 0 spelled out (0 is their "off"),
-- and the relays' relay_rtt and lease of one millisecond and lease_skew of 0 (no relay
-- runs here, but every service is given every knob and must accept it), and every
-- service must start with them.  Nothing is lost, so each row's only
-- publication is answered long before the scan (once a second) would find it due again
-- and, with one attempt spent, mark it DEAD; the broker's 1 ms visibility timeout sends
-- each delivery again until its DACK comes back, and the inbox absorbs the copies.
scenario {
  name     = "knobs at the bottom of their ranges: the outbox converges",
  knobs    = { retry_base = 0.001, retry_max = 0.001, max_attempts = 1, visibility = 0.001,
               scan_batch = 1, prefetch = 1, jitter = 0, cleanup_after = 0,
               inbox_retention = 0, relay_rtt = 0.001, lease = 0.001, lease_skew = 0 },
  workload = { payments = 20, rate = 10 },
  run      = 5,
  settle   = 20,
}

expect {
  all_invariants = true,
  reached        = { "redelivered", "duplicate_absorbed" },
  never          = { "row_dead", "republished", "frame_rejected", "rows_cleaned" },
}
