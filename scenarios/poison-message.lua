-- poison-message.lua: a peer failure (masstransit #6216): one message that can never
-- be delivered loops forever and blocks all the others.  Here every frame about
-- payment 7 is lost on its way to the broker (drop with `pay = 7`), for the whole
-- run; payment 23 is refused by accounting (a business failure).  The recovery scan
-- takes due rows in a bounded batch and handles each on its own, so payment 7 only
-- uses up its own attempts: after max_attempts = 5 (about 11 s) its row goes DEAD
-- with an alert, payment 23 is refunded, and every other payment converges.  The
-- one DEAD row breaks eventual_consistency, as it must (an operator requeues it with
-- outbox-ctl); everything else holds.
scenario {
  name     = "one undeliverable message goes DEAD alone; a refused one is refunded; the rest flow",
  knobs    = { max_attempts = 5, retry_base = 1 },
  workload = { payments = 50, rate = 5, refuse = { 23 } },
  run      = 20,
  settle   = 60,
}

drop { link = "payment->broker", pay = 7 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = 1,
  reached      = { "row_dead", "refund" },
}
