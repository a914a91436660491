-- disk-broker-incarnation.lua: the broker's restart counter under power loss.  Every
-- delivery id the broker hands out is its incarnation << 32 | a sequence number, and the
-- incarnation is bumped in its database at every start, so that a DACK from before a
-- restart can never ack a message delivered after it.  On synchronous = "normal" that
-- bump is a commit nobody syncs: a power cut takes it back, the next start bumps to the
-- same number again, and the same delivery ids name other messages.  Here the broker
-- loses power twice (3 s and 6 s) while payments flow; it is durable (durable = 1), so
-- the messages it stored since its last checkpoint go too, and the outbox publishes them
-- again.  The bump itself is committed durably whatever `synchronous` says
-- (ox_brokerdb_bump): each life's recover note names a new incarnation, and the history
-- check dack_names_delivery flags an incarnation that does not grow.
scenario {
  name     = "the broker's incarnation survives two power cuts under synchronous=normal",
  knobs    = { durable = 1, ["broker.synchronous"] = "normal" },
  workload = { payments = 60, rate = 10 },
  run      = 10,
  settle   = 40,
}

power_loss { node = "broker", at = 3, keep = "none", restart_after = 0.5 }
power_loss { node = "broker", at = 6, keep = "none", restart_after = 0.5 }

expect { all_invariants = true, reached = { "power_cut_lost", "republished" } }
