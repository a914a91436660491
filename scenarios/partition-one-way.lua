-- partition-one-way.lua: a one-way partition: accounting can hear the broker but
-- cannot answer it.  For 6 s every frame accounting sends is lost: its CONSUMED
-- answers and its acks (DACK).  Accounting still receives each payment, commits the
-- voucher and its inbox row; the broker, hearing no ack, redelivers after the
-- visibility timeout, and the payment service, hearing no CONSUMED, republishes from
-- the scan.  Both kinds of copy reach accounting, whose inbox recognises them and
-- answers CONSUMED again, which gets through once the link heals.  One-way failures
-- are the ones that look like "the other side is slow" from both ends.
-- `outbox-no-dedupe` turns the copies into second vouchers (exactly_once).
scenario {
  name     = "accounting cannot answer the broker for 6 s (one-way partition)",
  workload = { payments = 100, rate = 10 },
  run      = 20,
  settle   = 60,
}

partition { between = { "accounting", "broker" }, oneway = true, start = 3, stop = 9 }

expect { all_invariants = true, reached = { "partition_cut", "redelivered", "duplicate_absorbed" } }
