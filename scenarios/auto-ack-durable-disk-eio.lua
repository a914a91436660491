-- auto-ack-durable-disk-eio.lua: the weak design auto-ack on a durable broker whose disk
-- fails.  The team made the broker durable (durable = 1: each message is a row of its
-- SQLite file from enqueue to ack) but lets it count a message acked as it sends it
-- (auto-ack, RabbitMQ's no-ack consumer): the row is deleted as the delivery goes out,
-- before accounting has done anything.  From 2 s to 10 s one in five of the broker's
-- writes fails with EIO: the message rows it stores and the rows it deletes as it sends.
-- A failed delete is a failed step, said with an error note, and the message stays at
-- the head of its queue, row and all, for the next step to send; a broker that took the
-- failed delete for done would go on as if its file agreed (errors_reported sees it).
-- delivered_until_acked breaks, as it must under auto-ack (an ack no DACK caused);
-- nothing else does: accounting never crashes here, so what was sent is applied, and the
-- payment's scan republishes what a failed store did not take.
scenario {
  name     = "auto-ack on a durable broker whose writes fail: only delivered_until_acked breaks",
  design   = "auto-ack",
  knobs    = { durable = 1 },
  workload = { payments = 60, rate = 10 },
  run      = 10,
  settle   = 60,
}

disk { node = "broker", fault = "eio", on = "write", p = 0.2, start = 2, stop = 10 }

expect {
  violated    = { "delivered_until_acked" },
  others_hold = true,
  faults_act  = true,
  reached     = { "disk_error" },
}
