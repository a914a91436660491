-- power-payment-delete-send.lua: power-payment-durable-send.lua under a rollback journal.
-- The payment service keeps ["payment.journal_mode"] = "delete" with synchronous left
-- at "normal", and durable_send = 1.  Under a rollback journal a commit ends when the
-- journal file is deleted, and the deletion is durable only once the directory is
-- synced: SQLite does that at synchronous = "extra", which is what durable_send runs a
-- rollback journal at.  The power fails right after the 30th publication: its commit
-- was made durable before the message left, so the cut takes back nothing at all
-- (never power_cut_lost), and every invariant holds; the client, which heard nothing,
-- asks again and is told the payment exists.  A service that kept "normal" under
-- durable_send publishes a commit whose journal the cut brings back: the restart rolls
-- payment 30 back, the client's retry writes it again under a new outbox row, and
-- accounting books it twice, once for the message that left and once for the retry
-- (exactly_once).
scenario {
  name     = "power loss on payment right after a publication, rollback journal, durable_send",
  knobs    = { ["payment.journal_mode"] = "delete", durable_send = 1 },
  workload = { payments = 60, rate = 10 },
  run      = 10,
  settle   = 40,
}

power_loss { at_failpoint = "payment.after_publish", hit = 30, keep = "none", restart_after = 1 }

expect {
  all_invariants = true,
  reached        = { "answer_unknown", "restart_finds_sending" },
  never          = { "power_cut_lost" },
}
