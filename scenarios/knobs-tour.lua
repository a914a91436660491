-- knobs-tour.lua: the seed's design with every knob away from its default: exponential
-- retry with jitter, a durable broker, synchronous=full, small scan batches and prefetch,
-- and loss on both sides.  Whatever the tuning, the outbox
-- converges and every invariant holds.
scenario {
  name     = "every knob turned: the outbox still converges",
  knobs    = { retry = "exponential", retry_base = 0.5, retry_max = 4, jitter = 0.3,
               max_attempts = 30, scan_interval = 0.5, scan_batch = 3, prefetch = 4,
               delivery = "at-least-once", durable = true, visibility = 1.5,
               synchronous = "full", max_amount = 500000 },
  workload = { payments = 60, rate = 4, amount = { 100, 400000 }, accounts = 5, refuse = { 9 } },
  run      = 20,
  settle   = 120,
}
drop { link = "payment->broker", p = 0.2 }
drop { link = "broker->accounting", p = 0.2 }
at(8, function() crash { node = "broker", restart_after = 1 } end)
expect { all_invariants = true, reached = { "republished", "redelivered", "refund" } }
