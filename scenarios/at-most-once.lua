-- at-most-once.lua: the broker forgets a message once sent (delivery = at-most-once) and
-- the consumer's answers are lost now and then; the outbox's recovery scan is what
-- brings every payment home.  synchronous=off: only power loss could hurt, and there is
-- none here.
scenario {
  name     = "an at-most-once broker: the recovery scan makes up for every loss",
  knobs    = { delivery = "at-most-once", synchronous = "off", retry = "linear", retry_base = 1,
               scan_interval = 0.5 },
  workload = { payments = 60, rate = 6 },
  run      = 15,
  settle   = 120,
}
drop { link = "broker->accounting", label = "DELIVER", p = 0.25 }
drop { link = "accounting->broker", p = 0.1 }
expect { all_invariants = true, reached = { "republished", "frame_dropped" } }
