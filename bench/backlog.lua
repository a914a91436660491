-- bench/backlog.lua: a due backlog for the relays to drain (bench/run.sh, "the scan's
-- cost with N relays").  Every first publication of the first 10 s is lost, so 2000
-- outbox rows stand SENDING and due when the loss stops; bench/run.sh adds
-- topology { relays = N } and counts what draining them cost: the relays' scans, claims
-- and steps, and the CPU of the whole run, per row a relay published.
scenario {
  name     = "benchmark: a backlog of 2000 due rows, drained by the relays",
  design   = "outbox",
  workload = { payments = 2000, rate = 200, amount = { 100, 50000 }, accounts = 100 },
  run      = 12,
  settle   = 120,
}

drop { link = "payment->broker", label = "PUBLISH", p = 1, stop = 10 }

expect { all_invariants = true }
