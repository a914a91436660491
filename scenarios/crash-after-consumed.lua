-- crash-after-consumed.lua: the producer dies after marking a row CONSUMED (or FAILED
-- and refunded), before acking the delivery of the answer (failpoint
-- payment.after_consumed).  The broker redelivers the answer after the visibility
-- timeout; marking CONSUMED again changes nothing, and a FAILED answer seen twice
-- must not refund twice (payment 4 is refused, so answers of both kinds are in play).
scenario {
  name     = "payment crashes after marking a row done, before acking the answer, twice",
  workload = { payments = 100, rate = 10, refuse = { 4, 12 } },
  run      = 20,
  settle   = 60,
}

crash { at_failpoint = "payment.after_consumed", hit = 4, restart_after = 1 }
crash { at_failpoint = "payment.after_consumed", hit = 30, restart_after = 1 }

expect { all_invariants = true, reached = { "answer_duplicate", "refund" } }
