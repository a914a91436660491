-- conform/steps.lua: `outbox-sim conform` (sim/tools/conform.h), clause protocol-steps.
-- Every step kind reaches payment, broker and accounting: STARTs, the client's PAYs,
-- FRAMEs on every link, payment's scan TIMERs (a third of its first publications are
-- lost, so the scan republishes) and the broker's redelivery TIMERs (a third of
-- accounting's DACKs are lost, so the broker redelivers), and the STOPs at the end.
scenario {
  name     = "conform: every step kind reaches every role",
  workload = { payments = 30, rate = 10 },
  run      = 10,
  settle   = 50,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.3 }
drop { link = "accounting->broker", queue = "PAY_QUEUE", label = "DACK", p = 0.3 }

expect { all_invariants = true, reached = { "republished", "redelivered" } }
