-- broker-restart-redelivery-count.lua: a durable broker restarts in the middle of a
-- redelivery storm, and the count each redelivery carries must survive it.  Accounting's
-- acknowledgements (DACK) are lost for the first 8 s, so the broker redelivers every
-- payment message once per visibility timeout (1 s), each copy saying how many times it
-- was redelivered (the DELIVER frame's count; "redelivery N" in the broker's notes).
-- Consumers park a poison message by that count (RabbitMQ's x-delivery-count, SQS's
-- ApproximateReceiveCount), so a broker that forgets it at a restart lets a poison
-- message loop for ever.  The broker is durable: it stores each message with its count
-- and updates the count at every redelivery.  It crashes at 4 s and restarts at 4.5 s;
-- what it restores goes out again with the count it had, and the next redelivery says
-- one more (broker_redelivery judges each).  Accounting absorbs every copy (its inbox),
-- and once the DACKs get through everything settles.
scenario {
  name     = "a durable broker restarts while it redelivers: each redelivery's count goes on",
  knobs    = { durable = true, visibility = 1 },
  workload = { payments = 20, rate = 10 },
  run      = 10,
  settle   = 30,
}

drop { link = "accounting->broker", label = "DACK", stop = 8 }
crash { node = "broker", at = 4, restart_after = 0.5 }

expect { all_invariants = true, faults_act = true,
         reached = { "redelivered", "broker_restored", "duplicate_absorbed" } }
