-- refusal-compensated.lua: the seed's business failure.  Accounting refuses some
-- payments (the payer's account is frozen), answers CONSUME_FAILED, and the payment
-- service marks the outbox row FAILED and refunds the payment in one transaction.
-- Every refused payment ends refunded, with no voucher (the compensation invariant).
scenario {
  name     = "accounting refuses some payments; every one is refunded",
  workload = {
    payments    = 100,
    rate        = 10,
    refuse      = { 3, 17, 42, 77 },   -- these payment numbers, always
    refuse_rate = 0.05,                -- plus about 5% more, drawn from the run's seed
  },
  run      = 20,
  settle   = 90,
}

expect { all_invariants = true, reached = { "refused", "refund" } }
