-- crash-after-commit.lua: the producer dies at the worst moment the seed names: the
-- payment and its outbox row are committed, the message is not yet published.  The
-- restarted service finds the row SENDING and the recovery scan publishes it.  (The
-- client saw no answer for that payment, so its outcome is "unknown" until the
-- checker reads the database.)
scenario {
  name     = "payment crashes between COMMIT and publish, twice",
  workload = { payments = 100, rate = 10 },
  run      = 30,
  settle   = 120,
}

-- The 3rd and the 20th time any incarnation of payment passes the failpoint.
crash { node = "payment", at_failpoint = "payment.after_commit", hit = 3, restart_after = 2 }
crash { node = "payment", at_failpoint = "payment.after_commit", hit = 20, restart_after = 2 }

expect {
  all_invariants = true,
  reached        = { "answer_unknown", "client_retry", "payment_resubmitted",
                     "restart_finds_sending" },
}
