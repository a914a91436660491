-- consumers-crash.lua: competing consumers under the full design.  Three accounting
-- processes (accounting, accounting-2, accounting-3) take PAY_QUEUE's deliveries in
-- turn and share one accounting database.  accounting-2 dies twice right after its
-- local transaction committed (inbox row + voucher), before it answers and acks, and
-- accounting is killed outright at 6 s with deliveries in flight.  The broker
-- redelivers each unacked delivery, after the visibility timeout, to the next consumer
-- in the rotation, which finds the message in the shared inbox: a duplicate, answered
-- again, no second voucher.  Every invariant holds, exactly_once across the instances
-- included.
scenario {
  name     = "three accounting instances on one inbox; two of them crash mid-delivery",
  workload = { payments = 90, rate = 10 },
  run      = 15,
  settle   = 60,
}

topology { accounting = 3 }

crash { node = "accounting-2", at_failpoint = "accounting.after_apply", hit = 2, restart_after = 2 }
crash { node = "accounting-2", at_failpoint = "accounting.after_apply", hit = 10, restart_after = 2 }
crash { node = "accounting", at = 6.02, restart_after = 3 }

expect { all_invariants = true, reached = { "redelivered", "duplicate_absorbed" } }
