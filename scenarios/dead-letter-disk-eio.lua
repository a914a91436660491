-- dead-letter-disk-eio.lua: the disk fails just as rows are being dead-lettered.  Every
-- publication is lost for the first 10 s.  The 20 payments come in a burst (0.4 s);
-- with max_attempts = 2 (linear, 1 s) each is published at its commit and again by the
-- scan at 1 s, and the scan at 4 s finds all of them out of attempts: it marks each DEAD
-- and writes its alert, in one transaction per row.  From 3.5 s to 7 s a third of the
-- payment database's writes fail with EIO, and in WAL mode it is the commits that fail,
-- so what fails here is the dead letters' commits: each takes DEAD and its alert back,
-- the row stays SENDING, and a later scan tries again.  The scan must say so (an error
-- note): one that swallows the failed commit and goes on to the next row leaves the same
-- end state, but on a disk that keeps failing nobody would learn that its dead letters
-- are not being recorded.  errors_reported holds each step with a failed write to such a
-- sign.  The DEAD payments have no voucher (eventual_consistency is broken on purpose,
-- as in dead-letters.lua); every other invariant must hold, and all 20 rows end DEAD.
scenario {
  name     = "EIO while rows go DEAD: each failed dead-letter commit is reported and retried",
  knobs    = { retry = "linear", retry_base = 1, max_attempts = 2 },
  workload = { payments = 20, rate = 50 },    -- commits in [0, 0.4)
  run      = 10,
  settle   = 10,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", stop = 10 }
disk { node = "payment", fault = "eio", on = "write", p = 0.3, start = 3.5, stop = 7 }

expect {
  violated     = { "eventual_consistency" },
  others_hold  = true,
  dead_letters = 20,
  faults_act   = true,
  reached      = { "row_dead", "republished", "disk_error" },
}
