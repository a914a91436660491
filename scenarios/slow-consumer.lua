-- slow-consumer.lua: a backlog.  For the first 15 s accounting needs 0.2 s per
-- message it handles, while payments arrive at 10 per second: it can take 5 a second.
-- Deliveries that arrive while it is busy wait in its backlog, in order (trace lines
-- "backlog" with the depth; each "deliver" that waited says how long).  The broker
-- keeps at most `prefetch` (100) deliveries unacked, so the rest wait in PAY_QUEUE.
-- The visibility timeout is a minute, so the broker does not redeliver: the copies
-- that still appear come from the payment service, whose scan republishes rows not
-- CONSUMED within their retry interval (2 s, 4 s, ...): a producer retrying faster
-- than the consumer drains adds to the very backlog that delays it.  The inbox
-- absorbs them; the backlog drains after 15 s and everything converges.
-- (For redeliveries caused by a lease shorter than the work, see
-- lease-shorter-than-work.lua.)
scenario {
  name     = "accounting takes 0.2 s per message for 15 s: a backlog builds and drains",
  knobs    = { visibility = 60 },
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

slow { node = "accounting", per_message = 0.2, start = 0, stop = 15 }

expect { all_invariants = true, reached = { "republished", "duplicate_absorbed" } }
