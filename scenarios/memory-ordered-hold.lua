-- memory-ordered-hold.lua: the payment service runs out of memory in the middle of a
-- payment, under the `ordered` design (one message of an account in flight at a time).
-- disk{ fault = "nomem", on = "alloc", nth } fails the nth allocation SQLite makes in
-- the window (node/memf.h): the 208th is the one of the question the design asks inside
-- the payment's transaction, after the payment and outbox rows are written ("is an
-- earlier row of this account unsettled?", ox_ordered_hold).  SQLite answers
-- SQLITE_NOMEM, the transaction rolls back whole, and the client is told the payment
-- failed: no payment row without its outbox row, nothing published.  At 2.2 s, when
-- payments of account 1 wait behind an unanswered one, the 33rd allocation fails the
-- hold itself (the UPDATE that marks the new row held): SQLite rolls the transaction
-- back, and the client must hear "out of memory", not a later COMMIT's complaint that
-- no transaction is open (errors_explained).  A chance of 3 in a hundred on each of the
-- accounting service's allocations, a little later, fails lookups and commits; each
-- redelivery brings the voucher in.  Every invariant holds, and the order too.  Other
-- designs make fewer allocations: payment's faults are the ordered design's.
scenario {
  name     = "payment and accounting run out of memory mid-transaction under the ordered design",
  design   = "ordered",
  workload = { payments = 40, rate = 10, accounts = 2 },
  run      = 6,
  settle   = 60,
}

disk { node = "payment", fault = "nomem", on = "alloc", nth = 208, start = 1, stop = 1.09 }
disk { node = "payment", fault = "nomem", on = "alloc", nth = 33, start = 2.2, stop = 2.29 }
disk { node = "accounting", fault = "nomem", on = "alloc", p = 0.03, start = 2, stop = 4 }

expect { all_invariants = true, reached = { "disk_error" } }
