-- duplicate-delivery.lua: the seed's duplicates.  The broker delivers some PAY_QUEUE
-- messages to accounting twice or more (a re-delivery), and the producer's
-- publications are sometimes duplicated too (a re-publication).  Accounting records
-- each message id in its inbox in the same transaction as the voucher, so a copy is
-- recognised, answered CONSUMED again and not applied twice.  The design
-- `outbox-no-dedupe` applies every copy: it breaks exactly_once.
scenario {
  name     = "deliveries duplicated; the consumer's inbox absorbs them",
  workload = { payments = 120, rate = 10 },
  run      = 20,
  settle   = 90,
}

-- 30% of deliveries to accounting arrive twice...
duplicate { link = "broker->accounting", queue = "PAY_QUEUE", label = "DELIVER", p = 0.3 }
-- ...and two particular ones arrive four and three times.
duplicate { link = "broker->accounting", queue = "PAY_QUEUE", label = "DELIVER", nth = 5, copies = 3 }
duplicate { link = "broker->accounting", queue = "PAY_QUEUE", label = "DELIVER", nth = 40, copies = 2 }
-- The producer's publications are duplicated on the wire as well.
duplicate { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 0.1 }

expect { all_invariants = true, reached = { "frame_duplicated", "duplicate_absorbed" } }
