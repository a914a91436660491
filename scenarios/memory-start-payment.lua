-- memory-start-payment.lua: the payment service runs out of memory while it opens its
-- database.  SQLite's allocator is wrapped by the node host (node/memf.h), the way
-- SQLite's own tests inject malloc failures: disk{ fault = "nomem", on = "alloc", nth }
-- fails the nth allocation SQLite makes in the window, SQLite answers SQLITE_NOMEM, and
-- the START fails: the service says why and exits 3, and its supervisor starts it again
-- half a second later (at_start = true, restart_after).  Payment crashes three times;
-- each restart's START meets one failed allocation, each in another place of the
-- opening: the open of the file (the 1st), the identity read inside the schema's
-- transaction (the 400th), and the preparing of the transaction statements (the 520th).
-- Payment runs on journal_mode = "delete", as disk-start-payment.lua does: under WAL a
-- restart first reads the WAL back, and the counts would move with its length.  Every
-- restart but the failed one succeeds, nothing the client was told is lost, and every
-- invariant holds.
scenario {
  name     = "payment runs out of memory while it opens its database",
  knobs    = { ["payment.journal_mode"] = "delete" },
  workload = { payments = 80, rate = 10 },
  run      = 10,
  settle   = 60,
}

crash { node = "payment", at = 2, restart_after = 0.5 }
disk { node = "payment", fault = "nomem", on = "alloc", nth = 1, start = 2, stop = 3.9,
       at_start = true, restart_after = 0.5 }
crash { node = "payment", at = 4, restart_after = 0.5 }
disk { node = "payment", fault = "nomem", on = "alloc", nth = 400, start = 4, stop = 5.9,
       at_start = true, restart_after = 0.5 }
crash { node = "payment", at = 6, restart_after = 0.5 }
disk { node = "payment", fault = "nomem", on = "alloc", nth = 520, start = 6, stop = 7.9,
       at_start = true, restart_after = 0.5 }

expect { all_invariants = true, faults_act = true, reached = { "disk_error" } }
