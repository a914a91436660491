-- disk-eio-second-statement.lua: an I/O error in the middle of a transaction, on a
-- read.  A service reads its database through SQLite's page cache, which a restart
-- empties: after one, each statement reads the pages it needs from the disk.  Payment
-- crashes at 6 s and restarts at 6.5 s; the second read of its database after that
-- fails with EIO (SQLITE_IOERR_READ).  It comes inside the first payment's
-- transaction, after the business row was inserted, while the outbox row is: the
-- INSERT fails, the transaction rolls back (no payment without its outbox row) and
-- the client is told "failed".  Payment crashes again at 8 s; after this restart four in five of
-- its reads fail until 11 s (a failed read leaves the cache cold, so reads go on
-- coming), which reaches its other statements that read: looking a payment up, the
-- recovery scan's query.  Accounting crashes at 4 s; the first read after its restart fails:
-- the lookup of a delivered message in its inbox, so the delivery is not acked and
-- comes again.  Every invariant holds under the outbox design.
scenario {
  name     = "EIO on a read inside a transaction, after a restart emptied the page cache",
  workload = { payments = 100, rate = 10 },
  run      = 12,
  settle   = 60,
}

crash { node = "accounting", at = 4, restart_after = 0.5 }
disk { node = "accounting", fault = "eio", on = "read", nth = 1, start = 4.5 }
crash { node = "payment", at = 6, restart_after = 0.5 }
disk { node = "payment", fault = "eio", on = "read", nth = 2, start = 6.5, stop = 7 }
crash { node = "payment", at = 8, restart_after = 0.5 }
disk { node = "payment", fault = "eio", on = "read", p = 0.8, start = 8.5, stop = 11 }

expect { all_invariants = true, faults_act = true, reached = { "disk_error", "restart_finds_sending" } }
