-- crash-before-commit.lua: the failpoint payment.before_commit exists only in the
-- weak design `publish-in-tx`, which publishes the message and only then commits the
-- payment.  A crash there leaves a message in the world for a payment that was rolled
-- back: accounting books a voucher for it, and the client, with no answer, pays again
-- under the same id.  With the seed's design (`outbox`, the default here) nothing
-- publishes before COMMIT, the failpoint is never passed, no crash happens, and every
-- invariant holds: that is the point.  Run it with --design publish-in-tx to see the
-- phantom (exactly_once / no_phantom broken).
scenario {
  name     = "a crash between publish and COMMIT (publish-in-tx only), twice",
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

crash { at_failpoint = "payment.before_commit", hit = 5, restart_after = 1 }
crash { at_failpoint = "payment.before_commit", hit = 30, restart_after = 1 }

expect { all_invariants = true }
