-- clock-jump-backward.lua: what a backward clock jump does to the retry schedule.
-- 30% of the payment messages are lost on their way to the broker, so their rows
-- wait for the recovery scan.  At 8 s the payment service's clock jumps back 30 s.
-- The scan still runs every second (a timer is a delay, not a time of day), but it
-- picks rows by next_attempt_at <= now, and the rows that were waiting had their
-- next_attempt_at computed from the old clock: each now waits 30 s longer.  Rows
-- committed after the jump are scheduled from the new clock and retry on time.
--
-- Measured (seed 1): the run goes quiet 22 s after healing, at 42 s; without the
-- jump it is quiet by healing.  Nothing is lost or duplicated, only late, so with a
-- settle phase longer than the jump every invariant holds.  With settle = 15 the same
-- run breaks eventual_consistency (16 rows still SENDING, each with no voucher) and
-- convergence: the jump costs time, not correctness, and a bound on convergence
-- must allow for the largest backward jump the clocks can make.
scenario {
  name     = "payment's clock jumps back 30 s: waiting retries are 30 s late, then converge",
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.3 }
clock_jump { node = "payment", at = 8, by = -30 }

expect { all_invariants = true, reached = { "republished" } }
