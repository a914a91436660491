-- ordering-retries.lua: retries reorder an account's messages.  Three accounts pay
-- ten times a second; a third of the first publications to the broker are lost and
-- some are late.  A lost one is published again by the scan two seconds later, long
-- after the next payment of its account went through: accounting applies the later
-- voucher first.  Every end-state invariant holds (each payment gets its one voucher),
-- which is why only the history can see it: `ordering` breaks under a design that
-- claims per-account order and does nothing for it (ordered-naive, the seed's outbox:
-- "the queue keeps order"), and holds under `ordered`, which keeps one message of an
-- account in flight at a time.  The seed's own `outbox` claims no order: not judged.
scenario {
  name     = "retries reorder an account's messages: ordering holds only if the design keeps it",
  design   = "ordered",
  knobs    = { retry = "linear", retry_base = 2, max_attempts = 8 },
  workload = { payments = 60, rate = 10, accounts = 3 },
  run      = 10,
  settle   = 60,
}

drop  { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.3 }
delay { link = "broker->accounting", label = "DELIVER PAYMENT", p = 0.2, min = 0.1, max = 0.5 }

expect {
  all_invariants = true,
  reached        = { "republished" },
}
