-- relays-first-open.lua: a relay is the first to open the payment database.  Payment's
-- very first START fails (its disk refuses the first write, as it switches the new file
-- to WAL, before any table exists), and its supervisor starts it again 2 s later.  The
-- two relays start meanwhile and find no outbox: a relay opens the payment's database as
-- payment does, so the first to open the file creates the payment schema and stamps its
-- identity, and the other finds them made.  When payment comes back it opens a database
-- a relay made, and serves; half of its first publications are lost, so the relays
-- republish.  Every invariant holds.  (A relay opens its store with the payment's role,
-- lib/service.c's store_role, so it runs the very code that creates the payment's
-- schema: there is no relay's own version of it to get wrong.)
scenario {
  name     = "payment's first start fails; a relay creates the payment database, payment joins",
  knobs    = { relay_rtt = 0.1, lease = 2 },
  workload = { payments = 40, rate = 5 },
  run      = 12,
  settle   = 40,
}

topology { relays = 2 }

disk { node = "payment", fault = "eio", on = "write", nth = 1, stop = 1, at_start = true,
       restart_after = 2 }
drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.5, stop = 8 }

expect { all_invariants = true, faults_act = true,
         reached = { "disk_error", "frame_dropped", "republished" } }
