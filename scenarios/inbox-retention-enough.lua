-- inbox-retention-enough.lua: inbox-retention-too-short.lua with the retention the rule
-- asks for.  The longest redelivery is the producer's: with retry linear, retry_base 2 and
-- max_attempts 8 a row is published at most at 0, 2, 6, 12, 20, 30, 42 and 56 s after its
-- commit, and accounting first received it after that commit, so an inbox row kept 60 s
-- outlives every copy that can still come (plus their transit).  The same answers are
-- lost; every late copy finds its id in the inbox and is absorbed, the purge (every
-- scan_interval, from about t = 60 s) forgets only ids nothing will send again, and every
-- invariant holds.
scenario {
  name     = "inbox retention longer than the longest redelivery: every copy is absorbed",
  knobs    = { inbox_retention = 60, retry = "linear", retry_base = 2, max_attempts = 8 },
  workload = { payments = 80, rate = 8 },
  run      = 20,
  settle   = 80,
}

drop { link = "accounting->broker", queue = "ACC_QUEUE", label = "PUBLISH CONSUMED", p = 0.5,
       start = 0, stop = 15 }

expect {
  all_invariants = true,
  reached        = { "inbox_purged", "republished", "duplicate_absorbed" },
}
