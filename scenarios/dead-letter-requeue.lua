-- dead-letter-requeue.lua: the end of the dead-letter story.  An outage outlasts the
-- retry budget, so rows go DEAD and each raises an alert (as in dead-letters.lua).
-- Then an operator, alerted, runs the real bin/outbox-ctl on the payment database:
-- first `stats` to look, then `requeue all`.  The recovery scan publishes the revived
-- rows, accounting books them, and every payment comes home: all invariants hold,
-- and the alerts stay as the record of what happened.
scenario {
  name     = "dead letters requeued by an operator with outbox-ctl come home",
  knobs    = { retry = "linear", retry_base = 2, max_attempts = 4 },
  workload = { payments = 40, rate = 2 },
  run      = 60,
  settle   = 60,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 35 }

at(50, function()
  note("the outage is over; the operator looks, then requeues every dead letter")
  ctl("stats")
  local code = ctl("requeue", "all")
  if code ~= 0 then error("outbox-ctl requeue all exited " .. code) end
end)

expect { all_invariants = true, reached = { "row_dead", "operator_requeue" } }
