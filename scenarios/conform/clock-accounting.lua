-- conform/clock-accounting.lua: `outbox-sim conform`, clause clock-from-step for
-- accounting.  Its clock runs a day behind the others and half again as fast, and its
-- inbox keeps rows 20 s of that clock (knob inbox_retention): the purge must forget the
-- old rows (reached inbox_purged) and the vouchers carry times of that clock.
scenario {
  name     = "conform: accounting's clock is a day behind and fast",
  knobs    = { inbox_retention = 20 },
  workload = { payments = 30, rate = 10 },
  run      = 10,
  settle   = 50,
}

clock { node = "accounting", skew = -86400, rate = 1.5 }

expect { all_invariants = true, reached = { "inbox_purged" } }
