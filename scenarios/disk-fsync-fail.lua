-- disk-fsync-fail.lua: fsync fails.  With synchronous = full a WAL commit syncs the
-- WAL before it counts as committed; here the payment service's first sync after 3 s,
-- and one in four of its syncs from 5 s to 7 s, fail (SQLITE_IOERR_FSYNC).  The
-- simulated disk records no sync for a failed one, so the commit's frames are not
-- durable, and SQLite reports the COMMIT as failed: the client is told "failed" and
-- nothing is published.  Whether those frames would survive a power cut is not known
-- (an indefinite outcome); without one, the next transaction overwrites them.  Every
-- invariant holds.
scenario {
  name     = "fsync fails at the payment commit under synchronous = full: a failed commit, told",
  knobs    = { synchronous = "full" },
  workload = { payments = 80, rate = 10 },
  run      = 10,
  settle   = 60,
}

disk { node = "payment", fault = "fsync_fail", nth = 1, start = 3 }
disk { node = "payment", fault = "fsync_fail", p = 0.25, start = 5, stop = 7 }

expect { all_invariants = true, faults_act = true, reached = { "disk_error", "republished" } }
