#!/usr/bin/env bash
# Power loss under the outbox (sim/core/power.h, scenarios/power-*.lua): each scenario
# run fresh gives the verdict its story says, its power_cut line says what was lost, and
# the settings that make commits durable (synchronous=full, durable_send=1) lose nothing.
# Also: a run without power_loss{} has no simulated disk; a bad power_loss{} is one line
# and exit 2.
source "$(dirname "$0")/lib.bash"

# run NAME [ARGS...]: runs that scenario of scenarios/ (seed 1) into $OUT/NAME; sets RC and D.
run() {
  local name=$1; shift
  sim run "scenarios/$name.lua" --seed 1 --out "$OUT/$name" --quiet "$@"
  RC=$?
  D=$OUT/$name/$name/1
}
cut() { grep '"ev":"power_cut"' "$D/trace.jsonl"; }
num() { cut | grep -o "\"$1\":[0-9]*" | head -1 | grep -o '[0-9]*$'; }
inv() { grep -o "\"$1\": {\"ok\": [a-z]*" "$D/summary.json" | grep -o '[a-z]*$'; }

run power-payment-normal
check "payment, normal: expectations met (no_phantom broken): exit 0" test "$RC" -eq 0
check "payment, normal: one power cut on payment, keep none" \
  grep -q '"ev":"power_cut","node":"payment","life":1,"fault":1,"keep":"none"' "$D/trace.jsonl"
check "payment, normal: it lost WAL writes ($(num writes_lost))" test "$(num writes_lost)" -gt 0
check "payment, normal: the -wal is named in its files" \
  bash -c "grep '\"ev\":\"power_cut\"' '$D/trace.jsonl' | grep -q '\"path\":\"payment.db-wal\",\"writes_lost\":[1-9]'"
check "payment, normal: no_phantom broken" test "$(inv no_phantom)" = false
check "payment, normal: durability holds: the lost OKs are indefinite" test "$(inv durability)" = true
check "payment, normal: the phantoms' cause names the power cut that took their commits" \
  grep -q 'then a power cut at payment (line [0-9]*) took the commit back' "$D/summary.json"
check "payment, normal: summary.json counts the cut and $(num indefinite) indefinite OKs" \
  grep -q "\"power_cuts\": 1, \"client_indefinite\": $(num indefinite)," "$D/summary.json"
check "payment, normal: the crash line comes first, the power_cut right after it" \
  bash -c "grep -A1 '\"ev\":\"crash\",\"node\":\"payment\"' '$D/trace.jsonl' | grep -q power_cut"

for name in power-payment-full power-payment-durable-send; do
  run $name
  check "$name: every invariant holds: exit 0" test "$RC" -eq 0
  check "$name: no OK became indefinite" test "$(num indefinite)" -eq 0
done
run power-payment-full
check "payment, full: the power cut found nothing unsynced" test "$(num writes_lost)" -eq 0
# durable_send syncs before a send, not at COMMIT: the cut right after the 30th commit
# takes that one back, which nobody had heard of yet.
run power-payment-durable-send
check "payment, durable_send: the cut took back only the unsent commit ($(num writes_lost) writes)" \
  test "$(num writes_lost)" -gt 0

run power-accounting-normal
check "accounting, normal: expectations met (eventual_consistency broken): exit 0" test "$RC" -eq 0
check "accounting, normal: the cut kept a random part" \
  grep -q '"ev":"power_cut","node":"accounting","life":1,"fault":1,"keep":"random"' "$D/trace.jsonl"
check "accounting, normal: PAID payments lost their vouchers" \
  grep -q 'PAID but no voucher' "$D/summary.json"
check "accounting, normal: their cause names the power cut that took the vouchers" \
  grep -q 'then a power cut at accounting (line [0-9]*) took the voucher back' "$D/summary.json"
check "accounting, normal: nothing on payment became indefinite" test "$(num indefinite)" -eq 0
sed 's/^expect .*/expect { all_invariants = true }/' \
  scenarios/power-accounting-normal.lua | sed 's/^scenario {/scenario { knobs = { ["accounting.synchronous"] = "full" },/' \
  >"$OUT/acc-full.lua"
sim run "$OUT/acc-full.lua" --seed 1 --out "$OUT/accf" --quiet
check "accounting on full: the same cut, every invariant holds: exit 0" test $? -eq 0

