-- relays-client-resubmit.lua: a client retries a payment the service had already
-- committed, while a relay process runs the recovery scan on the same database.  The
-- payment service crashes right after committing the last payment of the workload
-- (payment.after_commit, hit 20), before it answered the client or published the
-- message; it restarts half a second later, and the client asks again with the same
-- payment id, which the service must recognise (idempotency key: "already recorded, no
-- change").  The message was never published, so the relay finds the row due, claims it
-- (a write to the shared database) and publishes it; accounting answers, and the payment
-- service must mark the row CONSUMED.  A lookup that finds the payment and leaves its
-- read statement open keeps the connection on the snapshot of that moment: once the
-- relay has written, every write of the payment service fails ("database is locked"),
-- the answer is never taken, and the row stays SENDING for ever, although the service
-- runs and says so on every redelivery.  With one process on the database nothing shows;
-- the relay, as another writer, makes it show.  Every invariant holds.
scenario {
  name     = "a client resubmits a committed payment while a relay publishes it",
  workload = { payments = 20, rate = 10 },
  run      = 6,
  settle   = 20,
}

topology { relays = 1 }
crash { node = "payment", at_failpoint = "payment.after_commit", hit = 20, restart_after = 0.5 }

expect { all_invariants = true, faults_act = true,
         reached = { "answer_unknown", "client_retry", "payment_resubmitted",
                     "restart_finds_sending", "republished" } }
