#!/usr/bin/env bash
# tests/system/expectdoc.sh: what scenarios/README.md says about how expectations, dead
# letters, overlapping slow windows and faults the workload never feeds behave, held to
# what the simulator does (each case a small scenario written here).
source "$(dirname "$0")/lib.bash"

W="$OUT/w"
mkdir -p "$W"
# run NAME [ARGS...]: runs $W/NAME.lua (seed 1) into $W/out; summary in $S, rc in $rc
run() {
  local name=$1; shift
  sim run "$W/$name.lua" --seed 1 --out "$W/out" "$@"
  rc=$?
  S="$W/out/$name/1/summary.json"
  T="$W/out/$name/1/trace.jsonl"
}

# "dead_letters without violated ... every invariant is still judged"
cat >"$W/dl.lua" <<'LUA'
scenario { name = "dead letters only", workload = { payments = 10, rate = 10 }, run = 20,
  settle = 20, knobs = { max_attempts = 2, retry_base = 0.5 } }
drop { link = "payment->broker", start = 0, stop = 20 }
expect { dead_letters = { min = 1 } }
LUA
run dl
check "dead_letters alone: the DEAD rows break eventual_consistency, exit 1" [ "$rc" -eq 1 ]
check "... and the verdict names it" grep -q 'FAIL: eventual_consistency broken' "$OUT/last.out"
sed -i 's/^expect .*/expect { violated = { "eventual_consistency" }, dead_letters = { min = 1 } }/' \
  "$W/dl.lua"
run dl
check "with violated = { eventual_consistency } as well: exit 0" [ "$rc" -eq 0 ]

# "others_hold = true": with violated, every other judged invariant must hold.  The same
# dead letters under design publish-in-tx also publish before COMMIT: a hold list that
# does not name publish_after_commit lets it pass, others_hold does not.
sed -i 's/^expect .*/expect { violated = { "eventual_consistency" }, dead_letters = { min = 1 },\
  hold = { "exactly_once" } }/' "$W/dl.lua"
run dl --design publish-in-tx
check "a hold list leaves publish_after_commit unjudged: exit 0 under publish-in-tx" [ "$rc" -eq 0 ]
sed -i 's/hold = { "exactly_once" }/others_hold = true/' "$W/dl.lua"
run dl --design publish-in-tx
check "others_hold = true judges it: exit 1" [ "$rc" -eq 1 ]
check "... naming publish_after_commit" grep -q 'FAIL: publish_after_commit broken' "$OUT/last.out"
run dl
check "... and under outbox every other invariant holds: exit 0" [ "$rc" -eq 0 ]
sed -i 's/others_hold = true/others_hold = true, hold = { "exactly_once" }/' "$W/dl.lua"
run dl
check "others_hold with a hold list: a scenario error (exit 2)" [ "$rc" -eq 2 ]
check "... in one line saying to drop hold" \
  grep -q "expect: 'others_hold = true' already holds every invariant 'violated' does not name: drop 'hold'" \
  "$OUT/last.err"

# "DEAD is not final: an answer that arrives later ... the alert stays"
cat >"$W/late.lua" <<'LUA'
scenario { name = "a late answer", workload = { payments = 10, rate = 10 }, run = 8,
  settle = 20, knobs = { max_attempts = 2, retry_base = 0.5 } }
drop { link = "broker->accounting", start = 0, stop = 4 }
LUA
run late
check "rows that went DEAD and were answered later: exit 0" [ "$rc" -eq 0 ]
check "... payment 1 went DEAD" grep -q '"kind":"dead","pay":1,' "$T"
check "... then CONSUMED" sh -c "sed -n '/\"kind\":\"dead\",\"pay\":1,/,\$p' '$T' \
  | grep -q '\"kind\":\"consumed\",\"pay\":1,'"
check "... no row counted DEAD at the end, the alerts stay" \
  grep -q ' 0 dead letters, 10 alerts' "$OUT/last.out"

# "the broker has no redelivery limit"
cat >"$W/redeliver.lua" <<'LUA'
scenario { name = "nobody acks", workload = { payments = 1, rate = 10 }, run = 30, settle = 0,
  knobs = { visibility = 1 } }
drop { link = "accounting->broker", label = "DACK" }
expect { violated = { "convergence" } }
LUA
run redeliver
n=$(grep -c '"kind":"redeliver","pay":1,' "$T")
check "an unacked delivery goes out again every visibility second (got $n in 30 s)" \
  [ "$n" -ge 25 ]

# "Two slow windows of one node may not overlap": an error at load, naming the earlier one.
cat >"$W/slow.lua" <<'LUA'
scenario { name = "two slow windows", workload = { payments = 30, rate = 10 }, run = 3,
  settle = 30 }
slow { node = "accounting", per_message = 0.1, start = 0, stop = 3 }
slow { node = "accounting", per_message = 0.3, start = 1, stop = 2 }
LUA
run slow
check "overlapping slow windows: exit 2" [ "$rc" -eq 2 ]
check "... naming the window declared first" \
  grep -q 'slow.lua:4: slow: accounting is already slow in \[0, 3) (declared at line 3)' "$OUT/last.err"

# "so is one that matches only CONSUME_FAILED answers in a workload that refuses nothing"
cat >"$W/cf.lua" <<'LUA'
scenario { name = "no refusals", workload = { payments = 5, rate = 10 }, run = 1, settle = 10 }
drop { link = "broker->payment", label = "DELIVER CONSUME_FAILED" }
LUA
run cf
check "a fault only refusals could feed, with no refusals: exit 2" [ "$rc" -eq 2 ]
check "... saying it could never act" grep -q 'cf.lua:2: drop: .*the fault could never act' "$OUT/last.err"
cat >"$W/cf2.lua" <<'LUA'
scenario { name = "no such frame", workload = { payments = 5, rate = 10 }, run = 1, settle = 10 }
drop { link = "broker->payment", label = "DELIVER PAYMENT" }
LUA
run cf2
check "a label no frame on that link carries: exit 2" [ "$rc" -eq 2 ]
check "... saying which frames travel there" \
  grep -q "no frame on broker->payment has label 'DELIVER PAYMENT'" "$OUT/last.err"

# "Under direct ... atomicity is not judged ... an expectation that names it, as hold or
# as violated, cannot be met: the run fails (exit 1) and says why".
cat >"$W/direct.lua" <<'LUA'
scenario { name = "atomicity under direct", design = "direct",
  workload = { payments = 5, rate = 10 }, run = 1, settle = 10 }
drop { link = "payment->broker", nth = 1 }
expect { violated = { "eventual_consistency" }, hold = { "atomicity" } }
LUA
run direct
check "direct: atomicity is n/a on the summary line" grep -q 'atomicity:n/a' "$OUT/last.out"
check "... skipped in summary.json" grep -q '"atomicity": {"ok": true, "skipped": true' "$S"
check "... a hold naming it fails (exit 1)" [ "$rc" -eq 1 ]
check "... saying the design does not judge it" \
  grep -q 'expect names atomicity, which this run.s design does not judge (n/a)' "$OUT/last.out"
sed -i 's/^expect .*/expect { violated = { "atomicity" } }/' "$W/direct.lua"
run direct
check "... a violated naming it fails the same way, not with 'but it held'" \
  grep -q 'expect names atomicity, which this run.s design does not judge (n/a)' "$OUT/last.out"
check "no leftovers" leftovers "$W/out"
