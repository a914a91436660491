#!/usr/bin/env bash
# tests/system/nemesisinstances.sh: the nemesis crashes topology{}'s instances at their
# failpoints, not only at a time.  An accounting instance passes accounting's failpoints
# and a relay the scan's (payment.scan_*), and a crash's hit counts the instance's own
# passes (sim/scenario/scenario.c, nem_failpoint): before, the nemesis looked for
# failpoints named "accounting-2." or "relay-1." and, finding none, crashed them only at
# drawn times, so a sweep over competing consumers never killed one mid-delivery.
# Eight seeds of a crash-heavy nemesis over two relays and three accounting instances
# under the seed's design: every run keeps every invariant, and the crashes that fired
# at a failpoint include an accounting instance's and a relay's.
source "$(dirname "$0")/lib.bash"

RUNS="$OUT/runs"
SC=$OUT/nem.lua
cat >"$SC" <<'LUA'
scenario {
  name     = "nemesis crashes over instances",
  knobs    = { max_attempts = 100 },
  workload = { payments = 40, rate = 10 },
  run      = 8,
  settle   = 60,
}
topology { relays = 2, accounting = 3 }
nemesis { crash_every = 1, restart_max = 1, failpoints = true, swarm = false }
expect { all_invariants = true }
LUA
fails=0
for seed in 1 2 3 4 5 6 7 8; do
  sim run "$SC" --seed "$seed" --out "$RUNS" --quiet || { fails=$((fails + 1)); echo "# seed $seed: exit $?"; }
done
check "8 seeds of the nemesis over relays and accounting instances keep every invariant" test $fails -eq 0
fp_crashes() { cat "$RUNS"/nem/*/trace.jsonl | grep '"ev":"crash"' | grep -v '"at":"time"' | grep -c "\"node\":\"$1\""; }
check "the nemesis crashed an accounting instance at a failpoint ($(fp_crashes 'accounting-[2-4]'))" \
  test "$(fp_crashes 'accounting-[2-4]')" -gt 0
check "... and a relay at the scan's failpoint ($(fp_crashes 'relay-[1-8]'))" \
  test "$(fp_crashes 'relay-[1-8]')" -gt 0
check "... each declared with its instance in its fault line" \
  bash -c "cat '$RUNS'/nem/*/trace.jsonl | grep '\"ev\":\"fault\"' | grep -q 'crash { node = \\\\\"accounting-[2-4]\\\\\", at_failpoint = \\\\\"accounting\\.'"
# Frame faults and rollbacks reach the instances too: the nemesis draws a drop for each
# instance's link to and from the broker (after the three's four, so a scenario without
# topology draws what it always drew) and a rollback for each accounting instance, and
# the runs still keep every invariant.
cat >"$OUT/links.lua" <<'LUA'
scenario {
  name     = "nemesis frames over instances",
  knobs    = { max_attempts = 100 },
  workload = { payments = 40, rate = 10 },
  run      = 8,
  settle   = 60,
}
topology { relays = 1, accounting = 2 }
nemesis { drop = 0.1, rollback = 0.1, swarm = false }
expect { all_invariants = true }
LUA
sim run "$OUT/links.lua" --seed 1 --out "$RUNS" --quiet
check "a frame and rollback nemesis over a relay and two accounting instances keeps every invariant" \
  test $? -eq 0
for link in payment-\>broker broker-\>payment broker-\>accounting accounting-\>broker \
            relay-1-\>broker broker-\>relay-1 accounting-2-\>broker broker-\>accounting-2; do
  check "the nemesis drew a drop on $link" \
    bash -c "grep '\"ev\":\"fault\"' '$RUNS/links/1/trace.jsonl' | grep -q 'drop { link = \\\\\"$link\\\\\"'"
done
check "... and a rollback for accounting-2, none for the relay" \
  bash -c "grep '\"ev\":\"fault\"' '$RUNS/links/1/trace.jsonl' | grep -q 'rollback { node = \\\\\"accounting-2\\\\\"' && ! grep '\"ev\":\"fault\"' '$RUNS/links/1/trace.jsonl' | grep -q 'rollback { node = \\\\\"relay'"
# Without topology the draws are what they were: the trace lock (tracelock.sh) holds the
# nemesis scenarios' traces byte for byte.
check "no leftovers" leftovers "$RUNS"
