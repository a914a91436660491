#!/usr/bin/env bash
# tests/system/narrate.sh: what `outbox-sim run --narrate` tells (report.sh checks its
# basics: colour, budget, an unchanged trace).
#
# The narration claims a fact only where the trace states it: under design direct no
# sentence names an outbox row's state (there is no outbox table), on the scenarios whose
# answers arrive for every payment.
source "$(dirname "$0")/lib.bash"

RUNS="$OUT/runs"

# narrate FILE SEED [ARGS...]: a quiet narrated run; stderr in $OUT/n.err, exit in $rc.
narrate() {
  local file=$1 seed=$2; shift 2
  timeout -k 5 300 "$SIM" run "$file" --seed "$seed" --out "$RUNS" --quiet --narrate "$@" \
    >"$OUT/n.out" 2>"$OUT/n.err"
  rc=$?
}

# ---- no invented facts ------------------------------------------------------------------

for sc in clean refusal-compensated duplicate-delivery; do
  narrate "scenarios/$sc.lua" 1 --design direct
  check "$sc under direct: the narration tells the answers" grep -q 'CONSUMED answer for 1 arrives' "$OUT/n.err"
  check "$sc under direct: no sentence claims an outbox row's state" bash -c "! grep -E 'outbox row of [0-9]+ (CONSUMED|FAILED|DEAD)' '$OUT/n.err'"
done

check "no leftovers" leftovers "$RUNS"
