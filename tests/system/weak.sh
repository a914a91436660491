#!/usr/bin/env bash
# The suite can fail: weak designs break the invariant their weakness predicts, and
# the simulator says so with exit code 1.
source "$(dirname "$0")/lib.bash"
expect_break() {   # scenario design invariant
  local sc=$1 design=$2 inv=$3 slug
  slug=$(basename "$sc" .lua)
  sim run "$sc" --seed 1 --design "$design" --out "$OUT/runs"
  local rc=$?
  check "$design on $slug exits 1" test $rc -eq 1
  check "$design on $slug breaks $inv" grep -q "\"$inv\": {\"ok\": false" "$OUT/runs/$slug/1/summary.json"
}
expect_break scenarios/pay-queue-loss.lua outbox-no-recovery eventual_consistency
expect_break scenarios/pay-queue-loss.lua direct eventual_consistency
expect_break scenarios/duplicate-delivery.lua outbox-no-dedupe exactly_once
expect_break scenarios/crash-after-ack.lua ack-before-apply eventual_consistency
expect_break scenarios/phantom-voucher.lua publish-in-tx no_phantom
