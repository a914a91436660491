-- partition-producer-broker.lua: a two-way network partition between the payment
-- service and the broker, healed after 8 s.  Every frame on that link is lost while it
-- lasts (trace fate "partitioned"): the first publication of each payment committed
-- in the window, and the CONSUMED answers the broker tries to deliver to payment.
-- The payments still commit (the client talks to payment, not to the broker) and their
-- outbox rows stay SENDING; once the link is back the recovery scan republishes them,
-- the broker redelivers the answers it kept, and everything converges.  `direct` and
-- `outbox-no-recovery` lose every payment of the window, and `mark-on-publish` those
-- whose one publication was cut (eventual_consistency).
scenario {
  name     = "payment and broker partitioned for 8 s; the scan catches up after healing",
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

-- Answers take 0.5 to 1.5 s, so some are on their way when the link goes down.
delay { link = "accounting->broker", label = "PUBLISH", min = 0.5, max = 1.5 }
partition { between = { "payment", "broker" }, start = 4, stop = 12 }

expect { all_invariants = true, reached = { "partition_cut", "republished" } }
