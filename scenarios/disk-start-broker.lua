-- disk-start-broker.lua: the durable broker's disk fails while it starts.  The very first
-- START (0 s) fails its first sync, the commit of the transaction that creates its
-- tables; the broker exits 3 and its supervisor starts it again 0.5 s later
-- (disk{ at_start = true, restart_after }).
-- Then accounting is cut off from the broker (1 s to 9 s), so the broker stores what it
-- cannot deliver, and the broker crashes twice: the START at 3.5 s fails on a read inside
-- the bump of its incarnation (its restart counter), the one at 6.5 s on a read while it
-- loads the stored messages back, after that bump committed.  A failed START leaves the
-- messages where they were, the next one restores them, and the incarnation still only
-- grows (one is skipped).  The broker runs on journal_mode = "delete": under WAL a restart
-- first reads the whole WAL back, so the nth read would land there.  Every invariant
-- holds.
scenario {
  name     = "the broker's disk fails while it opens, bumps its incarnation and loads its queue",
  knobs    = { durable = 1, ["broker.journal_mode"] = "delete" },
  workload = { payments = 60, rate = 10 },
  run      = 12,
  settle   = 60,
}

disk { node = "broker", fault = "eio", on = "sync", nth = 1, stop = 0.4, at_start = true,
       restart_after = 0.5 }
partition { between = {"broker", "accounting"}, start = 1, stop = 9 }
crash { node = "broker", at = 3, restart_after = 0.5 }
disk { node = "broker", fault = "eio", on = "read", nth = 8, start = 3, stop = 5.9,
       at_start = true, restart_after = 0.5 }
crash { node = "broker", at = 6, restart_after = 0.5 }
disk { node = "broker", fault = "eio", on = "read", nth = 12, start = 6, stop = 8.9,
       at_start = true, restart_after = 0.5 }

expect { all_invariants = true, faults_act = true, reached = { "disk_error" } }
