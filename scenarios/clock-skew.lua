-- clock-skew.lua: the three services disagree about the time, and the broker's clock
-- jumps forward.  Payment runs 3.5 s slow, the broker 7 s fast, accounting a minute
-- slow, from the start.  In this design no node compares its clock with another's:
-- payment schedules retries on its own clock, the broker its redeliveries on its own,
-- so constant skew changes nothing but the timestamps in each database (peers that
-- computed leases on one node and checked them on another broke here: dtm).  At 10 s
-- the broker's clock jumps 20 s forward: every delivery it made before the jump and
-- still in flight looks overdue at its next redelivery check and is redelivered (its
-- deadline was computed on the old clock), and accounting's inbox absorbs the copies
-- (seed 1: 31 redeliveries).  `outbox-no-dedupe` applies them twice.
scenario {
  name     = "skewed clocks on all three nodes, and a forward jump on the broker",
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

clock { node = "payment", skew = -3.5 }
clock { node = "broker", skew = 7 }
clock { node = "accounting", skew = -60 }
-- Slow acks (2 to 4.5 s, inside the 5 s visibility timeout: no redelivery without the
-- jump) keep deliveries in flight, so the jump finds some to redeliver.
delay { link = "accounting->broker", label = "DACK", min = 2, max = 4.5 }
clock_jump { node = "broker", at = 10, by = 20 }

expect { all_invariants = true, reached = { "redelivered", "duplicate_absorbed" } }
