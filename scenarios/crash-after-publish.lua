-- crash-after-publish.lua: the producer dies right after its first publication left,
-- before it answered the client (failpoint payment.after_publish).  The message is
-- on its way; the outbox row is SENDING.  The client saw no answer (outcome unknown)
-- and retries a second later: pay() finds the payment already recorded and answers
-- OK without a second row.  The message is consumed and the row marked CONSUMED as if
-- nothing had happened; if CONSUMED came back while payment was down, the broker
-- redelivers it.
scenario {
  name     = "payment crashes right after publishing, before answering, twice",
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

crash { at_failpoint = "payment.after_publish", hit = 5, restart_after = 1 }
crash { at_failpoint = "payment.after_publish", hit = 30, restart_after = 1 }

expect {
  all_invariants = true,
  reached        = { "answer_unknown", "payment_resubmitted", "duplicate_absorbed" },
}
