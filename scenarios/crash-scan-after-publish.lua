-- crash-scan-after-publish.lua: the recovery scan dies between republishing a row and
-- pushing its next attempt out (failpoint payment.scan_after_publish): "publish
-- first, mark second, crash in between" (eventuate-local #212).  The republished
-- message is on its way, but the row still says the old attempt and the old due time,
-- so the restarted scan publishes it again at once: the same message twice.  That is
-- safe only because accounting's inbox deduplicates (`outbox-no-dedupe` writes a
-- second voucher).  30% of the first publications are lost so that the scan has rows
-- to republish.
scenario {
  name     = "the recovery scan crashes between republishing and rescheduling, twice",
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.3 }
crash { at_failpoint = "payment.scan_after_publish", hit = 5, restart_after = 1 }
crash { at_failpoint = "payment.scan_after_publish", hit = 20, restart_after = 1 }

expect {
  all_invariants = true,
  reached        = { "republished", "restart_finds_sending", "duplicate_absorbed" },
}
