#!/usr/bin/env bash
# tests/system/jsonnode.sh: the text encoding of the node protocol (docs/protocol.md, "The
# text encoding"; proto/stepjson.h), `--node ROLE=json:COMMAND`.
#
#   - the same run, byte for byte: for scenarios that crash, restart, fault the disk, cut
#     the power, duplicate, corrupt and pause, with relays, the trace with every role on
#     json:bin/outbox-node (bin/outbox-node --sim-stdio), and with roles mixed, is the
#     default run's; summary.json's "nodes" and the reproduce line keep the json: prefix,
#     and the reproduce line runs the text encoding again;
#   - a node that breaks the text encoding (tests/tools/badjsonnode.py: a line that is
#     not JSON, a line over the bound, an unknown value, an exit mid-step, half a line, a
#     line twice, silence, a failed disk call on no known file) is one line naming the node and the line, and exit 3, with
#     nothing left running;
#   - bad values of the prefix (json: alone, json: and a missing file) are one line, exit 2;
#     a file named json:... is given as ./json:... and runs binary;
#   - bin/outbox-node --sim-stdio answers a STEP line on its stdin with a REPLY line on its
#     stdout, and refuses a line that does not translate.
source "$(dirname "$0")/lib.bash"

NODE=$(cd "$(dirname "${OUTBOX_BIN:-bin}/outbox-node")" && pwd)/outbox-node
ALL=(--node "payment=json:$NODE" --node "broker=json:$NODE" --node "accounting=json:$NODE"
     --node "relay=json:$NODE")
trace() { echo "$OUT/$1/$2/1/trace.jsonl"; }

# ---- the same run, byte for byte ------------------------------------------------------------
for sc in crash-after-commit crash-after-apply disk-eio-mid-commit disk-start-payment \
          power-payment-normal duplicate-delivery corrupt-frames pause-past-visibility \
          relays-lease broker-crash-durable; do
  sim run "scenarios/$sc.lua" --seed 1 --out "$OUT/bin"
  rb=$?
  sim run "scenarios/$sc.lua" --seed 1 --out "$OUT/json" "${ALL[@]}"
  rj=$?
  check "$sc: every role on the text encoding exits as the default run ($rb)" [ "$rj" = "$rb" ]
  check "$sc: ... and its trace is the default run's, byte for byte" \
    cmp -s "$(trace bin "$sc")" "$(trace json "$sc")"
done
# Mixed: a text payment and accounting talk to a binary broker, and the other way round.
for sc in crash-after-consumed corrupt-frames; do
  sim run "scenarios/$sc.lua" --seed 2 --out "$OUT/bin2"
  sim run "scenarios/$sc.lua" --seed 2 --out "$OUT/mixa" --node "payment=json:$NODE" \
    --node "accounting=json:$NODE"
  check "$sc: payment and accounting on text, the broker binary: the same trace" \
    cmp -s "$OUT/bin2/$sc/2/trace.jsonl" "$OUT/mixa/$sc/2/trace.jsonl"
  sim run "scenarios/$sc.lua" --seed 2 --out "$OUT/mixb" --node "broker=json:$NODE"
  check "$sc: the broker on text, the others binary: the same trace" \
    cmp -s "$OUT/bin2/$sc/2/trace.jsonl" "$OUT/mixb/$sc/2/trace.jsonl"
done
S="$OUT/mixb/corrupt-frames/2/summary.json"
check "summary.json's nodes keep the json: prefix" \
  grep -qF "\"nodes\": {\"broker\": \"json:$NODE\"}" "$S"
line=$(sed -n 's/^  reproduce  //p' "$OUT/last.out")
check "the reproduce line names --node broker=json:..." grep -qF "broker=json:$NODE" <<<"$line"
bash -c "$line --out '$OUT/again'" >/dev/null 2>&1
check "... and, run by bash, gives the same trace" \
  cmp -s "$OUT/again/corrupt-frames/2/trace.jsonl" "$OUT/mixb/corrupt-frames/2/trace.jsonl"
check "no node is left running" leftovers "$OUT/"

