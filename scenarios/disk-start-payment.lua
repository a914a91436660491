-- disk-start-payment.lua: the payment service's disk fails while it starts.  A service
-- that cannot open its database cannot serve: it says why and exits 3, and its
-- supervisor starts it again a little later (disk{ at_start = true, restart_after }).
-- Each START here meets one failed call, each in another place of the opening:
-- the very first START (0 s) fails its first write, in the schema's transaction; then payment
-- crashes four times (2, 4, 6 and 8 s) and each restart's START fails once: the first
-- read of the file (SQLite's open), the read of its identity, the read inside the
-- schema's BEGIN, and the read of the recovery count of SENDING rows.  Payment runs on
-- journal_mode = "delete" for the restarts: under WAL a restart first reads the whole WAL
-- back, so the nth read would land there.  Every restart but the failed one succeeds,
-- nothing the client was told is lost, and every invariant holds.  Accounting, on WAL,
-- fails its first START too: the write that switches its new file to WAL.
scenario {
  name     = "payment's and accounting's disks fail while they open their databases",
  knobs    = { ["payment.journal_mode"] = "delete" },
  workload = { payments = 100, rate = 10 },
  run      = 12,
  settle   = 60,
}

disk { node = "payment", fault = "eio", on = "write", nth = 1, stop = 1, at_start = true,
       restart_after = 0.5 }
disk { node = "accounting", fault = "eio", on = "write", nth = 1, stop = 1, at_start = true,
       restart_after = 0.5 }
crash { node = "payment", at = 2, restart_after = 0.5 }
disk { node = "payment", fault = "eio", on = "read", nth = 1, start = 2, stop = 3.9,
       at_start = true, restart_after = 0.5 }
crash { node = "payment", at = 4, restart_after = 0.5 }
disk { node = "payment", fault = "eio", on = "read", nth = 2, start = 4, stop = 5.9,
       at_start = true, restart_after = 0.5 }
crash { node = "payment", at = 6, restart_after = 0.5 }
disk { node = "payment", fault = "eio", on = "read", nth = 6, start = 6, stop = 7.9,
       at_start = true, restart_after = 0.5 }
crash { node = "payment", at = 8, restart_after = 0.5 }
disk { node = "payment", fault = "eio", on = "read", nth = 8, start = 8, stop = 9.9,
       at_start = true, restart_after = 0.5 }

expect { all_invariants = true, faults_act = true, reached = { "disk_error" } }
