-- lease-shorter-than-work.lua: a peer failure (Oban's 6-minute lifeline for jobs of
-- 9-47 minutes; river #1287): the time a consumer may hold a message before it is
-- handed out again is shorter than the time the work takes.  Here the broker's
-- visibility timeout is 1 s, and for 12 s accounting needs 0.4 s per message, so a
-- delivery often waits in accounting's backlog longer than 1 s: the broker decides it
-- was lost and redelivers it, the copy joins the same backlog, and each message is
-- handled two or three times.  The inbox (message id recorded in the same
-- transaction as the voucher) turns every copy into a "duplicate" answered CONSUMED
-- again, so there is exactly one voucher each.  `outbox-no-dedupe` writes a voucher
-- per copy (exactly_once).
scenario {
  name     = "visibility 1 s, work 0.4 s a message behind a backlog: redeliveries absorbed",
  knobs    = { visibility = 1 },
  workload = { payments = 40, rate = 4 },
  run      = 20,
  settle   = 60,
}

slow { node = "accounting", per_message = 0.4, start = 0, stop = 12 }

expect { all_invariants = true, reached = { "redelivered", "duplicate_absorbed" } }
