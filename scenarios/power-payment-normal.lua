-- power-payment-normal.lua: the power fails under the payment service, on SQLite's
-- default durability (WAL, synchronous = "normal").  SQLite says it plainly: in that
-- mode "a transaction committed ... might roll back following a power loss".  Payment
-- commits its payment row and outbox row, publishes the message, answers the client
-- OK; none of it was synced yet, because under NORMAL the WAL is synced only at a
-- checkpoint.  Then the power goes (right after the 30th commit): every commit
-- since the last sync rolls back, while the broker and accounting, on other machines,
-- keep the messages and vouchers.  Accounting has booked vouchers for payments that no
-- longer exist: phantoms (no_phantom), and the restarted payment service hands out
-- message ids again that accounting already has in its inbox, so later payments are
-- swallowed as duplicates (eventual_consistency).  The client's OKs for the lost
-- payments are indefinite, not lost: the settings never promised them (the checker's
-- durability holds).  The cures: power-payment-full.lua, power-payment-durable-send.lua.
--   bin/outbox-sim run scenarios/power-payment-normal.lua --narrate
scenario {
  name     = "power loss on payment under synchronous=normal: vouchers for vanished payments",
  workload = { payments = 60, rate = 10 },
  run      = 10,
  settle   = 40,
}

power_loss { at_failpoint = "payment.after_commit", hit = 30, keep = "none", restart_after = 1 }

expect { violated = { "no_phantom" }, reached = { "power_cut_lost" } }
