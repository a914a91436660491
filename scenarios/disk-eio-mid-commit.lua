-- disk-eio-mid-commit.lua: an I/O error in the middle of a transaction.  Statements
-- inside a transaction touch only SQLite's page cache; COMMIT then writes each changed
-- page (the payment row's, the outbox row's, their indexes') to the WAL, one write a
-- page.  Here the second write of the payment service after 4 s, and of accounting
-- after 6 s, fail with EIO (SQLITE_IOERR_WRITE): the first page of the transaction is
-- in the WAL, the second is not, and no commit frame follows.  SQLite rolls the
-- transaction back and ignores the half-written frames, which the next transaction
-- overwrites.  The payment's client is told "failed"; accounting's delivery is not
-- acked and comes again.  Every invariant holds under the outbox design; under
-- publish-in-tx see disk-eio-publish-in-tx.lua.
scenario {
  name     = "EIO on the second page a commit writes, in payment and in accounting",
  workload = { payments = 80, rate = 10 },
  run      = 10,
  settle   = 60,
}

disk { node = "payment", fault = "eio", on = "write", nth = 2, start = 4 }
disk { node = "accounting", fault = "eio", on = "write", nth = 2, start = 6 }

expect { all_invariants = true, faults_act = true, reached = { "disk_error", "redelivered" } }
