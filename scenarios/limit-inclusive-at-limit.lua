-- limit-inclusive-at-limit.lua: the weak design limit-inclusive, caught at its boundary.
-- The business rule says a payment of exactly max_amount is booked; this accounting
-- service compares with ">=" and refuses it ("amount 5000 at the limit 5000").  Half
-- the payments here are of exactly 5000 cents against a limit of 5000: each of those is
-- refused, its refusal travels back as FAILED, and payment compensates it with a refund
-- the customer never asked for.  business_rules names the first wrong refusal (the
-- knobs say the limit is inclusive of itself); eventual_consistency sees the refunded
-- payments at the end, since a booked one should have a voucher.  Nothing else breaks:
-- the refusal is said, stored in the inbox, answered the same to every copy.
scenario {
  name     = "limit-inclusive refuses payments of exactly max_amount",
  design   = "limit-inclusive",
  knobs    = { max_amount = 5000 },
  workload = { payments = 20, rate = 10, amount = { 4999, 5000 } },
  run      = 4,
  settle   = 20,
}

expect {
  violated    = { "business_rules", "eventual_consistency" },
  others_hold = true,
  reached     = { "refused", "refund" },
}
