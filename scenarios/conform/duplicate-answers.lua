-- conform/duplicate-answers.lua: `outbox-sim conform`, clause idempotent-frames for
-- payment and the broker.  A third of the answers the broker delivers to payment arrive
-- twice (payment must mark each row once and ack every copy: final_states_final), and
-- a third of accounting's and payment's DACKs arrive twice (the broker must ack a
-- delivery once and take a second DACK as stale: dack_names_delivery).
scenario {
  name     = "conform: answers and DACKs arrive twice",
  workload = { payments = 30, rate = 10 },
  run      = 10,
  settle   = 50,
}

duplicate { link = "broker->payment", queue = "ACC_QUEUE", label = "DELIVER", p = 0.3 }
duplicate { link = "accounting->broker", queue = "PAY_QUEUE", label = "DACK", p = 0.3 }
duplicate { link = "payment->broker", queue = "ACC_QUEUE", label = "DACK", p = 0.3 }

expect { all_invariants = true, reached = { "frame_duplicated", "stale_ack" } }
