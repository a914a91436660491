-- edge-ordered-release.lua: design ordered with a lazy recovery scan.  Under `ordered` a
-- payment whose account has an earlier message still unsettled is held (attempts 0, a
-- "hold" note), and the answer that settles the earlier one releases it at once (a
-- "release" note); the recovery scan only backs the release up.  Here the scan runs
-- every 30 s, after the run and its settle phase are over, and answers take 50 to 100 ms
-- back, so with two accounts and a payment every 10 ms most payments are held behind
-- the one before them.  Each must be released by its predecessor's answer: a release
-- that never comes leaves rows SENDING for the scan that does not come in time
-- (eventual_consistency, convergence).  The first payment's transaction meets a business
-- error (rollback{}, in the first 15 ms) and rolls back: its outbox id goes back to the
-- table, so later rows' message ids run one below their payment ids, and a release that
-- looked the next row up by the wrong one of the two would find nothing to release.
-- Payments 7, 8 and 9 are refused (the frozen account pays them, one account of their
-- own): 8 is held behind 7 and 9 behind 8, so a refusal's answer must release as a
-- consumed one does.
scenario {
  name     = "ordered, a payment every 10 ms on 2 accounts, no scan in time: answers release the held",
  design   = "ordered",
  knobs    = { scan_interval = 30 },
  workload = { payments = 60, rate = 100, accounts = 2, refuse = { 7, 8, 9 } },
  run      = 2,
  settle   = 20,
}

delay { link = "accounting->broker", min = 0.05, max = 0.1 }
rollback { node = "payment", p = 1, stop = 0.015 }

-- Holds and releases are not named states; the rollback is, and no fault loses
-- anything, so nothing is republished, redelivered or left DEAD.
expect {
  all_invariants = true,
  reached        = { "payment_rolled_back", "refund" },
  never          = { "republished", "row_dead", "redelivered" },
}
