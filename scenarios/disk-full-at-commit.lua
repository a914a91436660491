-- disk-full-at-commit.lua: the payment service's disk fills up.  From 3 s to 5 s every
-- other write of its database (on average: p = 0.5, drawn from the seed) fails with
-- SQLITE_FULL; the first write after 6 s fails too (nth = 1: the commit of the next
-- payment).  In WAL mode a transaction writes nothing until COMMIT, so a failed write
-- is a failed COMMIT: the payment and its outbox row roll back together, the client
-- is answered "failed" (trace: "disk_fault", then "reply" with result "failed"), and
-- nothing is published, because the outbox publishes only after COMMIT.  Writes of the
-- relay (a CONSUMED answer, a rescheduled retry) fail too; their delivery is not acked,
-- so the broker delivers it again and the row settles later.  Nothing is lost, no
-- phantom: every invariant holds.
scenario {
  name     = "the payment service's disk is full at commit: the client is told, nothing leaks",
  workload = { payments = 80, rate = 10 },
  run      = 10,
  settle   = 60,
}

disk { node = "payment", fault = "full", on = "write", p = 0.5, start = 3, stop = 5 }
disk { node = "payment", fault = "full", nth = 1, start = 6 }

expect { all_invariants = true, faults_act = true, reached = { "disk_error" } }
