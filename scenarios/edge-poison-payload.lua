-- edge-poison-payload.lua: two outbox rows whose stored payload is not theirs.  Every
-- PUBLISH is lost for the first 2.5 s, so the first ten payments are still SENDING when
-- payment crashes at 1 s; at 1.1 s someone edits its database (tamper{}): row 3's
-- payload becomes one byte, which is no frame at all, and row 5's becomes a well-formed
-- PAYMENT frame for payment 5 that names message 99 and 100 cents, a frame that is not
-- row 5's.  The recovery scan after the restart must not publish either: it checks that a
-- stored payload decodes to this row's own message (lib/scan.c, decode_payload) and
-- sends both rows DEAD at once, each with an alert saying its payload is undecodable,
-- which the operator reads back with outbox-ctl show.  The other rows are
-- republished once the outage ends.  Payments 3 and 5 stay PAID without a voucher: the
-- expected eventual_consistency break, and the two dead letters.  Publishing row 5's
-- payload anyway would book a voucher of 100 cents for payment 5 (no_phantom).
scenario {
  name     = "two rows' payloads tampered with while payment is down: both DEAD, nothing sent",
  knobs    = { retry = "linear", retry_base = 2 },
  workload = { payments = 20, rate = 10 },
  run      = 6,
  settle   = 30,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 2.5 }
crash { node = "payment", at = 1, restart_after = 0.5 }
-- row 5's: magic "OX", version 1, PUBLISH, 44 bytes; "PAY_QUEUE"; PAYMENT; msg 99,
-- payment 5, account 1, 100 cents, attempt 1, no reason
tamper { node = "payment", at = 1.1, restart_after = 0.5,
         sql = "UPDATE outbox SET payload = x'00' WHERE id = 3;" ..
               " UPDATE outbox SET payload = x'4f5801012c000000095041595f51554555450163" ..
               "0000000000000005000000000000000100000064000000000000000100000000'" ..
               " WHERE id = 5" }

at(5, function()
  for _, id in ipairs({ 3, 5 }) do
    local code, out = ctl("show", tostring(id))
    local want = string.format("outbox row %d has an undecodable payload", id)
    check(code == 0 and out:find(want, 1, true) ~= nil, "row " .. id .. "'s alert: " .. want)
  end
end)

expect {
  violated     = { "eventual_consistency" }, others_hold = true,
  dead_letters = 2,
  reached      = { row_dead = 2, republished = 8 },
  never        = { "redelivered", "frame_rejected" },
}
