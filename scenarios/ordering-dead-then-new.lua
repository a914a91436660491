-- ordering-dead-then-new.lua: a payment that comes after its account's head went DEAD.
-- One account, a payment every 4 s.  Every publication of payment 1 is lost, so with
-- max_attempts = 2 (linear, 0.5 s) its row goes DEAD at about 1.5 s, before payment 2
-- exists.  Under design `ordered` a DEAD row blocks its account until an operator
-- requeues it, so payment 2, and 3 and 4 after it, must be held when they commit,
-- though nothing of the account is SENDING any more: a hold that looks only for SENDING
-- rows ahead lets payment 2 overtake the dead letter (ordering).  ordering-dead-head.lua
-- holds its later payments behind rows that are still SENDING; here the dead letter is
-- the only row ahead.  Nothing is requeued: payment 1 and the rows behind it have no
-- voucher (eventual_consistency breaks, as in dead-letters.lua).
scenario {
  name     = "a payment committed after its account's head went DEAD is held behind it",
  design   = "ordered",
  knobs    = { retry = "linear", retry_base = 0.5, max_attempts = 2 },
  workload = { payments = 4, rate = 0.25, accounts = 1 },
  run      = 16,
  settle   = 10,
}

drop { link = "payment->broker", label = "PUBLISH", pay = 1 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = { min = 1, max = 1 },
  reached      = { "row_dead" },
}
