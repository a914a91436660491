-- pause-past-visibility.lua: accounting is stopped (SIGSTOP, in Jepsen's sense) for
-- 8 s at 3 s, longer than the broker's visibility timeout of 5 s.  While it is
-- stopped, nothing it is sent is handled and none of its timers fires: deliveries wait
-- in its backlog, in order (trace: "pause", "backlog" lines).  The broker, seeing no
-- DACK within the visibility timeout, delivers each message again, so when accounting
-- resumes at 11 s (trace: "resume") it finds two copies of many messages.  Its inbox
-- absorbs the second copy of each ("duplicate" notes): no second voucher.  Unlike
-- slow{}, the node does nothing at all for the whole pause, however little it is sent.
scenario {
  name     = "accounting paused longer than the visibility timeout: redelivered, deduplicated",
  knobs    = { visibility = 5 },
  workload = { payments = 100, rate = 10 },
  run      = 15,
  settle   = 60,
}

pause { node = "accounting", at = 3, duration = 8 }

expect { all_invariants = true, faults_act = true, reached = { "paused", "redelivered", "duplicate_absorbed" } }
