-- inbox-retention-too-short.lua: the inbox is a table that only grows, so the team has
-- accounting forget message ids after a while (inbox_retention = 3 s: a purge every
-- scan_interval deletes inbox rows received longer ago than that).  But a message is not
-- done when accounting applied it: until its CONSUMED answer reaches the payment service,
-- the row stays SENDING and the recovery scan publishes it again, 2 s, 4 s, 6 s ... after
-- the last attempt (retry linear, retry_base 2).  Here half of accounting's answers are
-- lost for the first 15 s.  A payment whose answer is lost twice is published a third
-- time 6 s after the first: its id has been forgotten by then, the copy looks new, and
-- accounting writes a second voucher.  exactly_once says so at the end (so does
-- eventual_consistency: a PAID payment with more than one voucher), and the history check
-- dedupe_same_answer at the line where the copy was applied; every other invariant holds.  NServiceBus's rule: the retention must outlast the longest
-- redelivery; inbox-retention-enough.lua keeps it.
scenario {
  name     = "the inbox forgets ids before the last redelivery: a late copy is applied twice",
  knobs    = { inbox_retention = 3, retry = "linear", retry_base = 2, max_attempts = 8 },
  workload = { payments = 80, rate = 8 },
  run      = 20,
  settle   = 80,
}

drop { link = "accounting->broker", queue = "ACC_QUEUE", label = "PUBLISH CONSUMED", p = 0.5,
       start = 0, stop = 15 }

expect {
  violated = { "exactly_once", "eventual_consistency", "dedupe_same_answer" },
  others_hold = true,
  reached  = { "inbox_purged", "republished", "frame_dropped" },
}
