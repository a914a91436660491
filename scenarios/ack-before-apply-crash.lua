-- ack-before-apply-crash.lua: the weak design ack-before-apply, caught by one crash.
-- This accounting service answers CONSUMED and DACKs the delivery first, then writes
-- the voucher.  It crashes once between the two (the failpoint accounting.after_ack, at
-- its tenth hit): the broker has forgotten the message and payment has marked the row
-- CONSUMED, so nobody will ever send it again, and the voucher is never written.
-- answer_after_commit names the answer that went out before its transaction;
-- eventual_consistency finds the payment with no voucher at the end.  The other
-- deliveries in flight at the crash come again to the restarted service, which answers
-- them and absorbs the copies it had already applied.
scenario {
  name     = "ack-before-apply: a crash between the ack and the voucher loses the voucher",
  design   = "ack-before-apply",
  workload = { payments = 30, rate = 10 },
  run      = 5,
  settle   = 20,
}

crash { node = "accounting", at_failpoint = "accounting.after_ack", hit = 10, restart_after = 1 }

expect {
  violated    = { "answer_after_commit", "eventual_consistency" },
  others_hold = true,
  reached     = { "redelivered", "duplicate_absorbed" },
}
