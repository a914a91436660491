-- inbox-purge-restart.lua: the inbox forgets old ids, and a restart must find exactly what
-- is left.  With inbox_retention = 4 s and a payment a second, each purge (every
-- scan_interval) forgets about one inbox row received more than 4 s before, and says so
-- in a `purge` note.  Accounting is killed twice while it purges; at each restart it counts
-- its inbox rows and vouchers, and restart_state holds the count to what the history
-- committed less what the purges said they forgot.  A purge that forgets a row and does
-- not say so (one row is "nothing worth a note") leaves the history counting a row the
-- restart does not find; nothing here is redelivered after 4 s, so the purge forgets no
-- id a copy still needs, and every invariant holds.
scenario {
  name     = "the inbox purges a row at a time; each restart finds the rows the purges left",
  knobs    = { inbox_retention = 4 },
  workload = { payments = 24, rate = 1 },
  run      = 25,
  settle   = 20,
}

crash { node = "accounting", at = 12.5, restart_after = 1 }
crash { node = "accounting", at = 19.5, restart_after = 1 }

expect { all_invariants = true, reached = { "inbox_purged" } }
