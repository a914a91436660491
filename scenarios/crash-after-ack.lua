-- crash-after-ack.lua: the consumer dies right after it told the producer CONSUMED and
-- acked the delivery.  In the seed's design that is harmless: the voucher was
-- committed before the answer went out.  The design `ack-before-apply` answers first
-- and applies afterwards, so the same crash leaves a payment marked CONSUMED with no
-- voucher: it breaks eventual_consistency, and nothing will ever repair it.
scenario {
  name     = "accounting crashes right after answering CONSUMED, twice",
  workload = { payments = 100, rate = 10 },
  run      = 30,
  settle   = 120,
}

crash { node = "accounting", at_failpoint = "accounting.after_ack", hit = 5, restart_after = 2 }
crash { node = "accounting", at_failpoint = "accounting.after_ack", hit = 30, restart_after = 2 }

expect { all_invariants = true, reached = { "duplicate_absorbed" } }
