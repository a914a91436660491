-- conform/clock-broker.lua: `outbox-sim conform`, clause clock-from-step for the broker.
-- The broker's clock runs a day behind the others and half again as fast; a third of
-- accounting's DACKs are lost, so the broker must redeliver once a visibility timeout
-- of its own clock has passed (broker_redelivery, delivered_until_acked).
scenario {
  name     = "conform: the broker's clock is a day behind and fast",
  workload = { payments = 30, rate = 10 },
  run      = 10,
  settle   = 50,
}

clock { node = "broker", skew = -86400, rate = 1.5 }
drop { link = "accounting->broker", queue = "PAY_QUEUE", label = "DACK", p = 0.3 }

expect { all_invariants = true, reached = { "redelivered" } }