# ---- a node that breaks the text encoding ---------------------------------------------------
BAD=tests/tools/badjsonnode.py
bad() {   # bad MODE WHAT-THE-LINE-SAYS
  BAD_NODE=$1 sim run scenarios/crash-after-commit.lua --seed 1 --out "$OUT/bad-$1" \
    --node "payment=json:$BAD"
  local rc=$?
  check "$1: exit 3 (a harness error)" [ "$rc" = 3 ]
  check "$1: one line on stderr" [ "$(wc -l <"$OUT/last.err")" = 1 ]
  check "$1: it says: $2" grep -qF "harness error: payment $2" "$OUT/last.err"
}
bad garbage "sent a malformed reply line 2: not JSON:"
bad long "sent a reply line 2 over 2097152 bytes"
bad unknown 'sent a malformed reply line 2: sections[0]: "status": unknown value "DONE"'
bad exit "closed its output before it answered: it exited with status 0"
bad partial "closed its output inside a reply line: it exited with status 1"
bad twice "wrote more after its reply line 2"
bad stray "sent a malformed reply line 2: not JSON"
bad silent "did not answer a step within 30000 ms"
bad diskfile "failed a disk call on an unknown file in 'disk.write.eio@floppy'"
check "no bad node is left running" leftovers "$OUT/"

# ---- bad values of the prefix ---------------------------------------------------------------
sim run scenarios/clean.lua --out "$OUT/flag" --node payment=json:
check "--node payment=json: is exit 2" [ $? = 2 ]
check "... saying the COMMAND is empty" grep -q "empty COMMAND" "$OUT/last.err"
sim run scenarios/clean.lua --out "$OUT/flag" --node "payment=json:$OUT/no-such-node"
check "--node payment=json:MISSING is exit 2" [ $? = 2 ]
check "... in one line" [ "$(wc -l <"$OUT/last.err")" = 1 ]
check "... leaving no run directory" [ ! -e "$OUT/flag" ]

# A file whose name starts with json: is named ./json:...: the binary encoding.
mkdir -p "$OUT/named"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$NODE" >"$OUT/named/json:node"
chmod +x "$OUT/named/json:node"
ABS_SIM=$(cd "$(dirname "$SIM")" && pwd)/outbox-sim
(cd "$OUT/named" && timeout -k 5 300 "$ABS_SIM" run "$OLDPWD/scenarios/clean.lua" --seed 1 \
  --out "$OUT/named/runs" --node payment=./json:node --quiet >/dev/null 2>&1)
check "--node payment=./json:node runs the file json:node (binary), exit 0" [ $? = 0 ]
check "... and summary.json names it without a prefix" \
  grep -qF "\"nodes\": {\"payment\": \"$OUT/named/json:node\"}" "$OUT/named/runs/clean/1/summary.json"

# ---- the node side alone --------------------------------------------------------------------
N="$OUT/alone"
mkdir -p "$N"
printf '%s\n' '{"v":3,"steps":[{"seq":1,"kind":"START","vtime_us":0,"clock_us":1700000000000000}]}' \
  '{"v":3,"steps":[{"seq":2,"kind":"STOP","vtime_us":5,"clock_us":1700000000000005}]}' |
  FAKETIME=1700000000.000000 timeout 20 "$NODE" --role accounting --db "$N/acc.db" --sim-stdio \
  >"$N/out" 2>"$N/err"
check "--sim-stdio: exit 0 after STOP" [ $? = 0 ]
check "--sim-stdio: two REPLY lines on stdout" [ "$(wc -l <"$N/out")" = 2 ]
check "--sim-stdio: START answered with its recover note" grep -qF \
  '{"v":3,"sections":[{"seq":1,"status":"OK","effects":[{"type":"NOTE","kind":"recover",' "$N/out"
check "--sim-stdio: STOP answered" grep -qxF \
  '{"v":3,"sections":[{"seq":2,"status":"OK","effects":[]}]}' "$N/out"
echo '{"v":3,"steps":[{"seq":1,"kind":"START","vtime_us":0}]}' |
  FAKETIME=1700000000.000000 timeout 20 "$NODE" --role accounting --db "$N/acc2.db" --sim-stdio \
  >"$N/out" 2>"$N/err"
check "--sim-stdio: a step line that does not translate: exit 3" [ $? = 3 ]
check "... with a FATAL reply naming what is wrong" grep -qF \
  '"status":"FATAL","effects":[{"type":"NOTE","kind":"fatal","detail":"malformed step line: steps[0]: missing key \"clock_us\""}' "$N/out"
