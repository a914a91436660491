-- business-rollback.lua: BUGGIFY's injected business error (lib/io.h, payment.rollback
-- and accounting.rollback).  A fifth of the payment transactions fail a business rule
-- after writing the payment and outbox rows, before COMMIT: they roll back and the
-- client is told FAILED.  A fifth of accounting's transactions fail the same way after
-- writing the inbox row and the voucher: nothing is answered or acked, and the broker
-- delivers the message again after the visibility timeout.  The outbox design loses
-- nothing and books nothing twice.  The weak designs each show their mistake with no
-- crash at all:
--   bin/outbox-sim run scenarios/business-rollback.lua --design publish-in-tx      # no_phantom
--   bin/outbox-sim run scenarios/business-rollback.lua --design ok-before-commit   # durability
--   bin/outbox-sim run scenarios/business-rollback.lua --design ack-before-apply   # eventual_consistency
scenario {
  name     = "business errors roll back a fifth of all transactions after their writes",
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

rollback { node = "payment", p = 0.2 }
rollback { node = "accounting", p = 0.2 }

expect {
  all_invariants = true,
  reached        = { "payment_rolled_back", "apply_rolled_back", "redelivered" },
}
