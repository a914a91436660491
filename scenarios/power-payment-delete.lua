-- power-payment-delete.lua: the power fails under the payment service as in
-- power-payment-normal.lua (synchronous = "normal", right after the 30th commit), but
-- the payment service alone keeps a rollback journal: ["payment.journal_mode"] =
-- "delete", a knob for one service (its role's prefix).  Under a rollback journal
-- NORMAL syncs the database at every commit, so the cut loses nothing that was told OK
-- and no voucher outlives its payment: every invariant holds (docs/design.md, "Power
-- loss in a run": payment, delete, normal holds).  A service that read the prefixed
-- knob wrong, or kept WAL anyway, would lose the commits since its last checkpoint
-- and leave phantoms, as power-payment-normal.lua does on purpose.
--   bin/outbox-sim run scenarios/power-payment-delete.lua --narrate
scenario {
  name     = "power loss on payment under a rollback journal (payment only): nothing lost",
  knobs    = { ["payment.journal_mode"] = "delete" },
  workload = { payments = 60, rate = 10 },
  run      = 10,
  settle   = 40,
}

power_loss { at_failpoint = "payment.after_commit", hit = 30, keep = "none", restart_after = 1 }

expect { all_invariants = true, reached = { "answer_unknown" } }
