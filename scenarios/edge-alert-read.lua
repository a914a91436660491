-- edge-alert-read.lua: the operator reads the dead letters' alerts.  As in
-- edge-budget-outage.lua, both publications of four payments fall inside a 4 s outage
-- (linear retry from 2 s, max_attempts = 2), so all four rows go DEAD at 7 s, each with
-- its alert in the same transaction.  At 8 s the operator runs `outbox-ctl show ID` on
-- each dead row, as one would before requeueing, and reads its alert: stored in
-- payment.db, it must say DEAD_LETTER and name its own payment and outbox row.  The
-- history checks read the services' notes; this reads what the database kept.
scenario {
  name     = "four dead letters, each alert read back with outbox-ctl show: it names its row",
  knobs    = { retry = "linear", retry_base = 2, max_attempts = 2 },
  workload = { payments = 4, rate = 8 },
  run      = 10,
  settle   = 20,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", start = 0, stop = 4 }

at(8, function()
  for id = 1, 4 do
    local code, out = ctl("show", tostring(id))
    check(code == 0, "outbox-ctl show " .. id .. " exits 0")
    local want = string.format("DEAD_LETTER  payment %d dead after 2 attempts (outbox row %d)",
                               id, id)
    check(out:find(want, 1, true) ~= nil, "row " .. id .. "'s alert reads: " .. want)
  end
end)

expect {
  violated     = { "eventual_consistency" }, others_hold = true,
  dead_letters = 4,
  reached      = { row_dead = 4 },
  never        = { "operator_requeue", "rows_cleaned", "frame_rejected", "redelivered" },
}
