#!/usr/bin/env bash
# Reached states (sim/util/reached.h) and the injected rollback (lib/io.h): a scenario
# that stops reaching what it declares fails, naming the state; summary.json, the run's
# summary and report.html count them; sweep and matrix list what no run reached; a
# random swarm catches publish-in-tx; the two designs that break durability and
# dead_letters_alerted are caught, and the outbox design is not.
source "$(dirname "$0")/lib.bash"
S=$OUT/runs

# Every scenario of the library declares what it must reach.
for f in scenarios/*.lua; do
  check "$(basename "$f") declares expect { reached = ... }" grep -qE '(^|[ ,{])reached *= *\{' "$f"
  [ "$(basename "$f")" = swarm.lua ] || \
    check "$(basename "$f") reaches what it declares (seed 1)" sim run "$f" --seed 1 --out "$S" --quiet
done

# duplicate-delivery, its duplicate faults taken out: it no longer reaches what it exists
# to show, and fails (exit 1) saying which state.
sed '/^duplicate {/d' scenarios/duplicate-delivery.lua >"$OUT/no-dupes.lua"
check "the edited copy has no duplicate fault left" bash -c "! grep -q '^duplicate' '$OUT/no-dupes.lua'"
sim run "$OUT/no-dupes.lua" --seed 1 --out "$S"
check "a scenario that stops reaching its state exits 1" test $? -eq 1
check "... and its verdict names the first state not reached" grep -q \
  '^  verdict    FAIL: reached state duplicate_absorbed (the inbox absorbed a message it had already applied or refused (accounting note duplicate)) 0 times, expected at least 1$' \
  "$OUT/last.out"
check "... summary.json says the same" grep -q '"why": "reached state duplicate_absorbed (' \
  "$S/no-dupes/1/summary.json"
check "... every invariant still held" grep -q 'invariants durability:ok atomicity:ok' "$OUT/last.out"

# A minimum count: reached = { name = N }.
sed 's/reached = { "frame_duplicated", "duplicate_absorbed" }/reached = { frame_duplicated = 100000 }/' \
  scenarios/duplicate-delivery.lua >"$OUT/many.lua"
check "the edited copy asks for a count" grep -q 'frame_duplicated = 100000' "$OUT/many.lua"
sim run "$OUT/many.lua" --seed 1 --out "$S" --quiet
check "too few times exits 1" test $? -eq 1
check "... saying how many it reached" grep -qE \
  'verdict    FAIL: reached state frame_duplicated \(.*\) [0-9]+ times, expected at least 100000$' \
  "$OUT/last.out"

# The counts: summary.json "reached" (every state), the summary line, report.html.
sim run scenarios/duplicate-delivery.lua --seed 1 --out "$S"
check "duplicate-delivery passes" test $? -eq 0
J=$S/duplicate-delivery/1/summary.json
check "summary.json has a count for each of the 30 states" test "$(python3 -c "
import json; r = json.load(open('$J'))['reached']; print(len(r))")" = 30
check "summary.json counts the absorbed duplicates" python3 -c "
import json, sys; r = json.load(open('$J'))['reached']
sys.exit(not (r['duplicate_absorbed'] > 0 and r['frame_duplicated'] > 0 and r['row_dead'] == 0))"
check "the absorbed duplicates counted are the accounting notes" test \
  "$(python3 -c "import json; print(json.load(open('$J'))['reached']['duplicate_absorbed'])")" = \
  "$(grep -c '"node":"accounting","kind":"duplicate"' "$S/duplicate-delivery/1/trace.jsonl")"
check "the run's summary has a reached line" grep -qE '^  reached    [0-9]+ of 30 states: .*duplicate_absorbed [0-9]+' "$OUT/last.out"
check "report.html has a Reached states section" grep -q '<h2>Reached states</h2>' "$S/duplicate-delivery/1/report.html"
check "report.html carries each state's meaning" grep -q '"reached_info":\[{"name":"client_retry"' "$S/duplicate-delivery/1/report.html"

# An unknown state is a scenario error at its line (exit 2), nothing left behind.
printf 'scenario { name = "x", workload = { payments = 1, rate = 1 }, run = 1, settle = 1 }\nexpect { reached = { "row_ded" } }\n' >"$OUT/bad.lua"
sim run "$OUT/bad.lua" --seed 1 --out "$OUT/bad"
check "an unknown reached state exits 2" test $? -eq 2
check "... with FILE:LINE and a suggestion" grep -q \
  "^outbox-sim: $OUT/bad.lua:2: expect: unknown reached state 'row_ded' (did you mean 'row_dead'?" \
  "$OUT/last.err"
check "... and leaves no run directory" test ! -e "$OUT/bad/bad"

# sweep and matrix list the states no run reached.
sim sweep scenarios/clean.lua scenarios/dead-letters.lua --seeds 1..2 -j 2 --out "$OUT/sweep"
check "sweep passes" test $? -eq 0
check "sweep lists the states no run reached" grep -q \
  '^sweep: reached states no run reached: client_retry, payment_resubmitted, answer_unknown, payment_rolled_back, dead_letter_rolled_back, late_answer_to_dead,' \
  "$OUT/last.out"
check "... and not those some run reached" bash -c "! grep '^sweep: reached states' '$OUT/last.out' | grep -qE 'row_dead|republished|frame_dropped'"
sim matrix scenarios/clean.lua --seeds 1..1 -j 2 --out "$OUT/matrix"
check "matrix lists the states no run reached" grep -q \
  '^matrix: reached states no run reached: client_retry, payment_resubmitted, answer_unknown, ' \
  "$OUT/last.out"

# The injected rollback catches, with no crash, the designs that hide behind a commit:
# ok-before-commit by durability, alert-outside-tx by dead_letters_alerted (the two
# checks no design broke before), publish-in-tx by no_phantom; the outbox design holds.
expect_break() {   # scenario design invariant
  local slug; slug=$(basename "$1" .lua)
  sim run "$1" --seed 1 --design "$2" --out "$OUT/weak" --quiet
  check "$2 on $slug exits 1" test $? -eq 1
  check "$2 on $slug breaks $3" grep -q "\"$3\": {\"ok\": false" "$OUT/weak/$slug/1/summary.json"
  check "$2 on $slug: no crash was needed" bash -c "! grep -q '\"ev\":\"crash\"' '$OUT/weak/$slug/1/trace.jsonl'"
}
expect_break scenarios/business-rollback.lua ok-before-commit durability
expect_break scenarios/business-rollback.lua publish-in-tx no_phantom
expect_break scenarios/business-rollback.lua ack-before-apply eventual_consistency
expect_break scenarios/dead-letter-alert-fails.lua alert-outside-tx dead_letters_alerted
check "alert-outside-tx: the DEAD row without an alert is named" \
  grep -q 'dead_letters_alerted broken: payment [0-9]* (msg [0-9]*): outbox row is DEAD after 4 attempts and has no alert' "$OUT/last.out"
for f in business-rollback dead-letter-alert-fails; do
  sim run "scenarios/$f.lua" --seed 2 --out "$OUT/strong" --quiet
  check "the outbox design passes $f (seed 2)" test $? -eq 0
done

# An ordinary random swarm (scenarios/swarm.lua, its nemesis draws rollbacks) catches
# publish-in-tx by no_phantom: measured, every seed whose swarm switched rollback on
# (each kind is on with chance 3/4): 10 of seeds 1..20.
sim sweep scenarios/swarm.lua --seeds 1..20 -j 2 --design publish-in-tx --out "$OUT/swarm" --keep
check "the swarm under publish-in-tx fails" test $? -eq 1
n=$(grep -cE '^\[[0-9]+/20\] swarm seed [0-9]+: FAIL: no_phantom broken' "$OUT/last.out")
echo "# swarm under publish-in-tx: $n of 20 seeds fail by no_phantom"
check "no_phantom breaks in at least 10 of 20 swarm seeds ($n)" test "$n" -ge 10
rolled=0 caught=0
for d in "$OUT"/swarm/swarm/*/; do
  [ -f "$d/summary.json" ] || continue
  if grep -q '"payment.rollback"' "$d/trace.jsonl" 2>/dev/null; then
    rolled=$((rolled + 1))
    grep -q '"no_phantom": {"ok": false' "$d/summary.json" && caught=$((caught + 1))
  fi
done
check "every swarm seed that rolled a payment back broke no_phantom ($caught of $rolled)" \
  test "$rolled" -gt 0 -a "$caught" -eq "$rolled"
