-- late-answer-to-dead.lua: DEAD is not final.  Every answer accounting sends back is
-- held up for 12 to 15 s on its way to the broker; with max_attempts = 3 and linear retry
-- from 1 s, a row is published at t0, t0+1 and t0+3 and goes DEAD at about t0+6, with
-- its alert.  Then the first CONSUMED arrives, late, and marks the DEAD row CONSUMED
-- (docs/design.md, "The life of a row"): every payment ends booked once and its row
-- settled; the alerts stay, as history.  A change that made DEAD final, or that let
-- the answer move a row twice, would show here.
scenario {
  name     = "answers arrive after their rows went DEAD, and settle them",
  knobs    = { retry = "linear", retry_base = 1, max_attempts = 3 },
  workload = { payments = 30, rate = 5 },
  run      = 20,
  settle   = 60,
}

delay { link = "accounting->broker", label = "PUBLISH", min = 12, max = 15, stop = 10 }

expect { all_invariants = true, reached = { "row_dead", late_answer_to_dead = 10 } }
