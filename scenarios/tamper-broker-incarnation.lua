-- tamper-broker-incarnation.lua: someone sets the durable broker's incarnation (its
-- restart counter, from which delivery ids are made) to the top of its range while the
-- broker is down, then repairs it.  The broker crashes at 3 s; at 3.1 s an operator's
-- tool runs an UPDATE on its `meta` row (tamper{}: real SQL on the real file).  The
-- START at 3.5 s bumps the counter to 2^31, out of the range ids can be made from
-- (lib/brokerdb.c, ox_brokerdb_bump): the broker refuses to serve and exits 3, and its
-- supervisor restarts it every half second, each START failing the same way.  At 4.2 s
-- the operator sets the counter to 1000; the START at 4.5 s bumps it to 1001, above
-- every earlier life's, so no delivery id is handed out twice.  Payment's outbox
-- publishes again what the broker did not take (reached: republished); every invariant
-- holds.
scenario {
  name     = "the broker's incarnation is pushed out of range while it is down, then repaired",
  knobs    = { durable = 1 },
  workload = { payments = 60, rate = 10 },
  run      = 8,
  settle   = 60,
}

crash { node = "broker", at = 3, restart_after = 0.5 }
tamper { node = "broker", at = 3.1, restart_after = 0.5,
         sql = "UPDATE meta SET value = 2147483647 WHERE key = 'incarnation'" }
tamper { node = "broker", at = 4.2, restart_after = 0.5,
         sql = "UPDATE meta SET value = 1000 WHERE key = 'incarnation'" }

expect { all_invariants = true, faults_act = true, reached = { "republished" } }
