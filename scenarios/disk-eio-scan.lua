-- disk-eio-scan.lua: the relay's scan cannot read its outbox.  Payment is cut off from
-- the broker (0.5 s to 6 s), so its rows stay SENDING, and it crashes at 4 s: the restart
-- empties SQLite's page cache, and the recovery count at START reads only the index of
-- SENDING rows.  The first read after the restart (from 4.6 s, no client request left)
-- is the scan's query of the due rows and their payloads, and it fails with EIO: the
-- scan does nothing this time and a later one publishes them.  Rows settled for a second
-- are deleted (cleanup_after = 1); payment crashes again at 9 s, and after that restart
-- the third read fails: inside the cleanup's DELETE, which rolls back and deletes them
-- at the next scan instead.  Every invariant holds.
scenario {
  name     = "EIO on the relay scan's query and on its cleanup, after restarts",
  knobs    = { cleanup_after = 1, ["payment.journal_mode"] = "delete" },
  workload = { payments = 20, rate = 10 },
  run      = 12,
  settle   = 30,
}

partition { between = {"payment", "broker"}, start = 0.5, stop = 6 }
crash { node = "payment", at = 4, restart_after = 0.5 }
disk { node = "payment", fault = "eio", on = "read", nth = 1, start = 4.6, stop = 6 }
crash { node = "payment", at = 9, restart_after = 0.5 }
disk { node = "payment", fault = "eio", on = "read", nth = 3, start = 9.6, stop = 11 }

expect { all_invariants = true, faults_act = true,
         reached = { "disk_error", "restart_finds_sending", "republished" } }
