-- publish-in-tx-crash.lua: the weak design `publish-in-tx` publishes the payment's
-- message before COMMIT.  Killed between the two (failpoint payment.before_commit), the
-- payment rolls back, but its message is already out: accounting books a voucher for
-- it, the client pays again under the same id (a second voucher), and the rolled-back
-- outbox row id is reused by a later payment, whose real message accounting then
-- discards as a duplicate.  The checker must see exactly_once broken.  (This is the
-- only way the scenario library crashes at payment.before_commit: the failpoint exists
-- in publish-in-tx alone.)
scenario {
  name     = "publish-in-tx: a crash between publish and COMMIT books a voucher twice",
  design   = "publish-in-tx",
  workload = { payments = 50, rate = 10 },
  run      = 10,
  settle   = 60,
}

crash { node = "payment", at_failpoint = "payment.before_commit", hit = 5, restart_after = 1 }

expect { violated = { "exactly_once" } }
