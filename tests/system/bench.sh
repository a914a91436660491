#!/usr/bin/env bash
# bench.sh: the benchmark suite runs (make bench, bench/run.sh), in its quick mode.
#
# BENCH_QUICK=1 runs every benchmark on tiny sizes in seconds; this test checks that
# the suite finishes, writes its JSON with every figure and its reference present and
# positive, prints its table, and leaves nothing behind.  It never looks at how fast
# anything was: timings belong to `make bench`, not to tests.
source "$(dirname "$0")/lib.bash"

make --no-print-directory -s bench-tools >"$OUT/make.log" 2>&1
check "the bench programs build (make bench-tools)" test $? -eq 0

json=$OUT/bench.json
mkdir -p "$OUT/scratch"
TMPDIR=$OUT/scratch BENCH_QUICK=1 BENCH_JSON=$json timeout -k 5 300 bench/run.sh >"$OUT/bench.out" 2>&1
rc=$?
check "bench/run.sh in quick mode exits 0" test $rc -eq 0
[ $rc -eq 0 ] || tail -n 20 "$OUT/bench.out" | sed 's/^/# /'
check "it wrote the JSON" test -s "$json"

# block ID: the JSON object of one benchmark (from its id to its ratio line)
block() { sed -n "/\"id\": \"$1\"/,/\"ratio\":/p" "$json"; }
# positive NUMBER: a number > 0
positive() { awk -v x="$1" 'BEGIN { exit !(x + 0 > 0) }'; }
figure_ok() {
  local b v r
  b=$(block "$1")
  [ -n "$b" ] || return 1
  v=$(grep -o '^ *"value": [-0-9.e+]*' <<<"$b" | head -n1 | sed 's/.*: //')
  r=$(grep -o '"reference": {.*"value": [-0-9.e+]*' <<<"$b" | sed 's/.*"value": //')
  grep -q '"measures": "[^"]' <<<"$b" && positive "$v" && positive "$r"
}
for id in sim_events_per_second sim_batching sim_speedup_issue6 sim_vfs_cost sim_vfs_cost_cpu sim_virtual_per_wall_second sim_peak_rss_long_run \
          history_checks_long_run history_checks_long_run_cpu \
          sweep_seeds_per_minute live_payments_per_second live_vouchers_per_second live_group_commit \
          relay_scan_1000_rows relay_scan_3000_rows relay_scan_10000_rows relay_scan_growth \
          ordered_payments_per_second sim_relays_1 sim_relays_2 sim_relays_4 sim_relays_8 \
          relay_backlog_1 relay_backlog_2 relay_backlog_4 relay_backlog_8 \
          sim_consumers_1 sim_consumers_2 sim_consumers_4 sim_consumers_1_vsec sim_consumers_2_vsec sim_consumers_4_vsec; do
  check "bench.json: $id has what it measures, a value and a reference, both > 0" figure_ok "$id"
done
check "bench.json: live_completion_delete has what it measures, a value and a reference, both > 0" \
    figure_ok live_completion_delete
for id in sim_text_encoding sim_text_encoding_cpu sim_python_services sim_python_disk sim_bad_deploy; do
  check "bench.json: $id has what it measures, a value and a reference, both > 0" figure_ok "$id"
done

n_ids=$(grep -c '"id": ' "$json")
n_pos=0
while read -r id; do figure_ok "$id" && n_pos=$((n_pos + 1)); done < <(sed -n 's/.*"id": "\([^"]*\)".*/\1/p' "$json")
check "bench.json: all $n_ids figures have a positive value and reference" test "$n_ids" -gt 0 -a "$n_pos" -eq "$n_ids"
if command -v python3 >/dev/null; then
  check "bench.json parses as JSON" python3 -c "import json, sys; json.load(open(sys.argv[1]))" "$json"
fi
check "bench.json: the VFS pairs ran in both orders and gave the same trace" \
  grep -q '"pairs": 2, "same_trace": true' "$json"
check "bench.json names the machine" grep -q '"machine": {"nproc": [1-9]' "$json"
check "the terminal shows the summary table" grep -q '^bench: summary' "$OUT/bench.out"
check "each benchmark says what it measures" test "$(grep -c '^    measures: ' "$OUT/bench.out")" -eq "$n_ids"

no_scratch() { [ -z "$(ls -A "$OUT/scratch")" ]; }
check "no scratch files left behind" no_scratch
# pgrep in this shell: a `bash -c "pgrep ..."` would match its own command line.
no_daemons() { ! pgrep -f "outbox-node.*$OUT/scratch" >/dev/null; }
check "no daemon or service process left behind" no_daemons
