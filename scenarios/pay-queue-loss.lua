-- pay-queue-loss.lua: the seed's first loss, producer -> MQ.  During the run 30% of the
-- payment service's PUBLISH frames to PAY_QUEUE vanish on the wire.  The payment and
-- its outbox row were committed together, so the row stays SENDING and the recovery
-- scan publishes it again (after 2, 4, 6... s) until accounting says CONSUMED.
-- Nothing is lost.  Designs that lose these payments: `direct` (no outbox row) and
-- `outbox-no-recovery` (nobody republishes): they break eventual_consistency.
scenario {
  name     = "30% of PAY_QUEUE publications lost; the recovery scan republishes them",
  workload = { payments = 150, rate = 10 },
  run      = 30,
  settle   = 120,
}

-- Only the publications of payment messages: acks (DACK) on the same link get through.
drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.3 }

expect { all_invariants = true, reached = { "frame_dropped", "republished" } }
