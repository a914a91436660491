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
# Without topology the draws are what they were: the trace lock (tracelock.sh) holds the
# nemesis scenarios' traces byte for byte.
check "no leftovers" leftovers "$RUNS"
