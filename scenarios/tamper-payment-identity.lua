-- tamper-payment-identity.lua: someone wipes the payment database's identity while the
-- service is down, and puts it back later.  Payment crashes at 2 s; at 2.1 s an
-- operator's tool runs `PRAGMA application_id = 0; PRAGMA user_version = 0` on its file
-- (tamper{}: the simulator runs the SQL with SQLite itself on the real file).  The file
-- is still SQLite, with the tables and rows, but no longer says whose it is: the library
-- refuses to open a database it cannot prove is this role's (lib/store.c,
-- check_readonly), and the service exits 3 each time its supervisor starts it.  Two of
-- those STARTs also run out of memory (disk{ fault = "nomem" }) inside that check: the
-- read-only open of the file (the 1st allocation) and the read of its identity (the
-- 150th): the library reports a database error instead of a foreign file.  At 3.7 s the
-- operator stamps the identity back, and the START at 4 s serves again.  Payments the
-- client made meanwhile were refused; nothing committed is lost, and every invariant
-- holds.  Payment runs on journal_mode = "delete": a WAL file is left to the read-write
-- open, which is where the check would not run.
scenario {
  name     = "payment's database loses its identity while payment is down, and gets it back",
  knobs    = { ["payment.journal_mode"] = "delete" },
  workload = { payments = 60, rate = 10 },
  run      = 8,
  settle   = 60,
}

crash { node = "payment", at = 2, restart_after = 0.5 }
tamper { node = "payment", at = 2.1, restart_after = 0.5,
         sql = "PRAGMA application_id = 0; PRAGMA user_version = 0" }
disk { node = "payment", fault = "nomem", on = "alloc", nth = 1, start = 2.9, stop = 3.4,
       at_start = true, restart_after = 0.5 }
disk { node = "payment", fault = "nomem", on = "alloc", nth = 150, start = 3.4, stop = 3.9,
       at_start = true, restart_after = 0.5 }
tamper { node = "payment", at = 3.7, restart_after = 0.5,
         sql = "PRAGMA application_id = 1331184204; PRAGMA user_version = 101" }

expect { all_invariants = true, faults_act = true, reached = { "disk_error" } }
