-- edge-amount-limit.lua: the business rule at its boundary.  max_amount = 1 cent, the
-- smallest limit the services accept, and every payment is for exactly 1 cent: a
-- payment of exactly the limit must be applied (a voucher), never refused.  Payments 4
-- and 9 come from the frozen account and must be refused and refunded.  business_rules
-- judges each decision against the knobs, boundary included; compensation each refund.
scenario {
  name     = "payments of exactly max_amount are applied; only the frozen account's refused",
  knobs    = { max_amount = 1 },
  workload = { payments = 30, rate = 10, amount = { 1, 1 }, refuse = { 4, 9 } },
  run      = 5,
  settle   = 20,
}

-- Nothing is lost or damaged, and no cleanup is configured.
expect {
  all_invariants = true,
  reached        = { refused = 2, refund = 2 },
  never          = { "republished", "redelivered", "duplicate_absorbed", "row_dead",
                     "rows_cleaned", "frame_rejected" },
}
