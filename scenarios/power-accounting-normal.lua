-- power-accounting-normal.lua: the power fails under accounting, on synchronous =
-- "normal", right after it answered CONSUMED and acked the 30th delivery (failpoint
-- accounting.after_ack).  Its inbox rows and vouchers were committed, not synced: a
-- seeded half of the unsynced writes survives (keep = "random"), the rest is gone.
-- Payment has already marked those outbox rows CONSUMED and the broker has dropped the
-- acked deliveries, so nobody will ever send them again: PAID payments without a
-- voucher (eventual_consistency).  With accounting on "full", or durable_send = 1,
-- the answer leaves only once the voucher is on the disk.
scenario {
  name     = "power loss on accounting after it answered: vouchers lost for good",
  workload = { payments = 60, rate = 10 },
  run      = 10,
  settle   = 40,
}

power_loss { at_failpoint = "accounting.after_ack", hit = 30, keep = "random", restart_after = 1 }

expect { violated = { "eventual_consistency" }, others_hold = true, reached = { "power_cut_lost" } }
