-- dedupe-in-memory-no-restart.lua: why a test without restarts passes the weak design
-- dedupe-per-instance.  The team keeps the ids accounting handled in the process's memory
-- ("the inbox table is slow") and tests it against a lossy network: half of accounting's
-- CONSUMED answers are lost for 8 s, so the payment's scan publishes those rows again
-- 2 s later, and the one accounting process, which never restarts, finds each id in its
-- memory: it books nothing a second time and answers again with the first outcome
-- ("duplicate" notes), so every row ends CONSUMED.  Every invariant holds, as it does for
-- the full design; the flaw shows only when another process or a restarted one gets the
-- copy (consumers-dedupe-per-instance.lua).  The in-memory duplicate path has to answer
-- and ack like the inbox's: a copy it refused to answer would be redelivered for ever and
-- its row would go DEAD.
scenario {
  name     = "in-memory dedupe in one consumer that never restarts absorbs every republished copy",
  design   = "dedupe-per-instance",
  workload = { payments = 40, rate = 10 },
  run      = 10,
  settle   = 60,
}

drop { link = "accounting->broker", queue = "ACC_QUEUE", label = "PUBLISH CONSUMED", p = 0.5,
       stop = 8 }

expect { all_invariants = true,
         reached = { "frame_dropped", "republished", "duplicate_absorbed" } }
