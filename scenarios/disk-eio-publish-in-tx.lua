-- disk-eio-publish-in-tx.lua: the weak design publish-in-tx publishes the message
-- before it commits the payment.  An I/O error at that COMMIT (the first write of the
-- payment service after 4 s, and two more later) rolls the payment back, but the
-- message has left: accounting books a voucher for a payment that does not exist (a
-- phantom), and the client, told "failed", never pays it.  Under the outbox design the
-- same fault is harmless (disk-eio-mid-commit.lua): nothing leaves before COMMIT.  So
-- the file declares what the outbox design must show, and the weak design is run
-- against it (the matrix does the same):
--   bin/outbox-sim run scenarios/disk-eio-publish-in-tx.lua --design publish-in-tx
-- breaks no_phantom and exits 1.
scenario {
  name     = "EIO at COMMIT: harmless under outbox, a phantom voucher under publish-in-tx",
  workload = { payments = 80, rate = 10 },
  run      = 10,
  settle   = 60,
}

disk { node = "payment", fault = "eio", on = "write", nth = 1, start = 4 }
disk { node = "payment", fault = "eio", on = "write", nth = 1, start = 6 }
disk { node = "payment", fault = "eio", on = "write", nth = 1, start = 7 }

expect { all_invariants = true, faults_act = true, reached = { "disk_error" } }
