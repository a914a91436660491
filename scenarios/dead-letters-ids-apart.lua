-- dead-letters-ids-apart.lua: dead letters when the outbox row's id is not the payment's.
-- In most runs payment n gets outbox row n, so a service that binds one id where the
-- other belongs (an alert naming the row's id as its payment, an answer updating the
-- row numbered like the payment) looks right.  Here a fifth of the payment transactions
-- roll back after their writes (the injected business error; the client is told FAILED
-- and does not ask again): the payment ids keep their gaps, the outbox's row ids do not,
-- so from the first rollback on every row's id is smaller than its payment's.  Then the
-- same outage as dead-letters.lua: every publication lost for 40 s, so the early rows go
-- DEAD, each with an alert that must name its row and that row's payment
-- (`dead_letters_alerted` compares both; `alert_names_row` reads the notes).
scenario {
  name     = "dead letters whose outbox ids and payment ids differ",
  knobs    = { retry = "linear", retry_base = 2, max_attempts = 4 },
  workload = { payments = 60, rate = 1.5 },
  run      = 45,
  settle   = 60,
}

rollback { node = "payment", p = 0.2 }
drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 40 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = { min = 1 },
  reached      = { "row_dead", "republished", "payment_rolled_back" },
}
