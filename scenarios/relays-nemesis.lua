-- relays-nemesis.lua: swarm.lua's nemesis over the production topology: two relays
-- claiming with leases and three competing accounting instances, every fault kind the
-- nemesis draws (drops, duplicates, delays, broker loss, slow nodes, crashes at
-- failpoints, partitions, rollbacks, skewed clocks and clock jumps of up to 20 s), each
-- node drawn among all seven processes.  The full design must converge with every
-- invariant held, the lease checks included.  A jump larger than lease_skew (1 s by
-- default) can let a relay take a row another still holds (its clock says the lease is
-- over): that is the fault's doing, not the design's, and the checker excuses it (a clock
-- fault larger than the margin; hlease.h).  Sweep it:
--
--   bin/outbox-sim sweep scenarios/relays-nemesis.lua --seeds 1..60 -j 2
scenario {
  name     = "two relays and three consumers under the swarm's nemesis: the outbox converges",
  knobs    = { retry = "exponential", retry_base = 0.5, retry_max = 4, max_attempts = 100 },
  workload = { payments = 120, rate = 6, refuse_rate = 0.03 },
  run      = 30,
  settle   = 120,
}

topology { relays = 2, accounting = 3 }

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

-- Not "republished": a seed whose swarm draws few faults (seed 93) republishes nothing;
-- every one of seeds 1..200 has the shared inbox absorb a copy.
expect { all_invariants = true, reached = { "duplicate_absorbed" } }
