-- broker-disk-eio.lua: the durable broker's disk fails while it works.  From 2 s to 12 s
-- one in six of its writes fails with EIO, and under WAL each write it makes is a commit
-- of its own: the message it stores when a publish comes in, the row it deletes when a
-- DACK acks it, the redelivery it records when a visibility timeout runs out (the DACKs
-- come 2 to 4.5 s late here, past the 2 s visibility, so there are many).  A failed call
-- is a failed step, said with an error note: a message not stored was not taken (the
-- payment's scan sends it again), an ack not recorded leaves the message to be delivered
-- again (accounting's inbox absorbs the copy), a redelivery not recorded is tried again
-- at the next timer.  A broker that swallowed one of these errors and went on would
-- deliver, ack or forget what its database does not say; errors_reported sees the step
-- that went on.  Every invariant holds.
scenario {
  name     = "the durable broker's writes fail with EIO while it stores, acks and redelivers",
  knobs    = { durable = 1, visibility = 2 },
  workload = { payments = 80, rate = 10 },
  run      = 12,
  settle   = 60,
}

delay { link = "accounting->broker", label = "DACK", min = 2, max = 4.5, p = 0.5 }
disk { node = "broker", fault = "eio", on = "write", p = 0.16, start = 2, stop = 12 }

expect { all_invariants = true, faults_act = true,
         reached = { "disk_error", "redelivered", "duplicate_absorbed" } }
