-- resubmit-in-flight.lua: a peer failure (spring-modulith #321, #663, #926): work is
-- submitted again while the original is still in flight, and copies result.  Here the
-- payment publications are slow on the wire for 10 s (2.5 to 4 s, longer than the
-- first retry interval of 2 s), so the recovery scan republishes rows whose first
-- publication has not even arrived: two copies of the message travel at once.  On top
-- of that the payment service is killed twice right after publishing and before
-- answering; the client, with no answer, resubmits the same payment id a second later
-- while that first publication is still on the wire.  pay() is idempotent on the
-- payment id (the second request finds the row and changes nothing), and accounting's
-- inbox absorbs the copies.  `outbox-no-dedupe` writes a second voucher (exactly_once).
scenario {
  name     = "slow publications and client resubmits while the original is in flight",
  workload = { payments = 60, rate = 6 },
  run      = 20,
  settle   = 60,
}

delay { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", min = 2.5, max = 4, stop = 10 }
crash { at_failpoint = "payment.after_publish", hit = 10, restart_after = 0.5 }
crash { at_failpoint = "payment.after_publish", hit = 30, restart_after = 0.5 }

expect { all_invariants = true, reached = { "payment_resubmitted", "client_retry" } }
