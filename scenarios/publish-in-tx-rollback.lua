-- publish-in-tx-rollback.lua: the weak design publish-in-tx, caught by an ordinary
-- business error.  The team sends the message inside the transaction, before COMMIT,
-- "so that it cannot be forgotten".  One payment transaction in four meets a business
-- error after its writes (rollback{}) and rolls back, but its PAYMENT message is already
-- on the wire: accounting books a voucher for a payment that does not exist (no_phantom),
-- and every message, committed or not, went out before its COMMIT
-- (publish_after_commit).  Worse, the rolled-back transaction gave back its message id,
-- and the next payment's message takes it: accounting's inbox absorbs that one as a
-- duplicate of the phantom, so a real, committed payment never gets its voucher
-- (eventual_consistency).  No crash is needed: a random swarm's rollbacks find it too.
scenario {
  name     = "publish-in-tx: a rolled-back payment's message was already sent",
  design   = "publish-in-tx",
  workload = { payments = 40, rate = 10 },
  run      = 5,
  settle   = 20,
}

rollback { node = "payment", p = 0.25 }

expect {
  violated    = { "publish_after_commit", "no_phantom", "eventual_consistency" },
  others_hold = true,
  reached     = { "payment_rolled_back" },
}
