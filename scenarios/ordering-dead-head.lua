-- ordering-dead-head.lua: the price of per-account order.  Every publication of
-- payment 1 is lost, so its row goes DEAD after max_attempts; under design `ordered`
-- each later payment of the same account is held behind it (a "hold" note each) and
-- stays SENDING, blocked, until an operator requeues the dead letter: the DEAD row's
-- alert says how many later messages of its account it blocks.  Nothing is reordered
-- (`ordering` holds: tests/system/ordering.sh reads it in summary.json), the other
-- account flows, and the run still goes quiet: a blocked row waits for the operator as
-- its DEAD head does, so the quiet probe does not count it (convergence holds).  The
-- dead letter and the rows behind it have no voucher: eventual_consistency breaks, as
-- in dead-letters.lua.  Under `outbox` the later payments go through ahead of the dead
-- one; `others_hold` judges `ordering` only where the design claims it, so every design
-- runs this scenario in the matrix (ordered holds it; ordered-naive breaks it here).
scenario {
  name     = "a DEAD head message blocks its account: later payments held, and the alert says so",
  design   = "ordered",
  knobs    = { retry = "linear", retry_base = 1, max_attempts = 3 },
  workload = { payments = 30, rate = 2, accounts = 2 },
  run      = 20,
  settle   = 30,
}

drop { link = "payment->broker", label = "PUBLISH", pay = 1 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = { min = 1, max = 1 },
  reached      = { "row_dead" },
}
