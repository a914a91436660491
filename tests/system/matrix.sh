#!/usr/bin/env bash
# outbox-sim matrix: every design against a few scenarios (one seed, to stay cheap),
# compared with the matching lines of the kept table tests/matrix.expected; a wrong
# expected line is reported as a difference; matrix.json cites commands that reproduce.
source "$(dirname "$0")/lib.bash"

# Scenarios whose weak designs are each caught by the invariant the weakness predicts.
SCEN="scenarios/duplicate-delivery.lua scenarios/pay-queue-loss.lua scenarios/crash-after-ack.lua
      scenarios/crash-before-commit.lua scenarios/broker-crash-memory.lua"
# shellcheck disable=SC2086
sim matrix $SCEN --seeds 1 -j 2 --out "$OUT/m" --expect tests/matrix.expected
rc=$?
# 5 scenarios x every design the kept table has (it grows as designs are added)
CELLS=$(( 5 * $(awk '!/^#/ && NF { print $1 }' tests/matrix.expected | sort -u | wc -l) ))
check "matrix of 5 scenarios matches tests/matrix.expected: exit 0" test $rc -eq 0
check "it says all $CELLS cells match" grep -q "all $CELLS cells match tests/matrix.expected" "$OUT/last.out"
check "table: rows are designs, cells name the seed" grep -q '^outbox-no-dedupe *exactly_once@1 ' "$OUT/last.out"
check "table: outbox passes every scenario" \
  test "$(grep '^outbox ' "$OUT/last.out" | tr -s ' ')" = "outbox pass pass pass pass pass"
cell() { grep -qx "$1 $2 $3" "$OUT/m/matrix.expected"; }
check "direct loses payments on pay-queue-loss" cell direct pay-queue-loss eventual_consistency
check "outbox-no-recovery loses payments on pay-queue-loss" cell outbox-no-recovery pay-queue-loss eventual_consistency
check "outbox-no-dedupe doubles vouchers on duplicate-delivery" cell outbox-no-dedupe duplicate-delivery exactly_once
check "publish-in-tx books the rolled-back payment on crash-before-commit" cell publish-in-tx crash-before-commit exactly_once
check "mark-on-publish loses what the broker lost on broker-crash-memory" cell mark-on-publish broker-crash-memory eventual_consistency
check "ack-before-apply loses vouchers on crash-after-ack" cell ack-before-apply crash-after-ack eventual_consistency
check "resend-every-scan republishes off schedule on pay-queue-loss" cell resend-every-scan pay-queue-loss retry_schedule

J=$OUT/m/matrix.json
check "matrix.json: $CELLS cells" test "$(grep -c '"design": ' "$J")" -eq "$CELLS"
check "matrix.json: designs and scenarios" grep -q '"scenarios": \["duplicate-delivery", "pay-queue-loss", "crash-after-ack", "crash-before-commit", "broker-crash-memory"\]' "$J"
check "matrix.json: is JSON" sh -c "! command -v python3 >/dev/null || python3 -m json.tool '$J' >/dev/null"
check "one run dir kept per cell" test "$(find "$OUT/m" -name summary.json | wc -l)" -eq "$CELLS"
# The command of a failing cell reproduces it.
cell=$(grep '"design": "outbox-no-dedupe", "scenario": "duplicate-delivery"' "$J")
cmd=$(sed -n 's/.*"command": "\([^"]*\)".*/\1/p' <<<"$cell")
check "the cell cites its command" test "$cmd" = "$SIM run scenarios/duplicate-delivery.lua --seed 1 --design outbox-no-dedupe"
check "the cell's run dir holds its summary" test -f "$OUT/m/outbox-no-dedupe/duplicate-delivery/1/summary.json"
# shellcheck disable=SC2086
timeout -k 5 120 $cmd --out "$OUT/repro" --quiet >/dev/null 2>&1
rc=$?
check "the cell's command reproduces the failure (exit 1)" test $rc -eq 1
check "... breaking exactly_once" grep -q '"exactly_once": {"ok": false' "$OUT/repro/duplicate-delivery/1/summary.json"
check "matrix.expected written beside matrix.json" test "$(grep -vc '^#' "$OUT/m/matrix.expected")" -eq "$CELLS"
check "matrix.html written inside --out, with the rest" test -s "$OUT/m/matrix.html"
check "... and nothing beside --out" test ! -e "$OUT/m.html"
check "... and the output says where" grep -q "^matrix: the table as a page, each cell linked to its run: $OUT/m/matrix.html$" "$OUT/last.out"

# A deliberately wrong expected line is a difference: exit 1, and it is named.
sed 's/^outbox-no-dedupe duplicate-delivery exactly_once$/outbox-no-dedupe duplicate-delivery pass/' \
  tests/matrix.expected >"$OUT/wrong.expected"
check "the wrong table differs from the kept one" sh -c "! cmp -s tests/matrix.expected '$OUT/wrong.expected'"
sim matrix scenarios/duplicate-delivery.lua --seeds 1 -j 2 --out "$OUT/w" --expect "$OUT/wrong.expected"
rc=$?
check "a wrong expected line: exit 1" test $rc -eq 1
check "a wrong expected line: the difference is named" \
  grep -q 'outbox-no-dedupe duplicate-delivery: expected pass, got exactly_once at seed 1' "$OUT/last.out"
check "a wrong expected line: only that one" grep -q '^matrix: 1 difference from ' "$OUT/last.out"

# Bad input: one line, exit 2, nothing run.
printf 'outbox clean\n' >"$OUT/malformed.expected"
sim matrix scenarios/clean.lua --seeds 1 --out "$OUT/bad" --expect "$OUT/malformed.expected"
rc=$?
check "a malformed expected file: exit 2" test $rc -eq 2
check "a malformed expected file: names file and line" grep -q 'malformed.expected:1: expected "design scenario result"' "$OUT/last.err"
sim matrix scenarios/clean.lua --out "$OUT/bad" --expect "$OUT/missing.expected"
rc=$?
check "a missing expected file: exit 2" test $rc -eq 2
sim matrix scenarios/no-such.lua --out "$OUT/bad"   # tidy: not a file
rc=$?
check "a missing scenario: exit 2" test $rc -eq 2
sim matrix scenarios/clean.lua --seeds 9..1 --out "$OUT/bad"
rc=$?
check "bad --seeds: exit 2" test $rc -eq 2
check "bad input: nothing ran" test ! -e "$OUT/bad"
