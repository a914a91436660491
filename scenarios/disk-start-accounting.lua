-- disk-start-accounting.lua: accounting's disk fails while it reopens its database.  At
-- each open accounting counts what its database holds (its inbox rows and vouchers, the
-- "recover" note restart_state judges); here that count meets EIO.  Accounting runs on
-- journal_mode = "delete" (under WAL a restart first reads the WAL back, so the nth read
-- would land there), crashes at 2 s, and the eighth read of its restart's START, the
-- count's, fails: it says why and exits 3, and is started again half a second later
-- (disk{ at_start = true, restart_after }).  Deliveries wait for it at the broker;
-- nothing is lost or booked twice, and every invariant holds.
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

expect { all_invariants = true, faults_act = true, reached = { "disk_error" } }
