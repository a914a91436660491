-- bench/long.lua: bench/standard.lua made ten times longer, for the memory benchmark
-- (make bench; docs/performance.md).  Everything scales by ten: 50,000 payments at the
-- same 50 per virtual second (a 1,000 s fault phase), the same 5% loss and 2%
-- duplication on every link, each service SIGKILLed ten times (once per 100 s, at the
-- same offsets as the standard run), and a 1,200 s settle.  A simulator that streams
-- its trace and keeps bounded state peaks at the same resident size on both runs.
scenario {
  name     = "benchmark, ten times longer: 50000 payments at 50/s, loss, duplication, ten crashes per service",
  design   = "outbox",
  knobs    = { retry = "linear", retry_base = 2, retry_max = 10, max_attempts = 30 },
  workload = { payments = 50000, rate = 50, amount = { 100, 50000 }, accounts = 100 },
  run      = 1000,
  settle   = 1200,
}

drop      { p = 0.05 }
duplicate { p = 0.02 }

for k = 0, 9 do
  crash { node = "payment",    at = 100 * k + 25, restart_after = 1 }
  crash { node = "broker",     at = 100 * k + 50, restart_after = 1 }
  crash { node = "accounting", at = 100 * k + 75, restart_after = 1 }
end

expect { all_invariants = true }
