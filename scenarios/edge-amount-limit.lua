-- edge-amount-limit.lua: the business rule at its boundary, from both sides.
-- max_amount = 1 cent, the smallest limit the services accept, and each payment is for
-- 1 or 2 cents, drawn from the seed: a payment of exactly the limit must be applied (a
-- voucher), never refused, and one of a cent over it must be refused and refunded.
-- Payments 4 and 9 come from the frozen account and must be refused and refunded
-- whatever their amount.  business_rules judges each decision against the knobs, both
-- boundaries included; compensation each refund.  A rule that refuses only amounts
-- beyond the limit plus one, or reads no limit at all, books the 2-cent payments.
scenario {
  name     = "payments of exactly max_amount are applied; a cent over it, or frozen, refused",
  knobs    = { max_amount = 1 },
  workload = { payments = 30, rate = 10, amount = { 1, 2 }, refuse = { 4, 9 } },
  run      = 5,
  settle   = 20,
}

-- Nothing is lost or damaged, and no cleanup is configured.
expect {
  all_invariants = true,
  reached        = { refused = 8, refund = 8 },
  never          = { "republished", "redelivered", "duplicate_absorbed", "row_dead",
                     "rows_cleaned", "frame_rejected" },
}
