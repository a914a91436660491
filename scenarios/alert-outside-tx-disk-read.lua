-- alert-outside-tx-disk-read.lua: the weak design alert-outside-tx on a disk that fails
-- a read.  Every publication is lost for the first 10 s; the 20 payments come in a burst
-- (0.4 s), and with max_attempts = 2 (linear, 1 s) the scan at 4 s finds all of them out
-- of attempts.  The design marks a row DEAD in a statement of its own, committed, and
-- writes its alert in a second transaction.  Payment runs on journal_mode = "delete",
-- where each transaction begins by reading the database's change counter; the 4th read
-- from 3.5 s fails with EIO, and it is the BEGIN of the first row's alert transaction:
-- row 1 stays DEAD with no alert (dead_letters_alerted, alert_names_row), and nobody will
-- know to requeue it; the DEAD payments have no voucher (eventual_consistency).  The
-- service must still say that its step failed: errors_reported, like every other
-- invariant, holds.  The outbox design writes DEAD and its alert in one transaction, so
-- the same failure leaves the row SENDING for the next scan (--design outbox: every
-- row ends DEAD with its alert, and this run's expectation is not met).
scenario {
  name     = "alert-outside-tx: a read error at the alert's BEGIN leaves a silent DEAD row",
  design   = "alert-outside-tx",
  knobs    = { retry = "linear", retry_base = 1, max_attempts = 2,
               ["payment.journal_mode"] = "delete" },
  workload = { payments = 20, rate = 50 },    -- commits in [0, 0.4)
  run      = 10,
  settle   = 10,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", stop = 10 }
disk { node = "payment", fault = "eio", on = "read", nth = 4, start = 3.5, stop = 7 }

expect {
  violated     = { "dead_letters_alerted", "alert_names_row", "eventual_consistency" },
  others_hold  = true,
  dead_letters = 20,
  faults_act   = true,
  reached      = { "row_dead", "republished", "disk_error" },
}
