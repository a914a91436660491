-- power-broker-normal.lua: a durable broker (durable = 1) on synchronous = "normal"
-- accepts payment messages it cannot yet deliver (accounting is cut off from 1 s to
-- 8 s), stores each in its SQLite queue and forgets about syncing.  At 6 s the power
-- fails; the unsynced queue rows are torn at 512-byte sectors (keep = "torn") and the
-- messages are gone: acknowledged publications lost, as Jepsen found in NATS 2.12.1.
-- The seed's design survives it: the outbox rows are still SENDING and the recovery
-- scan publishes them again.  The designs that trust the broker do not:
-- `mark-on-publish` already marked the rows done, `outbox-no-recovery` never looks
-- again (eventual_consistency; see `make matrix`).  power-broker-full.lua is the cure.
--   bin/outbox-sim run scenarios/power-broker-normal.lua --design mark-on-publish   # broken
scenario {
  name     = "power loss on a durable broker under synchronous=normal: accepted messages lost",
  knobs    = { durable = 1 },
  workload = { payments = 40, rate = 10 },
  run      = 10,
  settle   = 40,
}

partition { between = {"broker", "accounting"}, start = 1, stop = 8 }
power_loss { node = "broker", at = 6, keep = "torn", restart_after = 1 }

expect { all_invariants = true, reached = { "power_cut_lost", "republished" } }
