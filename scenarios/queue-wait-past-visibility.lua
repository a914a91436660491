-- queue-wait-past-visibility.lua: a message waits in the broker's queue longer than the
-- visibility timeout before its first delivery.  Accounting needs 0.2 s per message for
-- 15 s while payments arrive at 10 a second, and the broker keeps at most 10 deliveries
-- unacked (prefetch = 10), so most messages wait in PAY_QUEUE, many of them for more
-- than the 5 s visibility timeout.  Each of the 10 in flight is acked within about 2 s
-- (10 x 0.2 s), well inside the timeout: a broker that counts the timeout from the
-- delivery redelivers nothing.  One that counts it from the enqueue (design
-- redeliver-early) finds a message that waited past its deadline already expired the
-- moment it is delivered, and sends it again at once: broker_redelivery names the
-- delivery and the two sendings closer than the timeout.
scenario {
  name     = "messages wait in the queue past the visibility timeout; no early redelivery",
  knobs    = { prefetch = 10, visibility = 5 },
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

slow { node = "accounting", per_message = 0.2, start = 0, stop = 15 }

expect { all_invariants = true, reached = { "republished", "duplicate_absorbed" } }
