-- clean.lua: the baseline.  No faults at all: 100 payments travel payment -> broker
-- -> accounting and their "consumed" answers travel back, and every invariant holds.
-- If this scenario fails, the harness or the library is broken, not the pattern.
scenario {
  name     = "no faults: the happy path",
  design   = "outbox",
  workload = { payments = 100, rate = 10 },   -- one payment every 0.1 virtual s
  run      = 20,                              -- fault phase (here: just traffic)
  settle   = 60,                              -- then everything must go quiet
}

-- reached = {}: the baseline reaches none of the named situations, on purpose.
expect { all_invariants = true, reached = {} }
