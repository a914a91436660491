-- edge-default-limit.lua: the limit nobody set.  No knob names max_amount, so the
-- services run with the documented default, 100000000 cents (one million), and every
-- payment here is for exactly that.  A payment equal to the limit is booked, so each
-- gets a voucher and none is refused.  What this guards is the default itself: a
-- service whose built-in limit drifted by a cent (a constant retyped, a unit changed
-- from cents to units) refuses them all, and business_rules, which judges each
-- decision against the documented default, names the first.
scenario {
  name     = "no max_amount knob: payments of exactly the default limit are booked",
  workload = { payments = 10, rate = 10, amount = { 100000000, 100000000 } },
  run      = 2,
  settle   = 10,
}

-- Nothing here is refused, retried or redelivered, so it declares no reached state;
-- `never` says the refusal this guards against must not happen.
expect {
  all_invariants = true,
  reached        = {},
  never          = { "refused", "refund" },
}
