-- broker-crash-durable.lua: the same crash as broker-crash-memory.lua, with durable
-- queues (knob durable = 1: the broker writes each message to its SQLite file from
-- enqueue to ack).  The restarted broker restores every message it held (its note:
-- "incarnation 2: N messages restored") and delivers them; nothing was lost inside.
-- The scan still republishes rows that stayed unanswered past their retry time, and
-- accounting's inbox absorbs the copies.
scenario {
  name     = "the broker crashes with durable queues; it restores what it held",
  knobs    = { durable = true },
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

partition { between = { "broker", "accounting" }, start = 6, stop = 10 }
crash { node = "broker", at = 9.5, restart_after = 1 }

expect { all_invariants = true, reached = { "broker_restored" } }
