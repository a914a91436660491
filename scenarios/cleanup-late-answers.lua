-- cleanup-late-answers.lua: a retention job next to rows that were DEAD once.  As in
-- late-answer-to-dead.lua, every answer is held up 12 to 15 s, so rows go DEAD (with an
-- alert) before their CONSUMED arrives and settles them.  With cleanup_after = 5 the
-- cleanup then deletes those settled rows; their alerts must stay, as the record that
-- the payments once ran out of attempts (alerts_kept).  The weak design
-- cleanup-takes-alerts deletes a row's alerts with it (an ON DELETE CASCADE from alert
-- to outbox): the end state cannot tell, since no row is left DEAD, but the history
-- committed alerts that payment.db no longer holds:
--   bin/outbox-sim run scenarios/cleanup-late-answers.lua --design cleanup-takes-alerts
scenario {
  name     = "the cleanup deletes rows that were DEAD once, and keeps their alerts",
  knobs    = { retry = "linear", retry_base = 1, max_attempts = 3, cleanup_after = 5 },
  workload = { payments = 30, rate = 5 },
  run      = 20,
  settle   = 60,
}

delay { link = "accounting->broker", label = "PUBLISH", min = 12, max = 15, stop = 10 }

expect { all_invariants = true, reached = { "row_dead", "late_answer_to_dead", "rows_cleaned" } }
