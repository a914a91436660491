-- bench/standard.lua: the benchmark suite's standard scenario (make bench; docs/performance.md).
-- Not a teaching scenario: a fixed, busy, faulty workload whose wall time is measured.
-- 5,000 payments at 50 per virtual second (a 100 s fault phase), 5% of every frame on
-- every link lost and 2% duplicated, each of the three services SIGKILLed once and
-- restarted a second later, then a 120 s settle in which the outbox must converge.
-- The retry budget is raised above the default (max_attempts 8) so that a run of this
-- length never dead-letters by bad luck: the benchmark must pass to count.
scenario {
  name     = "benchmark: 5000 payments at 50/s, 5% loss and 2% duplication everywhere, one crash per service",
  design   = "outbox",
  knobs    = { retry = "linear", retry_base = 2, retry_max = 10, max_attempts = 30 },
  workload = { payments = 5000, rate = 50, amount = { 100, 50000 }, accounts = 100 },
  run      = 100,
  settle   = 120,
}

drop      { p = 0.05 }     -- every link, both directions, every kind of frame
duplicate { p = 0.02 }

crash { node = "payment",    at = 25, restart_after = 1 }
crash { node = "broker",     at = 50, restart_after = 1 }
crash { node = "accounting", at = 75, restart_after = 1 }

expect { all_invariants = true }
