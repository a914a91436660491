-- power-broker-full.lua: power-broker-normal.lua with the broker on synchronous =
-- "full": each accepted message is synced into its queue table before the broker goes
-- on, so the power cut at 6 s takes nothing, the restarted broker restores every
-- message and delivers it once accounting is reachable again.  Even the designs that
-- trust the broker (`mark-on-publish`) keep every invariant here.
--   bin/outbox-sim run scenarios/power-broker-full.lua --design mark-on-publish   # holds
scenario {
  name     = "power loss on a durable broker under synchronous=full: nothing accepted is lost",
  knobs    = { durable = 1, ["broker.synchronous"] = "full" },
  workload = { payments = 40, rate = 10 },
  run      = 10,
  settle   = 40,
}

partition { between = {"broker", "accounting"}, start = 1, stop = 8 }
power_loss { node = "broker", at = 6, keep = "torn", restart_after = 1 }

expect { all_invariants = true, reached = { "broker_restored" } }
