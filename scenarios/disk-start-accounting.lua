-- disk-start-accounting.lua: accounting's disk fails while it reopens its database.  At
-- each open accounting counts what its database holds (its inbox rows and vouchers, the
-- "recover" note restart_state judges), then reads its header page back (the count drops
-- the pages it read from the cache, so the first statements after a restart read the
-- disk).  Accounting runs on journal_mode = "delete" (under WAL a restart first reads the
-- WAL back, so the nth read would land there) and crashes twice.  At 2 s the eighth read
-- of its restart's START, the count's, fails; at 4 s the eleventh, the header page's.
-- Each time it says why and exits 3, and is started again half a second later
-- (disk{ at_start = true, restart_after }); a START that swallowed the failed read would
-- serve on a read it never checked, and errors_reported names the read.  Deliveries wait
-- for it at the broker; nothing is lost or booked twice, and every invariant holds.
scenario {
  name     = "accounting's disk fails while it counts what it holds at a restart",
  knobs    = { ["accounting.journal_mode"] = "delete" },
  workload = { payments = 60, rate = 10 },
  run      = 8,
  settle   = 60,
}

crash { node = "accounting", at = 2, restart_after = 0.5 }
disk { node = "accounting", fault = "eio", on = "read", nth = 8, start = 2, stop = 3.9,
       at_start = true, restart_after = 0.5 }
crash { node = "accounting", at = 4, restart_after = 0.5 }
disk { node = "accounting", fault = "eio", on = "read", nth = 11, start = 4, stop = 5.9,
       at_start = true, restart_after = 0.5 }

expect { all_invariants = true, faults_act = true, reached = { "disk_error" } }
