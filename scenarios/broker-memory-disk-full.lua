-- broker-memory-disk-full.lua: the disk under a broker with in-memory queues fills up.
-- The team runs the broker without durable queues (durable = 0, the default): it writes
-- its file once per start (the incarnation its delivery ids are numbered from, so that a
-- restarted broker never hands out an id twice) and keeps every message in memory.  From
-- 2 s to 8 s its disk is full (every write fails with SQLITE_FULL: another tenant's logs
-- took the volume).  A broker of in-memory queues does not touch its disk while it runs,
-- so nothing changes: it takes, delivers and acks every message as before, nothing is
-- republished, no disk call fails.  A broker that wrote per message (a new incarnation
-- for every id, say) would refuse every publication for those 6 s.  Every invariant holds,
-- and the run must stay as quiet as clean.lua.
scenario {
  name     = "an in-memory broker's disk is full for 6 s: it does not notice",
  knobs    = { durable = 0 },
  workload = { payments = 60, rate = 10 },
  run      = 10,
  settle   = 30,
}

disk { node = "broker", fault = "full", on = "write", start = 2, stop = 8 }

expect {
  all_invariants = true,
  reached        = {},
  never          = { "disk_error", "republished", "redelivered", "row_dead" },
}
