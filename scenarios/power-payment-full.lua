-- power-payment-full.lua: power-payment-normal.lua with payment on synchronous = "full":
-- SQLite syncs the WAL at every COMMIT, so by the time the message leaves and the
-- client hears OK, the commit is on the disk.  The same power cut after the 30th
-- commit loses nothing (its power_cut line says 0 writes lost), and every invariant
-- holds.  The cost is a sync per commit: `make bench` measures it.
scenario {
  name     = "power loss on payment under synchronous=full: nothing committed is lost",
  knobs    = { ["payment.synchronous"] = "full" },
  workload = { payments = 60, rate = 10 },
  run      = 10,
  settle   = 40,
}

power_loss { at_failpoint = "payment.after_commit", hit = 30, keep = "none", restart_after = 1 }

expect { all_invariants = true, reached = { "restart_finds_sending", "republished" } }
