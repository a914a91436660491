#!/usr/bin/env bash
# expect { never = { ... } } (scenarios/README.md, "States a run must never reach"): a run
# that reaches a state its scenario rules out fails (exit 1) naming the state, the count
# and the trace line of its first time, even when every invariant holds; the matrix cell
# is reached:<state>; a bad never list is a scenario error (exit 2) at its line.
source "$(dirname "$0")/lib.bash"
S=$OUT/runs

# clean.lua holds never = { "republished" } when nothing is lost ...
sed '/^expect/d' scenarios/clean.lua >"$OUT/quiet.lua"
echo 'expect { all_invariants = true, reached = {}, never = { "republished", "rows_cleaned" } }' \
  >>"$OUT/quiet.lua"
check "a run that reaches none of its never states passes" \
  sim run "$OUT/quiet.lua" --seed 1 --out "$S" --quiet

# ... and fails once half of the PUBLISH frames are lost, every invariant still holding.
sed '/^expect/d' scenarios/clean.lua >"$OUT/lossy.lua"
printf '%s\n' 'drop { link = "payment->broker", label = "PUBLISH", p = 0.5 }' \
  'expect { all_invariants = true, reached = {}, never = { "rows_cleaned", "republished" } }' \
  >>"$OUT/lossy.lua"
sim run "$OUT/lossy.lua" --seed 1 --out "$S"
check "a run that reaches a never state exits 1" test $? -eq 1
check "... its verdict names the state, the count and the first trace line" grep -qE \
  '^  verdict    FAIL: state republished \(the recovery scan published a row again .*\) reached [0-9]+ times \(first at trace line [0-9]+\), expected never$' \
  "$OUT/last.out"
check "... every invariant held" grep -q 'invariants durability:ok atomicity:ok' "$OUT/last.out"
check "... summary.json says the same" grep -q '"why": "state republished (' \
  "$S/lossy/1/summary.json"
line=$(sed -n 's/.*(first at trace line \([0-9]*\)).*/\1/p' "$OUT/last.out")
check "... and that trace line is a republication" bash -c \
  "sed -n '${line}p' '$S/lossy/1/trace.jsonl' | grep -q '\"kind\":\"publish\".*attempt [2-9]'"

# The matrix names the cell reached:<state>.
sim matrix "$OUT/lossy.lua" --seeds 1..1 -j 2 --out "$S/matrix"
check "the matrix marks the outbox cell reached:republished" \
  grep -q '^outbox lossy reached:republished' "$S/matrix/matrix.expected"

# Bad never lists: exit 2, one line at the expect's line.
bad() {
  printf 'scenario { name = "x", workload = { payments = 1, rate = 1 }, run = 1, settle = 1 }\nexpect { %s }\n' \
    "$1" >"$OUT/bad.lua"
  sim run "$OUT/bad.lua" --out "$S" --quiet
  check "never: $2 exits 2" test $? -eq 2
  check "... saying: $3" grep -qF "$OUT/bad.lua:2: expect: $3" "$OUT/last.err"
}
bad 'never = { "row_ded" }' "an unknown state" "unknown reached state 'row_ded' in 'never' (did you mean 'row_dead'?"
bad 'never = { "row_dead", "row_dead" }' "a state twice" "'never' names 'row_dead' twice"
bad 'reached = { "row_dead" }, never = { "row_dead" }' "a state also in reached" \
  "'row_dead' is both in 'reached' and in 'never'"
bad 'never = "row_dead"' "not a table" "'never' must be a table like"
bad 'never = { x = "row_dead" }' "a key" "'never' must be a list like"
bad 'never = { 3 }' "not a name" "'never[1]' must be a reached state's name, got 3"
