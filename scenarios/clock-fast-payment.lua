-- clock-fast-payment.lua: the payment service's clock runs 50% fast (rate = 1.5: after
-- 10 s of virtual time it reads 15 s past the start).  Its timers are delays on its
-- own clock, so its recovery scan, every 1 s by its clock, runs every 0.667 s, and a
-- row's retry interval of 2 s passes in 1.333 s: with 20% of the PUBLISH frames to the
-- broker lost, rows are republished sooner than the design intended.  Earlier retries
-- mean more duplicates at accounting, which its inbox absorbs.  Every invariant holds.
scenario {
  name     = "the payment service's clock runs 1.5 times too fast: retries come early",
  workload = { payments = 100, rate = 10 },
  run      = 15,
  settle   = 60,
}

clock { node = "payment", rate = 1.5 }
drop { link = "payment->broker", p = 0.2 }

expect { all_invariants = true, reached = { "republished" } }
