-- consumers-one-left.lua: two competing consumers, and one of them dies for good.
-- accounting and accounting-2 take PAY_QUEUE's deliveries in turn.  At 1 s accounting is
-- killed and stays down until the run heals; the broker does not know, and goes on
-- handing it every other delivery.  Each of those is lost with the process, and comes
-- back after the visibility timeout (1 s) to the next consumer in the rotation, so
-- accounting-2 ends up applying every payment: at 6 s, two seconds after the last one,
-- no outbox row may still be SENDING (outbox-ctl stats, read in the run).  A broker
-- whose rotation never moved on from its first consumer would leave every payment since
-- 1 s waiting for the dead one.
scenario {
  name     = "two competing consumers, one dead for good: the other takes every delivery",
  knobs    = { visibility = 1 },
  workload = { payments = 40, rate = 10 },
  run      = 7,
  settle   = 30,
}

topology { accounting = 2 }

crash { node = "accounting", at = 1, restart = false }

at(6, function()
  local code, out = ctl("stats")
  check(code == 0 and out:find("SENDING%s+0\n") ~= nil,
        "every payment applied by accounting-2 alone: no row SENDING at 6 s")
end)

expect { all_invariants = true, reached = { "redelivered" } }
