-- inbox-purge-restart.lua: the inbox forgets old ids, and a restart must find exactly what
-- is left.  With inbox_retention = 4 s and a payment a second, each purge (every
-- scan_interval, on the whole second) forgets the inbox rows received more than 4 s
-- before, about one a second, and says how many in a `purge` note.  Accounting is killed
-- twice between purges; at each restart it counts its inbox rows and vouchers, and
-- restart_state holds the count to what the history committed less what the purges said
-- they forgot (the first purge after a restart forgets the few rows that aged meanwhile).
-- A purge that forgets a row and does not say so (one row is "nothing worth a note")
-- leaves the history counting a row the restart does not find.  Nothing here is
-- redelivered after 4 s, so the purge forgets no id a copy still needs, and every
-- invariant holds.  At 22.5 s the disk refuses the WAL write of one purge's commit: the
-- purge forgets nothing, and its timer step must fail with an error note
-- (errors_reported) rather than pass for a purge that found nothing to forget.
scenario {
  name     = "the inbox purges a row at a time; each restart finds the rows the purges left",
  knobs    = { inbox_retention = 4 },
  workload = { payments = 24, rate = 1 },
  run      = 25,
  settle   = 20,
}

crash { node = "accounting", at = 12.5, restart_after = 1 }
crash { node = "accounting", at = 19.5, restart_after = 1 }
disk { node = "accounting", fault = "eio", on = "write", start = 22.49, stop = 22.51 }

expect { all_invariants = true, faults_act = true, reached = { "inbox_purged", "disk_error" } }
