scenario { name = "callbacks", design = "outbox-no-dedupe", knobs = { retry = "exponential", visibility = 1 },
  workload = { payments = 5, rate = 2, amount = { 1, 10 }, accounts = 2, refuse = { 2 } }, run = 5, settle = 5 }
at(1, function() note("x" .. math.random(10)) drop { link = "broker->accounting", nth = 2 } end)
between(2, 3, function() duplicate { link = "broker->payment", p = 0.5 } delay { link = "accounting->broker", min = 0.1, max = 0.2 } end)
crash { node = "accounting", at_failpoint = "accounting.after_apply", hit = 1, restart_after = 1 }
expect { violated = { "exactly_once" } }
