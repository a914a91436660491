#!/usr/bin/env bash
# tests/system/nodeflag.sh: `--node ROLE=COMMAND` (sim/tools/nodeflag.h), the way a
# foreign implementation of a role is put under the simulator (docs/protocol.md).
#
#   - a run with --node payment=<a wrapper script around the real bin/outbox-node> starts
#     payment (and every restart of it) through the wrapper and the other roles without
#     it; its trace is the default run's byte for byte; summary.json's "nodes" and the
#     reproduce line name the wrapper, and the reproduce line, run by bash, reproduces it;
#   - mixed roles: payment and accounting through two wrappers, the broker not;
#   - matrix, explore and shrink hand the flag to their child runs and print it in the
#     lines that reproduce them;
#   - bad values (unknown role, no '=', empty command, no such file, a directory, a file
#     not executable, a role twice, the old OUTBOX_NODE variable) are one line and exit 2,
#     with no run directory left behind;
#   - a command that exists but does not speak the protocol is a harness error (exit 3),
#     not a verdict.
source "$(dirname "$0")/lib.bash"

NODE=$(cd "$(dirname "${OUTBOX_BIN:-bin}/outbox-node")" && pwd)/outbox-node
W="$OUT/wrappers with space"
mkdir -p "$W"
# A wrapper that records each start (its role) and runs the real node.
wrapper() {   # wrapper NAME LOG
  printf '#!/bin/sh\necho "$*" >>"%s"\nexec "%s" "$@"\n' "$2" "$NODE" >"$W/$1"
  chmod +x "$W/$1"
}
wrapper pay "$OUT/pay.log"
wrapper acc "$OUT/acc.log"
hash_of() { sed -n 's/.*"hash": "\([^"]*\)".*/\1/p' "$1/summary.json"; }
starts() { grep -c -- "--role $2 " "$1" 2>/dev/null || echo 0; }

# ---- run: one role through a wrapper, same trace as the default ----------------------------
SC=scenarios/crash-after-commit.lua   # payment crashes twice: its restarts go through --node too
sim run "$SC" --seed 1 --out "$OUT/def"
check "the default run passes" [ $? = 0 ]
sim run "$SC" --seed 1 --out "$OUT/pay" --node "payment=$W/pay"
check "the run with --node payment=WRAPPER passes" [ $? = 0 ]
check "the wrapper started payment three times (a start and two restarts)" \
  [ "$(starts "$OUT/pay.log" payment)" = 3 ]
check "... and nothing else" [ "$(wc -l <"$OUT/pay.log")" = 3 ]
check "the trace is the default run's, byte for byte" \
  cmp -s "$OUT/def/crash-after-commit/1/trace.jsonl" "$OUT/pay/crash-after-commit/1/trace.jsonl"
S="$OUT/pay/crash-after-commit/1/summary.json"
check "summary.json's nodes name the wrapper for payment only" \
  grep -qF "\"nodes\": {\"payment\": \"$W/pay\"}" "$S"
check "the default run's summary.json has no nodes" \
  grep -qF '"nodes": {}' "$OUT/def/crash-after-commit/1/summary.json"
line=$(sed -n 's/^  reproduce  //p' "$OUT/last.out")
check "the reproduce line names --node, quoted" grep -qF " --node 'payment=$W/pay'" <<<"$line"
check "summary.json's command is the reproduce line" \
  grep -qF "\"command\": \"$(sed 's/\\/\\\\/g' <<<"$line")\"" "$S"
first=$(hash_of "$OUT/pay/crash-after-commit/1")
: >"$OUT/pay.log"
bash -c "$line --out '$OUT/again'" >/dev/null 2>&1
check "the reproduce line, run by bash, runs the wrapper again" \
  [ "$(starts "$OUT/pay.log" payment)" = 3 ]
check "... and gives the same trace" [ "$(hash_of "$OUT/again/crash-after-commit/1")" = "$first" ]

# ---- mixed: payment and accounting foreign, the broker ours --------------------------------
: >"$OUT/pay.log"
sim run scenarios/clean.lua --seed 3 --out "$OUT/mix" --node "accounting=$W/acc" \
  --node="payment=$W/pay"
check "a run with two roles through wrappers passes" [ $? = 0 ]
check "payment went through its wrapper" [ "$(starts "$OUT/pay.log" payment)" = 1 ]
check "accounting through its own" [ "$(starts "$OUT/acc.log" accounting)" = 1 ]
check "summary.json names both, in role order" \
  grep -qF "\"nodes\": {\"payment\": \"$W/pay\", \"accounting\": \"$W/acc\"}" \
  "$OUT/mix/clean/3/summary.json"
