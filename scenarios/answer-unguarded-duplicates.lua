-- answer-unguarded-duplicates.lua: the answer handler that trusts the broker to deliver
-- each answer once.  Design answer-unguarded applies CONSUMED and CONSUME_FAILED with
-- `UPDATE outbox SET status=... WHERE id=? AND payment_id=?`, without the status guard
-- (`AND status IN ('SENDING', 'DEAD')`).  A third of the answers the broker delivers to
-- the payment service arrive twice (a redelivery after a lost DACK, a network duplicate),
-- and a fifth of the payments are refused.  Each second copy rewrites a row already
-- settled: its status stays what it was and the refund is not written twice (the
-- payment is no longer PAID), so the end state is right and every end-state invariant
-- holds; only the history shows that a settled row moved again (final_states_final,
-- which the outbox design keeps: under --design outbox this run ends held:final_states_final).
scenario {
  name     = "duplicate answers rewrite settled rows when the UPDATE has no status guard",
  design   = "answer-unguarded",
  workload = { payments = 30, rate = 10, refuse_rate = 0.2 },
  run      = 4,
  settle   = 20,
}

duplicate { link = "broker->payment", label = "DELIVER", p = 0.3 }

expect {
  violated    = { "final_states_final" },
  others_hold = true,
  reached     = { "frame_duplicated", "refund" },
}
