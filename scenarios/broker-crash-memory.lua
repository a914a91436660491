-- broker-crash-memory.lua: the broker crashes with in-memory queues, and everything
-- it held is gone.  To make it hold a lot, accounting is cut off from the broker for
-- 4 s first (a two-way partition): the payment messages of those seconds, and the
-- scan's republications of them, sit in PAY_QUEUE, undelivered or unacked.  At 9.5 s
-- the broker is killed; it restarts at 10.5 s with empty queues (its note: "in-memory
-- queues start empty").  Those messages were lost inside the broker; their outbox
-- rows are still SENDING, so the payment service's scan publishes them again and
-- they arrive.  To see it: the payments whose DELIVER frames before 9.5 s were all
-- partitioned have a later "publish" note ("attempt N") and a voucher;
-- tests/system/faults.sh counts them.  Compare broker-crash-durable.lua, where the
-- broker keeps them.  `mark-on-publish` and `outbox-no-recovery` lose them.
scenario {
  name     = "the broker crashes with in-memory queues; the scan republishes what it lost",
  knobs    = { durable = false },
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

partition { between = { "broker", "accounting" }, start = 6, stop = 10 }
crash { node = "broker", at = 9.5, restart_after = 1 }

expect { all_invariants = true, reached = { "republished" } }
