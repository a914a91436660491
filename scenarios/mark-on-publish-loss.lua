-- mark-on-publish-loss.lua: "sent" taken for "done".  Design mark-on-publish marks an
-- outbox row CONSUMED as soon as its message is handed to the broker, in the statement
-- after the send, as a relay that deletes or flags a row once the publish call returned
-- does.  The broker loses a fifth of the payment messages it accepts (broker_loss on
-- PAY_QUEUE, loss inside the MQ that nothing on the wire shows) for the first 3 s.  The
-- rows of the lost messages are CONSUMED already, so the recovery scan never sends them
-- again: their payments are PAID with no voucher, and eventual_consistency breaks, as the
-- design's weakness says; every other invariant holds.  Under the outbox design the rows
-- stay SENDING until accounting answers, and the scan republishes the lost ones.
scenario {
  name     = "rows marked done on send: messages the broker loses are never sent again",
  design   = "mark-on-publish",
  workload = { payments = 30, rate = 10 },
  run      = 4,
  settle   = 20,
}

broker_loss { queue = "PAY_QUEUE", p = 0.2, stop = 3 }

expect {
  violated    = { "eventual_consistency" },
  others_hold = true,
  reached     = { "broker_lost_inside" },
  never       = { "republished" },
}
