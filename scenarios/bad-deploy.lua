-- bad-deploy.lua: releases that go out with one knob wrong, and services that must refuse
-- them.  A deploy stops the running service and starts the new version with its new
-- configuration; here each new version carries one bad knob of the kinds a hand-edited
-- config file or an environment variable brings: a stray blank before a number, a value
-- misspelt, a unit after a number ("7d", "2s"), a design of a later release, a number in
-- scientific notation, a knob's name misspelt, a role prefix on a knob that takes none.
-- Each knob goes to a service that reads it.  A service that took one would run on a
-- configuration nobody chose ("2s" read as 2 ms, a misspelt knob ignored), so each
-- must refuse it before it opens its database: exit 2, one line naming the knob
-- (misconfig{}, knobs_applied).  Each deploy is then rolled back: half a second later the
-- service starts as it was, finds its database, and the outbox carries on; the payments
-- caught by each stop are retried by the client or republished by the scan.
-- The scenario's own knobs are ones every service must take and report as given
-- (knobs_applied): completion spelt out as its default, the durability
-- spelt per role (one of them off, the first of its choices).
scenario {
  name     = "bad deploys are refused and rolled back: the outbox converges",
  knobs    = { completion = "mark", synchronous = "normal",
               ["payment.synchronous"] = "full", ["broker.synchronous"] = "off",
               ["accounting.durable_send"] = 1 },
  workload = { payments = 120, rate = 10 },
  run      = 14,
  settle   = 60,
}

misconfig { node = "payment",    at = 1.5,  knob = "max_attempts= 5",   restart_after = 0.5 }
misconfig { node = "broker",     at = 3,    knob = "synchronous=fast",  restart_after = 0.5 }
misconfig { node = "accounting", at = 4.5,  knob = "inbox_retention=7d", restart_after = 0.5 }
misconfig { node = "payment",    at = 6,    knob = "retry_base=2s",     restart_after = 0.5 }
misconfig { node = "broker",     at = 7.5,  knob = "design=outbox-v2",  restart_after = 0.5 }
misconfig { node = "accounting", at = 9,    knob = "max_amount=1e6",    restart_after = 0.5 }
misconfig { node = "payment",    at = 10.5, knob = "max_attempt=5",     restart_after = 0.5 }
misconfig { node = "broker",     at = 12,   knob = "broker.prefetch=5", restart_after = 0.5 }

expect {
  all_invariants = true,
  faults_act     = true,
  reached        = { "republished", "restart_finds_sending", "client_retry" },
}
