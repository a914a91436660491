-- relays-completion-delete.lua: relays republish while answers finish and delete rows.
-- Under completion = "delete" the payment service deletes a row in the transaction that
-- marks it CONSUMED.  Here accounting's answers take 1.5 to 3 s, longer than the 1 s
-- retry_base, so the two relays claim rows whose first publication is still being
-- answered, and a relay publishes a batch one row per 0.1 s round trip: an answer often
-- arrives, and its row is deleted, while a relay holds the row in a batch it has not
-- reached.  Before publishing each row the relay reads its lease again and finds the
-- row gone: that is no error, only a row someone else finished.  Every invariant holds;
-- a relay that took a row gone from under it for a failed read would report an error
-- with no fault behind it (errors_explained).
scenario {
  name     = "answers delete rows that relays hold in their batches: a gone row is no error",
  knobs    = { completion = "delete", retry = "linear", retry_base = 1, relay_rtt = 0.1,
               lease = 4 },
  workload = { payments = 80, rate = 10 },
  run      = 10,
  settle   = 40,
}

topology { relays = 2 }

delay { link = "accounting->broker", label = "PUBLISH", min = 1.5, max = 3, stop = 8 }

expect { all_invariants = true, reached = { "row_completed", "republished" } }
