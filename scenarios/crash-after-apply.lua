-- crash-after-apply.lua: the consumer dies after its local transaction (inbox row +
-- voucher committed) and before it answers CONSUMED and acks the delivery.  The broker
-- re-delivers after the visibility timeout; the inbox recognises the message, so no
-- second voucher, and CONSUMED is sent this time.  (For the crash that catches
-- `ack-before-apply`, see crash-after-ack.lua.)
scenario {
  name     = "accounting crashes after applying a voucher, before acking it, twice",
  workload = { payments = 100, rate = 10 },
  run      = 30,
  settle   = 120,
}

crash { node = "accounting", at_failpoint = "accounting.after_apply", hit = 5, restart_after = 2 }
crash { node = "accounting", at_failpoint = "accounting.after_apply", hit = 30, restart_after = 2 }

expect { all_invariants = true, reached = { "redelivered", "duplicate_absorbed" } }
