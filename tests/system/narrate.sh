#!/usr/bin/env bash
# tests/system/narrate.sh: what `outbox-sim run --narrate` tells (report.sh checks its
# basics: colour, budget, an unchanged trace).
#
# The narration claims a fact only where the trace states it: under design direct no
# sentence names an outbox row's state (there is no outbox table), on the scenarios whose
# answers arrive for every payment.
#
# The payments that broke are told whatever the per-second budget hid: after the check,
# the story of each (every step of it), the breaking step marked; a second voucher is
# flagged as it happens.  --follow keeps only the followed payments' lines; --pace slows
# the telling on a terminal (and is refused without --narrate).
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

# ---- the broken payments' stories ------------------------------------------------------

narrate scenarios/crash-after-ack.lua 1 --design ack-before-apply
check "lesson 7 fails (exit 1)" [ "$rc" = 1 ]
story=$(sed -n '/^the story of payment 5, which breaks eventual_consistency/,$p' "$OUT/n.err")
check "lesson 7: the story of payment 5 is told" [ -n "$story" ]
check "... with the ack before the voucher marked as the breaking step" \
  grep -q 'accounting  acks the delivery of 5 to the broker   <== BREAKS eventual_consistency (trace line [0-9]*)' <<<"$story"
check "... then the crash that made it matter" grep -q 'accounting CRASHES: SIGKILL at accounting.after_ack' <<<"$story"
check "... and why" grep -q 'why eventual_consistency: accounting acked the delivery of message 5' <<<"$story"

narrate scenarios/duplicate-delivery.lua 1 --design outbox-no-dedupe
check "no-dedupe: the second voucher is flagged live, whatever the budget" \
  grep -q '^    0.214  accounting  voucher booked for 3 AGAIN: a second voucher for one payment (exactly_once breaks here)$' "$OUT/n.err"
check "no-dedupe: payment 3's story marks its second apply" \
  bash -c "sed -n '/^the story of payment 3,/,\$p' '$OUT/n.err' | grep -q 'voucher booked for 3 AGAIN.*<== BREAKS exactly_once, eventual_consistency'"
check "no-dedupe: at most five stories" [ "$(grep -c '^the story of payment' "$OUT/n.err")" -le 5 ]

narrate scenarios/clean.lua 1
check "a passing run tells no story" bash -c "! grep -q '^the story of' '$OUT/n.err'"

# ---- --follow and --pace -------------------------------------------------------------------

narrate scenarios/showcase.lua 1 --follow 17
check "--follow 17: payment 17 is told" grep -q 'payment 17 committed' "$OUT/n.err"
check "--follow 17: no other payment is" bash -c "! grep -E 'payment ([0-9]+) committed' '$OUT/n.err' | grep -v 'payment 17 committed'"
check "--follow 17: the run's own events still are" grep -q 'HEAL' "$OUT/n.err"

timeout 60 "$SIM" run scenarios/clean.lua --pace 0.5 --out "$RUNS" >/dev/null 2>"$OUT/p.err"
check "--pace without --narrate is refused (exit 2)" [ $? = 2 ]
timeout 60 "$SIM" run scenarios/clean.lua --narrate --pace 0 --out "$RUNS" >/dev/null 2>&1
check "--pace 0 is refused (exit 2)" [ $? = 2 ]
if command -v script >/dev/null; then
  cat >"$OUT/short.lua" <<'LUA'
scenario { name = "short", workload = { payments = 4, rate = 2 }, run = 2, settle = 1 }
LUA
  t0=$(date +%s%N)
  script -qec "$SIM run '$OUT/short.lua' --out '$RUNS' --quiet --narrate --pace 1" /dev/null >"$OUT/paced.out" 2>&1
  t1=$(date +%s%N)
  check "--pace 1 on a terminal takes about the run's virtual time (>= 1.5 s wall)" [ $(( (t1 - t0) / 1000000 )) -ge 1500 ]
  t0=$(date +%s%N)
  "$SIM" run "$OUT/short.lua" --out "$RUNS" --quiet --narrate --pace 1 2>/dev/null
  t1=$(date +%s%N)
  check "--pace does not slow a narration that is not on a terminal (< 1.5 s wall)" [ $(( (t1 - t0) / 1000000 )) -lt 1500 ]
fi

check "no leftovers" leftovers "$RUNS"
