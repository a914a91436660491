-- power-payment-durable-send.lua: power-payment-normal.lua with the cure as a design
-- knob, durable_send = 1, and synchronous left at "normal".  Commits stay cheap; only
-- before something leaves the service (the publication, the client's OK, an answer, a
-- delivery) does it sync the WAL, so nothing that left can be taken back by a power
-- cut.  Under group commit one sync covers a whole group.  The same power cut right
-- after the 30th commit takes that commit back (it had not been sent yet, nor
-- answered: the client asks again), and nothing that anyone was told: every invariant
-- holds.
scenario {
  name     = "power loss on payment with durable_send: synced before it is sent",
  knobs    = { durable_send = 1 },
  workload = { payments = 60, rate = 10 },
  run      = 10,
  settle   = 40,
}

power_loss { at_failpoint = "payment.after_commit", hit = 30, keep = "none", restart_after = 1 }

expect { all_invariants = true, reached = { "power_cut_lost", "client_retry" } }
