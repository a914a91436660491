-- phantom-voucher.lua: why the message must never leave before COMMIT.  The weak
-- design `publish-in-tx` publishes inside the transaction; a crash between the
-- publish and the COMMIT rolls the payment back while its message is already on its
-- way, so accounting books a voucher for money that was never taken: a phantom.  The
-- client here does not retry (client_retries = 0), so nothing later commits a payment
-- under that id to hide it.  With the seed's design (`outbox`) nothing is published
-- before COMMIT, the failpoint is never passed, and every invariant holds.
--   bin/outbox-sim run scenarios/phantom-voucher.lua --design publish-in-tx   # no_phantom broken
scenario {
  name     = "a crash between publish and COMMIT, and a client that does not retry",
  workload = { payments = 60, rate = 10, client_retries = 0 },
  run      = 10,
  settle   = 60,
}

crash { at_failpoint = "payment.before_commit", hit = 5, restart_after = 1 }
crash { at_failpoint = "payment.before_commit", hit = 30, restart_after = 1 }

-- reached = {}: under the outbox design the failpoint is never passed, so nothing here
-- is reached on purpose (under publish-in-tx the run reaches crash_in_tx).
expect { all_invariants = true, reached = {} }
