-- amount-limit-boundary.lua: the amount limit, at its boundary.  The knob max_amount is
-- the largest amount accounting books (lib/config.h: larger is refused), so a payment of
-- exactly max_amount must get its voucher.  Every amount here is drawn from 4998..5000
-- cents with max_amount = 5000: about a third of the 30 payments sit exactly on the
-- limit, none over it, so every one must be booked.  business_rules judges each inbox
-- row against the knobs, boundary included; the weak design limit-inclusive (the limit
-- checked with >= where the contract says >) refuses the ones at the limit, and the
-- payment service refunds what the client was told was paid:
--   bin/outbox-sim run scenarios/amount-limit-boundary.lua --design limit-inclusive
scenario {
  name     = "payments exactly at max_amount are booked, not refused",
  knobs    = { max_amount = 5000 },
  workload = { payments = 30, rate = 10, amount = { 4998, 5000 } },
  run      = 10,
  settle   = 30,
}

-- Nothing here is refused, redelivered or retried: the reached states name none of what
-- it shows (business_rules judges every inbox row instead), so it declares none.
expect { all_invariants = true, reached = {} }
