-- conform/clock-payment.lua: `outbox-sim conform`, clause clock-from-step for payment.
-- Payment's clock runs a day behind the others, half again as fast, and jumps back 5 s
-- at 6 s; a third of its first publications are lost, so the scan republishes on the
-- retry schedule of that clock.  A node that takes its time from the step keeps the
-- schedule (retry_schedule) and writes times of that clock in its rows; one that reads
-- the machine's clock does neither.
scenario {
  name     = "conform: payment's clock is a day behind, fast, and jumps",
  workload = { payments = 30, rate = 10 },
  run      = 10,
  settle   = 50,
}

clock      { node = "payment", skew = -86400, rate = 1.5 }
clock_jump { node = "payment", at = 6, by = -5 }
drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.3 }

expect { all_invariants = true, reached = { "republished" } }
