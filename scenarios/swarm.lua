-- swarm.lua: a randomized swarm for long runs (swarm testing, as in TigerBeetle's
-- VOPR).  The nemesis draws the whole fault schedule from the run's seed: which kinds
-- of fault are on at all (each with chance 3/4), their rates (up to the maxima below),
-- and when and where each crash, partition and clock jump happens.  One seed is one
-- configuration; sweep many seeds to cover many:
--
--   bin/outbox-sim sweep scenarios/swarm.lua --seeds 1..200 -j 2
--
-- Every fault the nemesis injected is in the trace as a "fault" line carrying its Lua
-- declaration, so a failing seed reads back as an explicit schedule:
--
--   grep '"ev":"fault"' reports/runs/swarm/SEED/trace.jsonl
--
-- rollback arms the services' injected business error (lib/io.h): a transaction rolls
-- back after its writes, so a design that publishes before COMMIT (publish-in-tx)
-- leaves a phantom voucher without any crash:
--
--   bin/outbox-sim sweep scenarios/swarm.lua --seeds 1..20 -j 2 --design publish-in-tx
--
-- The knobs give the retry budget room for the worst schedules the maxima allow
-- (partitions up to 5 s, backward clock jumps up to 20 s, lost answers): the design
-- must converge, and rows must not run out of attempts before the faults stop.
scenario {
  name     = "swarm: a fault schedule drawn from the seed; the outbox must converge",
  knobs    = { retry = "exponential", retry_base = 0.5, retry_max = 4, max_attempts = 100 },
  workload = { payments = 120, rate = 6, refuse_rate = 0.03 },
  run      = 30,
  settle   = 120,
}

nemesis {
  drop = 0.2, duplicate = 0.1, delay = 0.2, delay_max = 1,
  broker_loss = 0.1,
  slow = 0.05,
  clock_skew = 5,
  crash_every = 8, restart_max = 3, failpoints = true,
  partition_every = 10, partition_max = 5,
  clock_jumps = true, clock_every = 12, clock_max = 20,
  rollback = 0.2,
}

expect { all_invariants = true, reached = { "republished" } }
