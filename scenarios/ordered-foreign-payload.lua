-- ordered-foreign-payload.lua: under design ordered, a held row's payload is a message of
-- another kind.  All payments are from one account, so each waits (held, attempts 0)
-- until the one before it is settled.  Every PUBLISH is lost for the first 1.5 s, so
-- payment 1 is still unanswered when payment crashes at 0.5 s; at 0.6 s someone edits
-- its database (tamper{}, as in edge-poison-payload.lua): held row 3's payload becomes a
-- well-formed frame that is no payment, a CONSUMED answer on ACC_QUEUE, as a shared
-- outbox table that carries several kinds of message, or a restore that mixed them up,
-- can leave it.  After the restart the scan republishes row 1, its answer releases row
-- 2, and row 2's answer comes to release row 3: the release must check the payload as
-- the scan does (a PUBLISH of a PAYMENT, this row's own) and leave a payload that is not
-- one to the scan, which sends row 3 DEAD with an alert saying its payload is
-- undecodable and how many later messages of the account it blocks.  Rows 4 to 20 wait
-- behind it for the operator: eventual_consistency is broken, as expected, and every
-- other invariant, ordering among them, holds.
scenario {
  name     = "ordered: a held row's payload is another kind of message; the release skips it",
  design   = "ordered",
  knobs    = { retry = "linear", retry_base = 1 },
  workload = { payments = 20, rate = 10, accounts = 1 },
  run      = 4,
  settle   = 10,
}

drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", stop = 1.5 }
crash { node = "payment", at = 0.5, restart_after = 0.5 }
-- row 3's: magic "OX", version 1, PUBLISH, 44 bytes; "ACC_QUEUE"; CONSUMED; msg 3,
-- payment 3, account 1, 100 cents, attempt 1, no reason
tamper { node = "payment", at = 0.6, restart_after = 0.5,
         sql = "UPDATE outbox SET payload = x'4f5801012c000000094143435f51554555450203" ..
               "0000000000000003000000000000000100000064000000000000000100000000'" ..
               " WHERE id = 3" }

-- What the operator reads back: the alert names the payload and, under a design that
-- blocks the account behind a dead letter (ordered), the 17 rows behind it.
at(3.5, function()
  local code, out = ctl("show", "3")
  local want = "outbox row 3 has an undecodable payload"
  check(code == 0 and out:find(want, 1, true) ~= nil, "row 3's alert: " .. want)
  if out:find("it blocks", 1, true) then
    want = "it blocks 17 later messages of account 1"
    check(out:find(want, 1, true) ~= nil, "row 3's alert: " .. want)
  end
end)

expect {
  violated     = { "eventual_consistency" }, others_hold = true,
  dead_letters = 1,
  faults_act   = true,
  reached      = { "row_dead", "republished" },
}
