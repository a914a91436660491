#!/usr/bin/env bash
# tests/system/runout.sh: what `outbox-sim run` prints and where it writes.
#
#   - the reproduce line is a shell command that reproduces the run as printed: it is run
#     through bash from a scenario path with a space in it, and with --node payment= a
#     service binary at a path with a space (the line and summary.json's "nodes" name it);
#   - in the default directory, a run under a design not the scenario's own goes to
#     reports/runs/<scenario>@<design>/<seed>/ and leaves the scenario's own run alone;
#   - --quiet prints nothing on PASS and exactly the verdict and reproduce lines on FAIL;
#   - `run --help` says what every flag of its usage line does.
source "$(dirname "$0")/lib.bash"

RUNS="$OUT/runs"
hash_of() { sed -n 's/.*"hash": "\([^"]*\)".*/\1/p' "$1/summary.json"; }

# ---- reproduce lines are shell-quoted and name --node ------------------------------------

SPACE="$OUT/with space"
mkdir -p "$SPACE"
cp scenarios/pay-queue-loss.lua "$SPACE/it's a scenario.lua"
cp "${OUTBOX_BIN:-bin}/outbox-node" "$SPACE/outbox node"
sim run "$SPACE/it's a scenario.lua" --seed 3 --design direct --out "$RUNS"
check "a scenario path with a space and a quote runs (exit 1 under direct)" [ $? = 1 ]
line=$(sed -n 's/^  reproduce  //p' "$OUT/last.out")
dir="$RUNS/it's a scenario/3"
first=$(hash_of "$dir")
check "its reproduce line quotes the path" grep -qF "'$SPACE/it'\\''s a scenario.lua'" <<<"$line"
check "summary.json's command is the printed line" grep -qF "\"command\": \"$(sed 's/\\/\\\\/g' <<<"$line")\"" "$dir/summary.json"
check "summary.json says no role runs another implementation" grep -q '"nodes": {}' "$dir/summary.json"
rm -rf "$dir"
bash -c "$line --out '$RUNS'" >/dev/null 2>&1
check "the reproduce line, run by bash, gives the same trace" [ "$(hash_of "$dir")" = "$first" ]

sim run scenarios/clean.lua --seed 2 --out "$RUNS" --node "payment=$SPACE/outbox node"
check "a run with --node payment=PATH passes" [ $? = 0 ]
line=$(sed -n 's/^  reproduce  //p' "$OUT/last.out")
check "its reproduce line ends with the --node flag, quoted" \
  grep -qF " --node 'payment=$SPACE/outbox node'" <<<"$line"
check "summary.json names the role's implementation" \
  grep -qF "\"nodes\": {\"payment\": \"$SPACE/outbox node\"}" "$RUNS/clean/2/summary.json"
first=$(hash_of "$RUNS/clean/2")
rm -rf "$RUNS/clean/2"
bash -c "$line --out '$RUNS'" >/dev/null 2>&1
check "the line with its override reproduces the run" [ "$(hash_of "$RUNS/clean/2")" = "$first" ]

# ---- a weaker design does not overwrite the scenario's own run ------------------------------

# In the default directory (reports/runs, under a scratch working directory).
WORK="$OUT/work"
mkdir -p "$WORK"
ln -sfn "$PWD/scenarios" "$WORK/scenarios"
SIMABS=$(cd "$(dirname "$SIM")" && pwd)/$(basename "$SIM")
D="$WORK/reports/runs"
(cd "$WORK" && "$SIMABS" run scenarios/pay-queue-loss.lua --seed 1 >/dev/null 2>&1)
check "pay-queue-loss passes under its own design" [ $? = 0 ]
(cd "$WORK" && "$SIMABS" run scenarios/pay-queue-loss.lua --seed 1 --design outbox-no-recovery >"$OUT/weak.out" 2>&1)
check "... and fails under outbox-no-recovery" [ $? = 1 ]
check "the weak run is in reports/runs/pay-queue-loss@outbox-no-recovery/1/" \
  grep -q '"design": "outbox-no-recovery"' "$D/pay-queue-loss@outbox-no-recovery/1/summary.json"
check "the scenario's own run is still there, still a pass" \
  grep -q '"verdict": "pass"' "$D/pay-queue-loss/1/summary.json"
check "the summary names the weak run's directory" \
  grep -q "files      reports/runs/pay-queue-loss@outbox-no-recovery/1/" "$OUT/weak.out"
(cd "$WORK" && "$SIMABS" run scenarios/pay-queue-loss.lua --seed 1 --design outbox --quiet)
check "--design naming the scenario's own design keeps the plain directory" \
  [ ! -e "$D/pay-queue-loss@outbox" ]
# --out DIR is the caller's to lay out (sweep, matrix, explore, the classroom): unchanged.
sim run scenarios/pay-queue-loss.lua --seed 1 --design outbox-no-recovery --out "$RUNS" --quiet
check "with --out DIR the run goes to DIR/<scenario>/<seed>/" \
  grep -q '"design": "outbox-no-recovery"' "$RUNS/pay-queue-loss/1/summary.json"

# ---- --quiet -----------------------------------------------------------------------------

sim run scenarios/clean.lua --seed 1 --out "$RUNS" --quiet
check "--quiet prints nothing on PASS" [ ! -s "$OUT/last.out" ]
sim run scenarios/pay-queue-loss.lua --seed 1 --design direct --out "$RUNS" --quiet
check "--quiet on FAIL exits 1" [ $? = 1 ]
check "--quiet on FAIL prints two lines" [ "$(wc -l <"$OUT/last.out")" = 2 ]
check "... the verdict" grep -q '^  verdict    FAIL: eventual_consistency broken' "$OUT/last.out"
check "... and the reproduce line" grep -q '^  reproduce  .*outbox-sim run scenarios/pay-queue-loss.lua --seed 1 --design direct$' "$OUT/last.out"

# ---- run --help: one line per flag, saying what it does -------------------------------------

"$SIM" run --help >"$OUT/help.out" 2>&1
check "run --help exits 0" [ $? = 0 ]
flags=$(sed -n '1,2p' "$OUT/help.out" | grep -o '\-\-[a-z]*' | sort -u)
check "run --help's usage names flags" [ -n "$flags" ]
for f in $flags; do
  check "run --help says what $f does" grep -qE "^  $f( [A-Z]+)? +[a-z]" "$OUT/help.out"
done

check "no leftovers" leftovers "$OUT"
