-- crash-before-commit.lua: the failpoint payment.before_commit exists only in the
-- weak design `publish-in-tx`, which publishes the message and only then commits the
-- payment.  A crash there leaves a message in the world for a payment that was rolled
-- back: accounting books a voucher for it (a phantom), and the client, with no answer,
-- pays again under the same id, which commits with a new message and a second
-- voucher.  With the seed's design (`outbox`, the default here) nothing publishes
-- before COMMIT, the failpoint is never passed, no crash happens, and every invariant
-- holds: that is the point.  With --design publish-in-tx (seed 1): exactly_once and
-- eventual_consistency broken (the phantom became a duplicate once the retry
-- committed the payment, so no_phantom itself holds).
scenario {
  name     = "a crash between publish and COMMIT (publish-in-tx only), twice",
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

crash { at_failpoint = "payment.before_commit", hit = 5, restart_after = 1 }
crash { at_failpoint = "payment.before_commit", hit = 30, restart_after = 1 }

-- reached = {}: under the outbox design the failpoint is never passed, so nothing here
-- is reached on purpose (under publish-in-tx the run reaches crash_in_tx).
expect { all_invariants = true, reached = {} }
