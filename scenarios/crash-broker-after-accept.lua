-- crash-broker-after-accept.lua: the broker dies between accepting a PUBLISH and
-- queueing it (failpoint broker.after_accept), with in-memory queues.  The message it
-- was handling, and everything else it held, is gone, and nobody told the sender: a
-- loss inside the MQ.  Both kinds of message are hit: the 5th PUBLISH the broker
-- accepts is a payment message, the 40th may be a CONSUMED answer.  The payment rows
-- stay SENDING and the scan republishes them.  `mark-on-publish` and
-- `outbox-no-recovery` never send them again (eventual_consistency).
scenario {
  name     = "the broker crashes between accepting and queueing a message, twice",
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

crash { at_failpoint = "broker.after_accept", hit = 5, restart_after = 1 }
crash { at_failpoint = "broker.after_accept", hit = 40, restart_after = 1 }

expect { all_invariants = true, reached = { "republished" } }
