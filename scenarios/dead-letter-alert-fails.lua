-- dead-letter-alert-fails.lua: rows go DEAD while the transaction that records them
-- fails half the time.  Every publication is lost for 40 s, so with max_attempts = 4
-- every one of the 30 payments (committed in the first 10 s) runs out of attempts and
-- goes DEAD.  From 12 s on, half the payment service's steps meet the injected business
-- error (lib/io.h, payment.rollback): a dead letter's transaction rolls back after its
-- writes.  In the outbox design DEAD and its alert are one transaction, so a rollback
-- leaves the row SENDING and the next scan tries again: every DEAD row has its alert.
-- The weak design alert-outside-tx commits DEAD first and writes the alert in a second
-- transaction; when that one fails, a DEAD row is left with no alert, and nobody will
-- know to requeue it:
--   bin/outbox-sim run scenarios/dead-letter-alert-fails.lua --design alert-outside-tx
scenario {
  name     = "rows go DEAD while half of their transactions fail: no DEAD row is silent",
  knobs    = { retry = "linear", retry_base = 2, max_attempts = 4 },
  workload = { payments = 30, rate = 3 },     -- commits in [0, 10)
  run      = 45,
  settle   = 30,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", stop = 40 }
rollback { node = "payment", p = 0.5, start = 12 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = 30,
  reached      = { "row_dead", "dead_letter_rolled_back" },
}
