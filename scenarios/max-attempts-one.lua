-- max-attempts-one.lua: max_attempts = 1, "publish once, never retry", as a team sets it
-- for messages a later process reconciles anyway.  Every publication is lost for the
-- first 4 s, so each of the 20 payments (committed in the first 2 s) is published once,
-- lost, and must go DEAD, with its alert, at the first scan after its retry would have
-- been due.  Design retries-not-attempts reads the knob as "retries after the first"
-- (Spring Retry's maxAttempts against resilience4j's maxRetries): it publishes each row
-- a second time, a second after the first and as lost, before the row goes DEAD: all 20
-- rows end DEAD either way, after one publication or after two.
-- dead_after_max_attempts holds each DEAD to exactly one publication and breaks on the
-- second; every other invariant but eventual_consistency (the DEAD payments have no
-- voucher, on purpose) holds.  Under the outbox design dead_after_max_attempts holds
-- (--design outbox ends held:dead_after_max_attempts).
scenario {
  name     = "max_attempts = 1 read as one retry: a second publication before DEAD",
  design   = "retries-not-attempts",
  knobs    = { retry = "linear", retry_base = 1, max_attempts = 1 },
  workload = { payments = 20, rate = 10 },    -- commits in [0, 2)
  run      = 4,
  settle   = 10,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", stop = 4 }

expect {
  violated     = { "dead_after_max_attempts", "eventual_consistency" },
  others_hold  = true,
  dead_letters = 20,
  reached      = { "row_dead", "republished" },
}
