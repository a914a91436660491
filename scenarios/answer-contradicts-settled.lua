-- answer-contradicts-settled.lua: a late answer that contradicts the one that settled the
-- row, and a payment service that must not move.  Payment 5 is booked at about 2 s and
-- answered CONSUMED; its row settles.  The DACK of its delivery is lost, so the broker
-- still holds a copy.  Accounting stops for maintenance at 4 s, and its operator,
-- reversing that booking by hand, rewrites payment 5's inbox row as REFUSED (the
-- voucher stays, as an accountant's reversal keeps the original entry).  After the
-- restart the broker's copy comes back, accounting answers it from its inbox:
-- CONSUME_FAILED, where it said CONSUMED before.  That its two answers disagree is
-- accounting's doing (dedupe_same_answer breaks, as expected here).  What the payment
-- service must do is what it does with any late answer: the row is settled, and a settled
-- row never moves, so no refund is written for a payment accounting booked.  A status
-- guard that lets FAILED overwrite CONSUMED refunds it (final_states_final, compensation).
scenario {
  name     = "a late answer contradicts the settled one: the payment service keeps its row",
  workload = { payments = 10, rate = 2 },
  run      = 10,
  settle   = 30,
}

drop   { link = "accounting->broker", queue = "PAY_QUEUE", label = "DACK", nth = 5 }
crash  { node = "accounting", at = 4, restart_after = 1 }
tamper { node = "accounting", at = 4.1,
         sql = "UPDATE inbox SET outcome = 'REFUSED', reason = 'reversed by hand' WHERE msg_id = 5" }

expect {
  violated    = { "dedupe_same_answer" },
  others_hold = true,
  reached     = { "redelivered", "answer_duplicate" },
}
