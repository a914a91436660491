-- disk-fsync-durable-send.lua: the durability barrier's own sync fails.  With
-- durable_send = 1 a service syncs its WAL before every send, so that nothing leaves
-- that a power cut could take back (ox_store_barrier).  Here that sync fails once in
-- payment and once in accounting (from 2 s): payment does not publish the committed
-- payment (its row stays SENDING, and the recovery scan publishes it once a later sync
-- made it durable), accounting does not answer CONSUMED (the delivery is not acked and
-- comes again, answered from its inbox).  Every invariant holds.
scenario {
  name     = "the durability barrier's sync fails: nothing is sent that it did not cover",
  knobs    = { ["payment.durable_send"] = 1, ["accounting.durable_send"] = 1 },
  workload = { payments = 40, rate = 10 },
  run      = 6,
  settle   = 30,
}

disk { node = "payment", fault = "fsync_fail", nth = 1, start = 2 }
disk { node = "accounting", fault = "fsync_fail", nth = 1, start = 2 }

expect { all_invariants = true, faults_act = true, reached = { "disk_error", "republished" } }
