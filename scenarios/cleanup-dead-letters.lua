-- cleanup-dead-letters.lua: a retention job next to dead letters.  The outbox table only
-- grows, so the payment service deletes old rows (cleanup_after = 25 s).  The right rule
-- deletes a row only once it is settled (CONSUMED or FAILED) and has stayed so for
-- 25 s; a DEAD row is kept, with its alert, until an operator requeues it.  Here every
-- publication is lost for the first 40 s, so the payments committed before about
-- t = 24 s run out of their 4 attempts and go DEAD, the later ones get through and
-- settle, and the cleanup has both kinds in front of it.  The DEAD payments have no
-- voucher: eventual_consistency is broken on purpose, as in dead-letters.lua.
-- The weak design cleanup-by-age purges by creation time whatever the status (the
-- "DELETE ... WHERE created_at < now - retention" many teams ship): it deletes the dead
-- letters the operator needs (and settled rows too young), and cleanup_final_only says
-- which; the end state breaks nothing this scenario does not expect (the deleted DEAD
-- rows leave tombstones, their alerts stay, so dead_letters_alerted holds):
--   bin/outbox-sim run scenarios/cleanup-dead-letters.lua --design cleanup-by-age
scenario {
  name     = "the cleanup keeps dead letters and unsettled rows, deletes only settled ones",
  knobs    = { retry = "linear", retry_base = 2, max_attempts = 4, cleanup_after = 25 },
  workload = { payments = 60, rate = 1.5 },   -- commits spread over [0, 40)
  run      = 45,
  settle   = 60,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 40 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = { min = 1 },
  reached      = { "row_dead", "rows_cleaned" },
}
