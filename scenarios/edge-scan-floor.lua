-- edge-scan-floor.lua: the recovery scan at the bottom of its range, once a millisecond.
-- scan_interval = 0.001 is the smallest interval the knob takes, and the service must
-- start with it.  A tight scan also narrows what retry_schedule allows: a republication
-- may come at most one scan interval after its due time, so here each must come within
-- a few milliseconds of what the policy says (0.5 s, then 1 s): one scan interval and
-- the clock's slack.  Every PUBLISH is lost for the first second, so the first rows are
-- republished by the scan, some twice; the rest are answered long before their due
-- time, and the scan, running 5000 times over the run, passes over them.
scenario {
  name     = "a scan every millisecond republishes each row on its due time",
  knobs    = { scan_interval = 0.001, retry = "linear", retry_base = 0.5 },
  workload = { payments = 20, rate = 10 },
  run      = 2,
  settle   = 3,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 1 }

expect {
  all_invariants = true,
  reached        = { republished = 10 },
  never          = { "row_dead" },
}
