-- broker-internal-loss.lua: the seed's second loss point, inside the MQ.  The broker
-- accepts a PUBLISH and then loses it before it is queued (the library's
-- injection site "broker.lose", armed by the simulator per frame: trace lines
-- "injected" and the broker's note "lost_inside").  Nothing on the wire shows it: the
-- producer's frame arrived.  20% of the payment messages and 10% of the CONSUMED
-- answers are lost this way.  The outbox row stays SENDING until accounting's
-- CONSUMED comes back, so the scan republishes both kinds of loss.
-- `mark-on-publish` marks the row done when it publishes, so a message the broker
-- lost is never sent again (eventual_consistency), and so do `direct` and
-- `outbox-no-recovery`.
scenario {
  name     = "the broker loses 20% of accepted payment messages and 10% of answers",
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

broker_loss { queue = "PAY_QUEUE", p = 0.2 }
broker_loss { queue = "ACC_QUEUE", p = 0.1 }

expect { all_invariants = true, reached = { "broker_lost_inside", "republished" } }