run power-broker-normal
check "broker, normal, design outbox: the scan republishes: exit 0" test "$RC" -eq 0
check "broker, normal: the cut tore the unsynced writes" \
  grep -q '"ev":"power_cut","node":"broker","life":1,"fault":2,"keep":"torn"' "$D/trace.jsonl"
check "broker, normal: it lost queue writes ($(num writes_lost))" test "$(num writes_lost)" -gt 0
run power-broker-normal --design mark-on-publish
check "broker, normal, mark-on-publish: acknowledged publications lost: exit 1" test "$RC" -eq 1
check "broker, normal, mark-on-publish: eventual_consistency broken" \
  test "$(inv eventual_consistency)" = false
# shrink keeps the power loss a power loss, and writes it back as one
timeout -k 5 300 "$SIM" shrink "$D" -j 2 --out "$OUT/shrunk.lua" >"$OUT/shrink.out" 2>&1
check "shrink of a power-loss run: exit 0" test $? -eq 0
check "shrink writes the power loss back as power_loss{}, keep and all" \
  grep -q '^power_loss { node = "broker", at = [0-9.]*, keep = "torn"' "$OUT/shrunk.lua"
run power-broker-full --design mark-on-publish
check "broker, full, mark-on-publish: nothing accepted is lost: exit 0" test "$RC" -eq 0
check "broker, full: the power cut found nothing unsynced" test "$(num writes_lost)" -eq 0

# The nemesis draws power losses when asked (power_loss = 1: every crash it draws), and
# a run of them is the same on a rerun.
printf 'scenario { name = "n", workload = { payments = 40, rate = 10 }, run = 10, settle = 30 }\nnemesis { crash_every = 2, power_loss = 1, failpoints = true, swarm = false }\n' \
  >"$OUT/nem.lua"
for r in a b; do sim run "$OUT/nem.lua" --seed 3 --out "$OUT/nem-$r" --quiet; done
check "nemesis with power_loss = 1: power_cut lines, and no crash without one" \
  test "$(grep -c '"ev":"power_cut"' "$OUT/nem-a/nem/3/trace.jsonl")" -eq \
       "$(grep -c '"ev":"crash"' "$OUT/nem-a/nem/3/trace.jsonl")" -a \
       "$(grep -c '"ev":"power_cut"' "$OUT/nem-a/nem/3/trace.jsonl")" -gt 0
check "nemesis with power_loss: a rerun is byte-identical" \
  cmp -s "$OUT/nem-a/nem/3/trace.jsonl" "$OUT/nem-b/nem/3/trace.jsonl"

# A crash{} keeps its meaning: the same point as power-payment-normal, as a crash, holds.
sed 's/^power_loss {\(.*\), keep = "none",/crash {\1,/; s/^expect .*/expect { all_invariants = true }/' \
  scenarios/power-payment-normal.lua >"$OUT/as-crash.lua"
sim run "$OUT/as-crash.lua" --seed 1 --out "$OUT/asc" --quiet
check "the same point as a crash{}: everything holds: exit 0" test $? -eq 0
check "a run without power_loss{} has no simulated disk" \
  bash -c "! ls -d '$OUT'/asc/as-crash/1/*.disk 2>/dev/null | grep -q ."
check "a run with power_loss{} journals each node's disk" \
  test -d "$OUT/power-payment-normal/power-payment-normal/1/broker.disk"

printf 'scenario { name = "t" }\npower_loss { node = "payment", at = 3, keep = "tron" }\n' \
  >"$OUT/bad.lua"
sim run "$OUT/bad.lua" --out "$OUT/bad" --quiet
check "a bad keep: exit 2" test $? -eq 2
check "a bad keep: one line FILE:LINE: what" \
  grep -qx "outbox-sim: $OUT/bad.lua:2: power_loss: unknown keep 'tron' (did you mean 'torn'? keeps: none, random, torn)" \
  "$OUT/last.err"

# The table of settings in docs/design.md is what a fresh run of every cell gives.
OUTBOX_BIN=${OUTBOX_BIN:-bin} scripts/power-matrix.sh --check >"$OUT/pm.out" 2>&1
check "docs/design.md's power-loss table matches a fresh run (scripts/power-matrix.sh)" test $? -eq 0
check "the table says wal+full holds and wal+normal breaks, for payment" \
  grep -q '^| payment | wal | no_phantom | no_phantom | holds | holds |$' docs/design.md

