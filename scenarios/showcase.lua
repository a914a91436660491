-- showcase.lua: the demo (make demo).  Everything the seed article worries about, at
-- once: messages lost on the way to the broker and on the way to the consumer,
-- deliveries and answers duplicated, the producer killed between COMMIT and publish,
-- the consumer killed at a fixed time, two payments refused.  The outbox pattern
-- still converges within the settle phase, and every invariant holds.
scenario {
  name     = "showcase: loss, duplicates, two crashes and refusals; the outbox converges",
  design   = "outbox",
  knobs    = { retry = "linear", retry_base = 2, max_attempts = 8 },
  workload = { payments = 150, rate = 6, amount = { 100, 50000 }, accounts = 20, refuse = { 7, 77 } },
  run      = 30,
  settle   = 150,
}

-- Loss on two links: producer -> MQ for the whole run, MQ -> consumer for a while.
drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.2 }
between(5, 20, function()
  drop { link = "broker->accounting", label = "DELIVER", p = 0.25 }
end)

-- Duplicates both ways: a delivery applied twice would be a second voucher; an answer
-- seen twice must not confuse the payment service.
duplicate { link = "broker->accounting", label = "DELIVER", p = 0.2 }
duplicate { link = "broker->payment", label = "DELIVER", p = 0.2 }

-- Some jitter on the consumer's answers.
delay { link = "accounting->broker", min = 0.05, max = 0.5 }

-- The producer dies right after a COMMIT, before publishing.
crash { node = "payment", at_failpoint = "payment.after_commit", hit = 25, restart_after = 2 }

-- The consumer dies at t = 12 s and is back 3 s later.
at(12, function()
  note("accounting goes down for 3 s")
  crash { node = "accounting", restart_after = 3 }
end)

expect {
  all_invariants = true,
  reached        = { "republished", "duplicate_absorbed", "refund", "restart_finds_sending" },
}
