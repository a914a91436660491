-- relays-dead-letters.lua: the recovery scan's contract holds when relays run it.
--
-- The payment service no longer scans: two relays claim the due rows with a lease and
-- hand each to the scan's own row code, and run the scan's cleanup on their timer.  So
-- everything the scan promises must still be true, whoever runs it: a row is republished
-- on the retry schedule, goes DEAD after max_attempts publications with an alert naming
-- it, and the cleanup deletes only settled rows.  A 40 s outage of every
-- publication outlasts the budget of 4 attempts: the early rows go DEAD (each with its
-- alert), the later ones are delivered once the outage ends, and after cleanup_after the
-- settled ones are deleted.  The scan-level weak designs act here as they do in the
-- payment service: resend-every-scan (retry_schedule), retries-not-attempts
-- (dead_after_max_attempts), alert-stale-payment (alert_names_row), cleanup-by-age
-- (cleanup_final_only) are each caught.
scenario {
  name     = "two relays run the scan: schedule, DEAD after max_attempts, alerts, cleanup",
  knobs    = { retry = "linear", retry_base = 2, max_attempts = 4, cleanup_after = 25,
               relay_rtt = 0.1, lease = 2 },
  workload = { payments = 60, rate = 1.5 },   -- commits spread over [0, 40)
  run      = 45,
  settle   = 60,
}

topology { relays = 2 }

-- the outage is the broker's side: whoever publishes, payment or a relay, is not heard
drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 40 }
drop { link = "relay-1->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 40 }
drop { link = "relay-2->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 40 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = { min = 1 },
  reached      = { "row_dead", "rows_cleaned", "republished" },
}
