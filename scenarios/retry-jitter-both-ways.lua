-- retry-jitter-both-ways.lua: the retry jitter spreads republications to both sides of
-- the schedule.  Half of the PUBLISH frames to PAY_QUEUE are lost, so most rows are
-- republished, each after the linear interval of its attempt (2, 4, 6... s) moved by up
-- to half of it either way (jitter = 0.5).  Each republication alone is judged against
-- the jittered bounds (retry_schedule); together they must also show the jitter on both
-- sides: a service whose jitter only ever delays (drawn from [0, +jitter)) keeps within
-- every bound, yet its retries lean one way, which is what jitter exists to prevent.
-- With a scan every 0.1 s against a spread of a second or more, a correct service shows
-- both sides many times over (sim/check/hjitter.h says how the odds are counted); a
-- one-sided one fails retry_schedule at the end of the run.
scenario {
  name     = "jittered retries come both earlier and later than the schedule",
  knobs    = { retry = "linear", retry_base = 2, jitter = 0.5, scan_interval = 0.1 },
  workload = { payments = 80, rate = 8 },
  run      = 20,
  settle   = 90,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5 }

expect { all_invariants = true, reached = { republished = 40 } }
