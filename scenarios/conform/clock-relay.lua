-- conform/clock-relay.lua: `outbox-sim conform`, clause clock-from-step for a relay.
-- Two relays; relay-1's clock runs a day behind the others and half again as fast.
-- Half of payment's first publications are lost, so the relays claim and republish:
-- the leases they write and read are of their own clocks (lease_held, lease_exclusive,
-- owned_then_sent, retry_schedule).
scenario {
  name     = "conform: a relay's clock is a day behind and fast",
  knobs    = { relay_rtt = 0.1, lease = 2 },
  workload = { payments = 30, rate = 10 },
  run      = 10,
  settle   = 50,
}

topology { relays = 2 }

clock { node = "relay-1", skew = -86400, rate = 1.5 }
drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5 }

expect { all_invariants = true, reached = { "republished" } }