line=$(sed -n 's/^  reproduce  //p' "$OUT/last.out")
check "the reproduce line names both, payment first" \
  grep -qF " --node 'payment=$W/pay' --node 'accounting=$W/acc'" <<<"$line"

# ---- matrix, explore, shrink pass it to their runs -----------------------------------------
: >"$OUT/pay.log"
sim matrix scenarios/clean.lua --seeds 1 -j 2 --out "$OUT/mx" --node "payment=$W/pay"
check "matrix with --node runs" [ $? = 0 ]
nruns=$(sed -n 's/^matrix: .*: \([0-9]*\) runs in .*/\1/p' "$OUT/last.out")
check "every run of the matrix started payment through the wrapper" \
  [ "$(starts "$OUT/pay.log" payment)" = "$nruns" -a "${nruns:-0}" -gt 1 ]
check "matrix.json's commands name --node, and no empty design word" \
  [ "$(grep -c -- "--node 'payment=$W/pay'\"" "$OUT/mx/matrix.json")" = "$nruns" -a \
    "$(grep -c "''" "$OUT/mx/matrix.json")" = 0 ]
: >"$OUT/pay.log"
sim explore scenarios/crash-after-commit.lua --max-variants 3 -j 2 --out "$OUT/ex" \
  --node "payment=$W/pay"
rc=$?
check "explore with --node runs (exit 0 or 1)" [ $rc -le 1 ]
check "explore's runs went through the wrapper" [ "$(starts "$OUT/pay.log" payment)" -ge 4 ]
sim run scenarios/pay-queue-loss.lua --seed 1 --design direct --out "$OUT/sh" \
  --node "payment=$W/pay"
check "a failing run under --node (direct design)" [ $? = 1 ]
sim shrink "$OUT/sh/pay-queue-loss/1" --out "$OUT/shrunk.lua" --max-runs 20 -j 2 \
  --node "payment=$W/pay"
check "shrink with --node runs" [ $? -le 1 ]
check "shrink's reproduce line names --node" \
  grep -qF "reproduce ${SIM} run $OUT/shrunk.lua --seed 1 --node 'payment=$W/pay'" "$OUT/last.out"
sim shrink "$OUT/sh/pay-queue-loss/1" --out "$OUT/shrunk2.lua" --max-runs 20 -j 2
check "shrink without the run's --node: exit 2" [ $? = 2 ]
check "... one line saying which role ran what" \
  [ "$(wc -l <"$OUT/last.err")" = 1 -a "$(grep -c "ran $W/pay as payment" "$OUT/last.err")" = 1 ]
check "... and no scenario written" [ ! -e "$OUT/shrunk2.lua" ]

# ---- bad values: one line, exit 2, nothing left behind -------------------------------------
touch "$OUT/plain"
bad() {   # bad WHAT ARGS...: a run with these flags is refused
  local what=$1; shift
  timeout 60 "$SIM" run scenarios/clean.lua --out "$OUT/bad" "$@" >"$OUT/b.out" 2>"$OUT/b.err"
  local rc=$?
  check "$what: exit 2" [ $rc = 2 ]
  check "$what: one line on stderr naming --node" \
    [ "$(wc -l <"$OUT/b.err")" = 1 -a "$(grep -c -- '--node\|OUTBOX_NODE' "$OUT/b.err")" = 1 ]
  check "$what: no run directory" [ ! -e "$OUT/bad" ]
}
bad "an unknown role" --node "ledger=$W/pay"
bad "no '='" --node payment
bad "no value" --node
bad "an empty command" --node payment=
bad "no such file" --node "payment=$OUT/nope"
bad "a directory" --node "payment=$W"
bad "a file not executable" --node "payment=$OUT/plain"
bad "a role given twice" --node "payment=$W/pay" --node "payment=$W/acc"
OUTBOX_NODE="$NODE" bad "the old OUTBOX_NODE variable"
grep -q "no such executable in PATH" <("$SIM" run scenarios/clean.lua --node payment=no-such-node-x 2>&1)
check "a bare name is looked up in PATH, and said so when absent" [ $? = 0 ]
timeout 60 "$SIM" sweep scenarios/clean.lua --seeds 1 --node "broker=$OUT/nope" >/dev/null 2>&1
check "sweep refuses a bad --node too (exit 2)" [ $? = 2 ]

# ---- a program that is not a node is a harness error ---------------------------------------
sim run scenarios/clean.lua --seed 1 --out "$OUT/true" --node payment=/bin/true
check "--node payment=/bin/true: exit 3 (harness error), not a verdict" [ $? = 3 ]
check "... and says so" grep -q "harness error" "$OUT/last.err"
