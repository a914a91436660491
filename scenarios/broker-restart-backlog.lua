-- broker-restart-backlog.lua: a durable broker restarts holding hundreds of messages.
-- Accounting is cut off from the broker for the first 4 s while 300 payments arrive at
-- 100 a second, so PAY_QUEUE grows to a backlog of every message and the scan's
-- republications; the broker crashes at 3.5 s and restarts at 4 s.  It must restore
-- every message its file holds, however many: restart_state holds its note ("N
-- messages restored") to what the history says it accepted and nobody acked.  A load
-- that stops at a fixed page of rows (the first 100, say) restores part of the queue
-- and leaves the rest in the file, where no delivery will ever find it.
scenario {
  name     = "a durable broker restarts under a backlog of hundreds: it restores them all",
  knobs    = { durable = true },
  workload = { payments = 300, rate = 100 },
  run      = 8,
  settle   = 60,
}

partition { between = { "broker", "accounting" }, start = 0, stop = 4 }
crash { node = "broker", at = 3.5, restart_after = 0.5 }

expect { all_invariants = true, reached = { "broker_restored", "partition_cut" } }
