-- consumers-dedupe-per-instance.lua: the weak twin of competing consumers.  Two accounting
-- processes (accounting and accounting-2) share one accounting database, but each
-- remembers the message ids it handled in its own memory (design dedupe-per-instance:
-- a cache in the service, "the inbox table is slow").  accounting dies right after its
-- transaction committed the voucher of its 3rd message, before the ack.  The broker
-- redelivers that delivery, after the visibility timeout, to the next consumer,
-- accounting-2, which has never seen the message: it applies it again.  Meanwhile the
-- payment's recovery scan republishes the row, and the restarted accounting has
-- forgotten everything too.  exactly_once says so at the end (a payment with more than
-- one voucher), and the history check dedupe_same_answer at the line of the second
-- apply.  Under the full design (consumers-crash.lua) the shared inbox absorbs both.
scenario {
  name     = "two accounting instances, each deduplicating in memory: a redelivery to the other is booked twice",
  design   = "dedupe-per-instance",
  workload = { payments = 40, rate = 10 },
  run      = 10,
  settle   = 60,
}

topology { accounting = 2 }

crash { node = "accounting", at_failpoint = "accounting.after_apply", hit = 3, restart_after = 2 }

expect {
  violated = { "exactly_once", "eventual_consistency", "dedupe_same_answer" },
  others_hold = true,
  reached  = { "redelivered" },
}
