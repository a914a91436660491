-- disk-eio-publish-in-tx.lua: the weak design publish-in-tx publishes the message
-- before it commits the payment.  An I/O error at that COMMIT (the first write of the
-- payment service after 4 s, and two more later) rolls the payment back, but the
-- message has left: accounting books a voucher for a payment that does not exist (a
-- phantom), and the client, told "failed", never pays it.  Under the outbox design the
-- same fault is harmless (disk-eio-mid-commit.lua): nothing leaves before COMMIT.
scenario {
  name     = "EIO at COMMIT under publish-in-tx: a voucher for a payment that never was",
  design   = "publish-in-tx",
  workload = { payments = 80, rate = 10 },
  run      = 10,
  settle   = 60,
}

disk { node = "payment", fault = "eio", on = "write", nth = 1, start = 4 }
disk { node = "payment", fault = "eio", on = "write", nth = 1, start = 6 }
disk { node = "payment", fault = "eio", on = "write", nth = 1, start = 7 }

expect { violated = { "no_phantom" }, faults_act = true }
