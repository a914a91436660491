#!/usr/bin/env bash
# bench/run.sh: the benchmark suite of outbox-lab (`make bench`; docs/performance.md).
#
# Every figure is measured next to its reference, in the same run on the same machine,
# so that their ratio holds when the machine's speed drifts (shared CI machines do).
# Each benchmark says what it measures as it runs; at the end a table, and the same in
# JSON for machines.  Timings are never judged here: the targets are printed beside
# the ratios, for people.
#
# Environment:
#   BENCH_QUICK=1   tiny sizes (seconds in all; the figures mean nothing): for
#                   tests/system/bench.sh, which checks that the suite runs
#   BENCH_JSON      where the JSON goes (default reports/bench.json)
#   OUTBOX_BIN      the binaries (default bin); BUILD the bench programs' build dir
#                   (default build: build/bench/)
# Exit: 0 every benchmark ran; 1 one failed (it says which and why); 2 bad setup.
set -u
cd "$(dirname "$0")/.." || exit 2
root=$(pwd)
BIN=${OUTBOX_BIN:-bin}
case "$BIN" in /*) ;; *) BIN="$root/$BIN" ;; esac
TOOLS=${BUILD:-build}/bench
case "$TOOLS" in /*) ;; *) TOOLS="$root/$TOOLS" ;; esac
JSON=${BENCH_JSON:-reports/bench.json}
QUICK=${BENCH_QUICK:-0}
SIM="$BIN/outbox-sim"
NODE="$BIN/outbox-node"

for f in "$SIM" "$NODE" "$TOOLS/zmq_rtt" "$TOOLS/sqlite_tx" "$TOOLS/live_client" "$TOOLS/scan_bench"; do
  [ -x "$f" ] || { echo "bench: $f is not built (run make bench-tools)" >&2; exit 2; }
done
HCHECK=${BUILD:-build}/tools/history-check
case "$HCHECK" in /*) ;; *) HCHECK="$root/$HCHECK" ;; esac
[ -x "$HCHECK" ] || { echo "bench: $HCHECK is not built (run make unit)" >&2; exit 2; }
[ -f "$TOOLS/rss_probe.so" ] || { echo "bench: $TOOLS/rss_probe.so is not built (run make bench-tools)" >&2; exit 2; }

# ---- sizes ----------------------------------------------------------------------------
if [ "$QUICK" = 1 ]; then
  REPS=1 ZMQ_N=2000 TX_N=2000 LIVE_N=200 SCAN_ROWS="1000,3000,10000" SCAN_BUDGET=0.05
  VFS_PAIRS=2   # both orders of a pair (sim_pairs: ABBA)
  SWEEP_SEEDS=2 SWEEP_SEEDS_J1=1
else
  REPS=3 ZMQ_N=20000 TX_N=20000 LIVE_N=20000 SCAN_ROWS="1000,100000,1000000" SCAN_BUDGET=0.5
  VFS_PAIRS=5
  SWEEP_SEEDS=4 SWEEP_SEEDS_J1=2
fi

# ---- scratch space, and leaving nothing behind ----------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/outbox-bench.XXXXXX") || exit 2
declare -A daemon=()
cleanup() {
  local n
  for n in "${!daemon[@]}"; do
    kill -9 "${daemon[$n]}" 2>/dev/null
    wait "${daemon[$n]}" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 1' INT TERM

die() { echo "bench: FAILED: $*" >&2; exit 1; }

# ---- numbers ---------------------------------------------------------------------------
now() { echo "$EPOCHREALTIME"; }
calc() { awk "BEGIN { printf \"%.6g\", $* }"; }
# for people: whole numbers from 100 up, else three significant digits
fmt() { awk -v x="$1" 'BEGIN { a = x < 0 ? -x : x; if (a >= 100) printf "%.0f", x; else printf "%.3g", x }'; }
# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# field KEY of a "k=v k=v" line
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -n1; }
# a number from summary.json: jnum FILE KEY (first occurrence of "KEY": number)
jnum() { grep -o "\"$2\": *[0-9.]*" "$1" | head -n1 | sed 's/.*: *//'; }
jstr() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
# wrap PREFIX TEXT: TEXT folded to 80 columns, each line after the first indented
wrap() { printf '%s\n' "$2" | fold -s -w 80 | sed "1s/^/$1/; 2,\$s/^/$(printf '%*s' ${#1} '')/"; }
fstype() { findmnt -n -o FSTYPE --target "$1" 2>/dev/null || stat -f -c %T "$1" 2>/dev/null || echo unknown; }

# ---- the results ------------------------------------------------------------------------
entries=()     # JSON objects
rows=()        # table rows: title|value unit|reference unit|ratio|target
n_bench=0

# record ID TITLE MEASURES VALUE UNIT REF_TITLE REF_VALUE REF_UNIT TARGET [EXTRA_JSON]
record() {
  local id=$1 title=$2 measures=$3 value=$4 unit=$5 rtitle=$6 rvalue=$7 runit=$8 target=$9 extra=${10:-}
  local ratio details=""
  ratio=$(calc "$value / $rvalue")
  [ -n "$extra" ] && details=$(printf ',\n     "details": {%s}' "$extra")
  n_bench=$((n_bench + 1))
  printf '\n[%d] %s\n' "$n_bench" "$title"
  wrap '    measures:  ' "$measures"
  printf '    figure:    %s %s\n' "$(fmt "$value")" "$unit"
  wrap '    reference: ' "$(fmt "$rvalue") $runit: $rtitle"
  printf '    ratio:     %s   target: %s\n' "$(fmt "$ratio")" "$target"
  entries+=("$(printf '    {"id": "%s", "title": "%s", "measures": "%s",\n     "value": %s, "unit": "%s",\n     "reference": {"title": "%s", "value": %s, "unit": "%s"},\n     "ratio": %s, "target": "%s"%s}' \
    "$id" "$(jstr "$title")" "$(jstr "$measures")" "$value" "$(jstr "$unit")" \
    "$(jstr "$rtitle")" "$rvalue" "$(jstr "$runit")" "$ratio" "$(jstr "$target")" "$details")")
  rows+=("$id|$(fmt "$value") $unit|$(fmt "$rvalue") $runit|$(fmt "$ratio")|$target")
}

# ---- the machine --------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
ncpu=$(nproc)
kernel=$(uname -r)
tmpfs_type=$(fstype "$tmp")
echo "bench: $ncpu CPUs ($cpu), Linux $kernel; scratch space $tmp ($tmpfs_type)$([ "$QUICK" = 1 ] && echo '; QUICK mode: tiny sizes, figures meaningless')"

# ---- ZeroMQ round trips (the simulator's reference) ---------------------------------------
# (Functions that may fail set globals: a die inside $(...) would only end a subshell.)
zmq_rate() {   # zmq_rate [--pin]: median rate of REPS runs, in zmq_result
  local r=() i line
  for ((i = 0; i < REPS; i++)); do
    line=$("$TOOLS/zmq_rtt" --count "$ZMQ_N" --size 100 "$@") || die "zmq_rtt $* failed"
    r+=("$(field rate "$line")")
  done
  zmq_result=$(median "${r[@]}")
}

# ---- the simulator ---------------------------------------------------------------------------
# The scenarios: bench/standard.lua and bench/long.lua, or tiny ones in QUICK mode.
if [ "$QUICK" = 1 ]; then
  STD="$tmp/standard.lua" LONG="$tmp/long.lua"
  cat >"$STD" <<'LUA'
scenario { name = "bench quick", workload = { payments = 100, rate = 50 }, run = 3, settle = 10,
           knobs = { max_attempts = 30 } }
drop { p = 0.05 }
duplicate { p = 0.02 }
crash { node = "payment", at = 0.5, restart_after = 0.2 }
crash { node = "broker", at = 1.0, restart_after = 0.2 }
crash { node = "accounting", at = 1.5, restart_after = 0.2 }
LUA
  cat >"$LONG" <<'LUA'
scenario { name = "bench quick x10", workload = { payments = 1000, rate = 50 }, run = 30, settle = 100,
           knobs = { max_attempts = 30 } }
drop { p = 0.05 }
duplicate { p = 0.02 }
for k = 0, 9 do
  crash { node = "payment", at = 3 * k + 0.5, restart_after = 0.2 }
  crash { node = "broker", at = 3 * k + 1.0, restart_after = 0.2 }
  crash { node = "accounting", at = 3 * k + 1.5, restart_after = 0.2 }
end
LUA
else
  STD="$root/bench/standard.lua" LONG="$root/bench/long.lua"
fi
# The long scenario's knobs, for the history checks run alone on its trace (as node_args
# passes them to the services).
if [ "$QUICK" = 1 ]; then LONG_KNOBS="max_attempts=30"
else LONG_KNOBS="retry=linear retry_base=2 retry_max=10 max_attempts=30"; fi

# sim_run TAG SCENARIO [ENV=VALUE...]: one `outbox-sim run`, seed 1, under the RSS probe.
# Sets: run_wall run_cpu run_steps run_rt run_vsec run_rss run_rss_children run_dir
# run_hash run_verdict.  run_cpu: user + system CPU seconds of the simulator and of every
# process it reaped (its services and their ZeroMQ threads: bash's `time`, from
# getrusage(RUSAGE_CHILDREN)), which a busy machine inflates far less than wall time.
sim_run() {
  local tag=$1 sc=$2; shift 2
  local out="$tmp/runs-$tag" rss="$tmp/rss-$tag.txt" t0 t1 code TIMEFORMAT='%3U %3S'
  rm -rf "$out" "$rss"
  t0=$(now)
  # verify_asan_link_order=0: an ASan build (make asan) refuses a preload otherwise
  { time env "$@" BENCH_RSS_FILE="$rss" LD_PRELOAD="$TOOLS/rss_probe.so" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$SIM" run "$sc" --seed 1 --out "$out" --quiet >"$tmp/sim-$tag.log" 2>&1 ; } 2>"$tmp/time-$tag.txt"
  code=$?
  t1=$(now)
  run_cpu=$(awk 'NF == 2 { printf "%.3f", $1 + $2 }' "$tmp/time-$tag.txt")
  [ -n "$run_cpu" ] || die "no CPU time for $sc ($tag): $(head -c 200 "$tmp/time-$tag.txt")"
  [ "$(calc "($run_cpu > 0)")" = 1 ] || run_cpu=0.001   # below the clock's grain
  [ "$code" = 0 ] || die "outbox-sim run $sc ($tag) exited $code: $(tail -n 3 "$tmp/sim-$tag.log")"
  local summary
  summary=$(find "$out" -name summary.json | head -n1)
  [ -f "$summary" ] || die "no summary.json from $sc ($tag)"
  run_dir=$(dirname "$summary")
  run_wall=$(calc "$t1 - $t0")
  run_steps=$(jnum "$summary" steps)
  run_rt=$(jnum "$summary" round_trips)
  run_vsec=$(calc "$(jnum "$summary" run) + $(jnum "$summary" settle)")
  run_rss=$(field self_kb "$(cat "$rss" 2>/dev/null)")
  run_rss_children=$(field children_kb "$(cat "$rss" 2>/dev/null)")
  run_hash=$(grep -o '"trace": {[^}]*"hash": "[^"]*"' "$summary" | sed 's/.*"hash": "//; s/"$//')
  run_verdict=$(grep -o '"verdict": "[^"]*"' "$summary" | head -n1 | sed 's/.*: "//; s/"$//')
  [ -n "$run_steps" ] && [ -n "$run_rss" ] || die "could not read the figures of $sc ($tag)"
  [ -n "$run_hash" ] && [ -n "$run_verdict" ] || die "no trace hash or verdict from $sc ($tag)"
}

# sim_pairs TAG N [ENV=VALUE...]: N pairs of runs of the standard scenario, each pair
# one run as default and one with ENV, back to back so that both halves of a pair see
# the same weather on a shared machine, the default first in even pairs and second in
# odd ones (ABBA...), so that neither side always runs first.  Medians over the pairs: pair_rate_a/_b (events per
# wall second), pair_cpu_a/_b (events per CPU second, run_cpu), pair_wall_a/_b and
# pair_csec_a/_b (seconds); pair_ratio_wall and pair_ratio_cpu: the median of the pairs'
# own ratios B/A (a slow spell then moves both halves of a pair alike); pair_same_trace
# and pair_same_verdict: 1 if every B run's trace hash and verdict equal its A run's.
sim_pairs() {
  local tag=$1 n=$2; shift 2
  local ra=() rb=() ca=() cb=() wa=() wb=() sa=() sb=() qw=() qc=() i ha va
  pair_same_trace=1 pair_same_verdict=1
  local hb vb half
  for ((i = 0; i < n; i++)); do
    for half in $( ((i % 2 == 0)) && echo "a b" || echo "b a"); do   # ABBA: no side always first
      if [ "$half" = a ]; then
        sim_run "$tag-a$i" "$STD" OUTBOX_SIM_PIN=1
        ra+=("$(calc "$run_steps / $run_wall")") ca+=("$(calc "$run_steps / $run_cpu")")
        wa+=("$run_wall") sa+=("$run_cpu")
        ha=$run_hash va=$run_verdict
      else
        sim_run "$tag-b$i" "$STD" OUTBOX_SIM_PIN=1 "$@"
        rb+=("$(calc "$run_steps / $run_wall")") cb+=("$(calc "$run_steps / $run_cpu")")
        wb+=("$run_wall") sb+=("$run_cpu")
        hb=$run_hash vb=$run_verdict
      fi
      rm -rf "$tmp/runs-$tag-$half$i"
    done
    qw+=("$(calc "${rb[$i]} / ${ra[$i]}")") qc+=("$(calc "${cb[$i]} / ${ca[$i]}")")
    [ "$hb" = "$ha" ] || pair_same_trace=0
    [ "$vb" = "$va" ] || pair_same_verdict=0
  done
  pair_rate_a=$(median "${ra[@]}") pair_rate_b=$(median "${rb[@]}")
  pair_cpu_a=$(median "${ca[@]}") pair_cpu_b=$(median "${cb[@]}")
  pair_wall_a=$(median "${wa[@]}") pair_wall_b=$(median "${wb[@]}")
  pair_csec_a=$(median "${sa[@]}") pair_csec_b=$(median "${sb[@]}")
  pair_ratio_wall=$(median "${qw[@]}") pair_ratio_cpu=$(median "${qc[@]}")
  pair_hash=$ha pair_verdict=$va
}

# sim_config TAG [ENV=VALUE...]: REPS runs of the standard scenario; medians in
# cfg_rate (steps/s), cfg_vps (virtual s per wall s), cfg_wall; peak RSS in cfg_rss.
sim_config() {
  local tag=$1; shift
  local rates=() vps=() walls=() i
  cfg_rss=0
  for ((i = 0; i < REPS; i++)); do
    sim_run "$tag-$i" "$STD" "$@"
    rates+=("$(calc "$run_steps / $run_wall")")
    vps+=("$(calc "$run_vsec / $run_wall")")
    walls+=("$run_wall")
    [ "$run_rss" -gt "$cfg_rss" ] && cfg_rss=$run_rss
    cfg_steps=$run_steps cfg_rt=$run_rt cfg_vsec=$run_vsec cfg_rss_children=$run_rss_children
    rm -rf "$tmp/runs-$tag-$i"
  done
  cfg_rate=$(median "${rates[@]}")
  cfg_vps=$(median "${vps[@]}")
  cfg_wall=$(median "${walls[@]}")
}

echo "bench: ZeroMQ round trips, then the standard scenario ($REPS runs per setting) ..."
zmq_rate --pin
zmq_pinned=$zmq_result
zmq_rate
zmq_free=$zmq_result
sim_config default OUTBOX_SIM_PIN=1
d_rate=$cfg_rate d_vps=$cfg_vps d_wall=$cfg_wall d_rss=$cfg_rss d_steps=$cfg_steps d_vsec=$cfg_vsec
d_rss_children=$cfg_rss_children d_rt=$cfg_rt
sim_config unbatched OUTBOX_SIM_PIN=1 OUTBOX_SIM_BATCH=1
n_rate=$cfg_rate n_wall=$cfg_wall n_rt=$cfg_rt
sim_config unpinned OUTBOX_SIM_PIN=0
u_rate=$cfg_rate u_wall=$cfg_wall
sim_config before OUTBOX_SIM_PIN=0 OUTBOX_SIM_TMPDIR=/tmp OUTBOX_SIM_TMPDB=0 OUTBOX_SIM_BATCH=1
b_rate=$cfg_rate b_wall=$cfg_wall
echo "bench: the standard scenario without and with the simulated disk, interleaved ($VFS_PAIRS pairs) ..."
sim_pairs vfs "$VFS_PAIRS" OUTBOX_SIM_DISK=simulated
[ "$pair_same_verdict" = 1 ] || die "the simulated disk changed the verdict of $(basename "$STD")"
v_same=$([ "$pair_same_trace" = 1 ] && echo true || echo false)
std_name=$(basename "$STD")

record sim_events_per_second \
  "simulator: events handled per wall second ($std_name)" \
  "events = steps: events that stepped a service process (a frame delivered, a timer, a payment, a start or stop; summary.json counts.steps, $d_steps in this run, carried in $d_rt round trips: batches of up to 16 events of one node within the minimum link latency), divided by the wall time of the whole outbox-sim run (start, run, checker, report); median of $REPS runs of seed 1, the simulator and its children pinned to one core (the default)" \
  "$d_rate" "events/s" \
  "raw ZeroMQ ipc PAIR request/reply round trips of 100 bytes between two processes pinned to one core, nothing done on either side (bench/zmq_rtt.c --pin); median of $REPS" \
  "$zmq_pinned" "round trips/s" \
  ">= 1: at least the raw round-trip rate, then beyond it by batching" \
  "\"steps\": $d_steps, \"round_trips\": $d_rt, \"events_per_round_trip\": $(calc "$d_steps / $d_rt"), \"wall_seconds\": $d_wall, \"runs\": $REPS"

record sim_batching \
  "simulator: events per wall second, batched vs one event per round trip" \
  "the default figure above ($d_steps events in $d_rt round trips), against the same runs with batching off (OUTBOX_SIM_BATCH=1: $n_rt round trips); both give the same trace byte for byte (tests/system/determinism.sh)" \
  "$d_rate" "events/s" \
  "outbox-sim run with OUTBOX_SIM_BATCH=1; median of $REPS" \
  "$n_rate" "events/s" \
  "> 1 (what batching buys)" \
  "\"wall_seconds_unbatched\": $n_wall, \"wall_seconds_default\": $d_wall"

record sim_events_per_second_unpinned \
  "simulator: events per wall second, not pinned (OUTBOX_SIM_PIN=0)" \
  "as above with OUTBOX_SIM_PIN=0: the kernel places the simulator and its children on any core, so a lockstep hand-off often wakes a process on the other core" \
  "$u_rate" "events/s" \
  "raw ZeroMQ ipc round trips of 100 bytes between two processes not pinned (bench/zmq_rtt.c); median of $REPS" \
  "$zmq_free" "round trips/s" \
  "(shows what pinning buys)" \
  "\"wall_seconds\": $u_wall"

record sim_speedup_issue6 \
  "simulator: events per wall second, default vs the settings before issue 6" \
  "the default figure above, against the same runs with the switchable changes of issue 6 turned off: not pinned, the private temp dir (ipc sockets) on /tmp instead of /dev/shm, the services' databases written in the run dir, one event per round trip (OUTBOX_SIM_PIN=0 OUTBOX_SIM_TMPDIR=/tmp OUTBOX_SIM_TMPDB=0 OUTBOX_SIM_BATCH=1; /tmp here is $(fstype /tmp)); the clock carried in each step (no clock file), the cheaper trace formatting and ZeroMQ calls have no switch and are in both" \
  "$d_rate" "events/s" \
  "outbox-sim run with OUTBOX_SIM_PIN=0 OUTBOX_SIM_TMPDIR=/tmp OUTBOX_SIM_TMPDB=0 OUTBOX_SIM_BATCH=1; median of $REPS" \
  "$b_rate" "events/s" \
  "> 1 (a speed-up)" \
  "\"wall_seconds_before\": $b_wall, \"wall_seconds_default\": $d_wall"

vfs_pairs_how="$VFS_PAIRS pairs of runs of seed 1, pinned: each pair one run with SQLite's own unix VFS and one with OUTBOX_SIM_DISK=simulated, back to back, the order swapped every other pair (ABBA...), medians over the pairs"
vfs_details="\"pairs\": $VFS_PAIRS, \"same_trace\": $v_same, \"trace_hash\": \"$pair_hash\", \"verdict\": \"$pair_verdict\", \"wall_seconds_vfs\": $pair_wall_b, \"wall_seconds_default\": $pair_wall_a, \"cpu_seconds_vfs\": $pair_csec_b, \"cpu_seconds_default\": $pair_csec_a, \"median_pair_ratio_wall\": $pair_ratio_wall, \"median_pair_ratio_cpu\": $pair_ratio_cpu"
record sim_vfs_cost \
  "simulator: events per wall second, every service on the simulated disk vs not" \
  "events per wall second of $std_name with OUTBOX_SIM_DISK=simulated: each service's SQLite under the node's VFS (node/vfs.h), which journals what every write destroys before it writes, so that a power cut could undo it, and asks the simulator's disk faults at every call (none here); $vfs_pairs_how; same verdict, and the same trace byte for byte: $v_same" \
  "$pair_rate_b" "events/s" \
  "the same runs' other half: SQLite's own unix VFS (the default)" \
  "$pair_rate_a" "events/s" \
  ">= 0.9 (issue 13: the simulated disk costs at most 10%)" \
  "$vfs_details"

record sim_vfs_cost_cpu \
  "simulator: events per CPU second, every service on the simulated disk vs not" \
  "as the row above, but per CPU second: user + system time of outbox-sim and every process it reaped (the three services, their ZeroMQ threads; bash's time, getrusage RUSAGE_CHILDREN), which other work on a shared machine inflates far less than wall time; $vfs_pairs_how" \
  "$pair_cpu_b" "events/CPU s" \
  "the same runs' other half: SQLite's own unix VFS (the default)" \
  "$pair_cpu_a" "events/CPU s" \
  ">= 0.9 (issue 13: the simulated disk costs at most 10%)" \
  "$vfs_details"

record sim_virtual_per_wall_second \
  "simulator: virtual seconds per wall second ($std_name)" \
  "the scenario's virtual length (run + settle = $d_vsec s) divided by the wall time of outbox-sim run; median of $REPS runs, pinned (the default)" \
  "$d_vps" "virtual s / wall s" \
  "real time: a harness of real processes that sleeps runs at 1 virtual second per wall second (a constant, not measured)" \
  "1" "virtual s / wall s" \
  ">= 100"

# ---- memory: a run ten times longer ----------------------------------------------------------
echo "bench: the same scenario ten times longer, for memory ..."
sim_run long "$LONG" OUTBOX_SIM_PIN=1
l_rss=$run_rss l_steps=$run_steps l_wall=$run_wall l_vsec=$run_vsec l_rss_children=$run_rss_children
l_cpu=$run_cpu
# The history checks (sim/check/history.h) alone on the long run's trace, timed: the
# same pass `outbox-sim run` makes in-process after the run, under the scenario's knobs.
l_lines=$(wc -l <"$run_dir/trace.jsonl")
l_pay=$(sed -n 's/.*"ev":"run".*"payments":\([0-9]*\).*/\1/p' "$run_dir/trace.jsonl" | head -n1)
t0=$(now)
{ TIMEFORMAT='%3U %3S'; time "$HCHECK" "$run_dir/trace.jsonl" outbox "$l_pay" $LONG_KNOBS >"$tmp/hcheck.out" 2>&1 ; } 2>"$tmp/time-hcheck.txt"
hc_code=$?
t1=$(now)
[ "$hc_code" = 0 ] || die "history-check on the long run exited $hc_code: $(head -n 3 "$tmp/hcheck.out")"
l_hist=$(calc "$t1 - $t0")
l_hist_cpu=$(awk 'NF == 2 { printf "%.3f", $1 + $2 }' "$tmp/time-hcheck.txt")
[ -n "$l_hist_cpu" ] || die "no CPU time for history-check: $(head -c 200 "$tmp/time-hcheck.txt")"
# QUICK's traces are so short that a pass may take under a millisecond of CPU
[ "$(calc "($l_hist_cpu > 0)")" = 1 ] || l_hist_cpu=0.001
rm -rf "$tmp/runs-long"
record history_checks_long_run \
  "history checks: one pass over the long run's trace" \
  "wall time of the history checks (build/tools/history-check: the pass outbox-sim run makes after each run) over the trace of $(basename "$LONG") ($l_lines lines), against the wall time of that run" \
  "$l_hist" "s" \
  "the run itself ($l_steps steps, $l_vsec virtual s)" \
  "$l_wall" "s" \
  "<= 0.1: the checker's history pass costs at most a tenth of the run" \
  "\"trace_lines\": $l_lines, \"cpu_seconds\": $l_hist_cpu, \"run_cpu_seconds\": $l_cpu"
record history_checks_long_run_cpu \
  "history checks: one pass over the long run's trace, in CPU time" \
  "the same pass as the row above, user + system CPU seconds of build/tools/history-check (bash's time), which a busy machine inflates far less than wall time" \
  "$l_hist_cpu" "CPU s" \
  "the run itself, user + system CPU seconds of outbox-sim and the processes it reaped (its services)" \
  "$l_cpu" "CPU s" \
  "<= 0.1: the checker's history pass costs at most a tenth of the run"
record sim_peak_rss_long_run \
  "simulator memory: peak RSS of a run ten times longer ($(basename "$LONG"))" \
  "peak resident set size of the outbox-sim process itself (getrusage RUSAGE_SELF at exit, bench/rss_probe.c preloaded), on a run with ten times the payments, virtual time and crashes ($l_steps steps, $l_vsec virtual s); its service processes are reported in details" \
  "$l_rss" "KiB" \
  "the same on the standard run ($std_name, $d_steps steps): the largest of its $REPS runs" \
  "$d_rss" "KiB" \
  "about 1: memory does not grow with the length of the run" \
  "\"long_steps\": $l_steps, \"long_wall_seconds\": $l_wall, \"long_children_peak_kib\": $l_rss_children, \"standard_children_peak_kib\": $d_rss_children"

# ---- seeds per minute: the default CI sweep on this machine ------------------------------------
# docs/ci.md: `outbox-sim sweep scenarios/*.lua --seeds 1..N -j $(nproc)`.  Without a
# working sweep command, the same runs as parallel `outbox-sim run` processes.
sweep_works() {
  "$SIM" sweep "$root/scenarios/clean.lua" --seeds 1..1 -j 1 --rerun 0 --out "$tmp/sweep-probe" \
    >"$tmp/sweep-probe.log" 2>&1
}
# sweep_rate J SEEDS: runs per minute in sweep_result; sets sweep_runs, sweep_wall, sweep_how
sweep_rate() {
  local j=$1 seeds=$2 out="$tmp/sweep-$1" t0 t1 code
  local scen=("$root"/scenarios/*.lua)
  [ "$QUICK" = 1 ] && scen=("$root/scenarios/clean.lua" "$root/scenarios/pay-queue-loss.lua")
  rm -rf "$out"
  t0=$(now)
  if [ "$use_sweep" = 1 ]; then
    "$SIM" sweep "${scen[@]}" --seeds "1..$seeds" -j "$j" --out "$out" --json "$tmp/sweep-$j.json" \
      >"$tmp/sweep-$j.log" 2>&1
    code=$?
    t1=$(now)
    [ "$code" -le 1 ] || die "outbox-sim sweep -j $j exited $code: $(tail -n 3 "$tmp/sweep-$j.log")"
    sweep_runs=$(grep -o '"ran": *[0-9]*' "$tmp/sweep-$j.json" | sed 's/.*: *//')
    sweep_how="outbox-sim sweep (its 5% determinism reruns included in the time)"
  else
    local s k
    for s in "${scen[@]}"; do for ((k = 1; k <= seeds; k++)); do echo "$s $k"; done; done |
      xargs -P "$j" -n 2 sh -c '"$0" run "$2" --seed "$3" --out "$1/$(basename "$2" .lua)-$3" --quiet >/dev/null 2>&1; [ $? -le 1 ]' "$SIM" "$out"
    code=$?
    t1=$(now)
    [ "$code" = 0 ] || die "a run of the sweep stand-in failed with a harness error"
    sweep_runs=$(( ${#scen[@]} * seeds ))
    sweep_how="outbox-sim sweep was not usable here, so: xargs -P $j of 'outbox-sim run' processes"
  fi
  sweep_wall=$(calc "$t1 - $t0")
  sweep_nscen=${#scen[@]}
  rm -rf "$out"
  sweep_result=$(calc "60 * $sweep_runs / $sweep_wall")
}
echo "bench: the CI sweep (-j $ncpu, then -j 1) ..."
if sweep_works; then use_sweep=1; else use_sweep=0; fi
rm -rf "$tmp/sweep-probe"
sweep_rate "$ncpu" "$SWEEP_SEEDS"
spm=$sweep_result s_runs=$sweep_runs s_wall=$sweep_wall s_how=$sweep_how
sweep_rate 1 "$SWEEP_SEEDS_J1"
spm1=$sweep_result
record sweep_seeds_per_minute \
  "simulator: seeds per minute, the default CI sweep on $ncpu cores" \
  "runs (one scenario with one seed each) finished per wall minute by a sweep of every scenario in scenarios/ ($sweep_nscen) over seeds 1..$SWEEP_SEEDS with -j $ncpu (docs/ci.md); $s_how; $s_runs runs in $s_wall s" \
  "$spm" "seeds/min" \
  "the same sweep with -j 1 (seeds 1..$SWEEP_SEEDS_J1): the issue names no reference; this one shows how the sweep scales with cores" \
  "$spm1" "seeds/min" \
  "none: it sets how many seeds CI can afford" \
  "\"runs\": $s_runs, \"wall_seconds\": $s_wall, \"scenarios\": $sweep_nscen, \"used_sweep_command\": $([ "$use_sweep" = 1 ] && echo true || echo false)"

# ---- the live outbox -------------------------------------------------------------------------------
echo "bench: the bare SQLite transaction, then three live daemons ..."
# The bare loop runs on either side of the live run (median of all), so that both see
# the same weather on a shared disk: fsyncs at WAL checkpoints vary with other I/O.
tx_runs=()
tx_rate() {   # tx_rate MODE N: N runs, each appended to tx_runs as "MODE RATE"
  local i line
  for ((i = 0; i < $2; i++)); do
    rm -f "$tmp/tx.db" "$tmp/tx.db-wal" "$tmp/tx.db-shm"
    line=$("$TOOLS/sqlite_tx" --db "$tmp/tx.db" --count "$TX_N" --mode "$1") || die "sqlite_tx --mode $1 failed"
    tx_runs+=("$1 $(field rate "$line")")
  done
  rm -f "$tmp/tx.db" "$tmp/tx.db-wal" "$tmp/tx.db-shm"
}
tx_median() { median $(printf '%s\n' "${tx_runs[@]}" | sed -n "s/^$1 //p"); }
tx_rate bare $(( REPS > 1 ? REPS - 1 : 1 ))
tx_rate library "$REPS"

live="$tmp/live"
mkdir -p "$live"
# start NAME ARGS...: a daemon in the background, logging to NAME.log
start() {
  local name=$1; shift
  ( exec "$NODE" "$@" >>"$live/$name.log" 2>&1 ) &
  daemon[$name]=$!
}
ready() {   # ready NAME: 0 once it logged "ready", 1 if it exited
  local i
  for ((i = 0; i < 200; i++)); do
    grep -q "^$1 ready " "$live/$1.log" 2>/dev/null && return 0
    kill -0 "${daemon[$1]}" 2>/dev/null || { wait "${daemon[$1]}" 2>/dev/null; unset "daemon[$1]"; return 1; }
    sleep 0.05
  done
  return 1
}
stop() {   # stop NAME: SIGTERM, reap
  kill -TERM "${daemon[$1]}" 2>/dev/null
  wait "${daemon[$1]}" 2>/dev/null
  unset "daemon[$1]"
}
# live_rates K FLAGS...: the three daemons on fresh databases (the K-th run: its own
# ports), payment and accounting given FLAGS; live_client's figures in commit_rate and
# voucher_rate.
live_rates() {
  local k=$1; shift
  local base=$((30000 + ($$ + k * 16) % 20000)) bport="" pport="" try b p n line
  for try in 0 1 2 3 4 5 6 7; do
    b=$((base + try * 2)) p=$((base + try * 2 + 1))
    rm -f "$live"/*
    start broker --role broker --db "$live/broker.db" --broker "tcp://127.0.0.1:$b"
    ready broker || continue
    start payment --role payment --db "$live/payment.db" --broker "tcp://127.0.0.1:$b" --listen "tcp://127.0.0.1:$p" "$@"
    if ready payment; then bport=$b pport=$p; break; fi
    stop broker
  done
  [ -n "$bport" ] || die "live: no free pair of loopback ports near $base"
  start accounting --role accounting --db "$live/accounting.db" --broker "tcp://127.0.0.1:$bport" "$@"
  ready accounting || die "live: accounting did not start: $(tail -n 2 "$live/accounting.log")"
  line=$("$TOOLS/live_client" --payment "tcp://127.0.0.1:$pport" --accounting-db "$live/accounting.db" \
           --count "$LIVE_N" --window 32 --timeout 60 2>"$tmp/live_client.err") ||
    die "live_client${1:+ ($*)}: $(cat "$tmp/live_client.err")"
  for n in payment accounting broker; do stop "$n"; done
  ! grep -q " error " "$live/payment.log" "$live/accounting.log" ||
    die "live${1:+ ($*)}: $(grep -h " error " "$live/payment.log" "$live/accounting.log" | head -n 1)"
  commit_rate=$(field commit_rate "$line")
  voucher_rate=$(field voucher_rate "$line")
}
live_rates 0 --group 1
commit_rate1=$commit_rate voucher_rate1=$voucher_rate
live_rates 1
group=$(sed -n 's/.*, group \([0-9]*\) frames per commit$/\1/p' "$live/accounting.log" | head -n1)
[ -n "$group" ] || die "live: accounting's ready line names no group commit"
tx_rate bare 1
bare=$(tx_median bare) inproc=$(tx_median library) n_bare=$(printf '%s\n' "${tx_runs[@]}" | grep -c '^bare ')

record live_payments_per_second \
  "live outbox: payments committed per second (3 daemons, ZeroMQ TCP on loopback)" \
  "bench/live_client.c sends $LIVE_N payments to bin/outbox-node --role payment over TCP, 32 in flight; counted when their OK comes back (the payment row and its outbox row committed, SQLite WAL synchronous=NORMAL, the default); broker and accounting run beside it, all on this machine's $ncpu cores, logging to files as daemons do; payment and accounting with the default group commit (up to $group frames from the broker per transaction: accounting's inbox + voucher rows, payment's CONSUMED marks; each client payment still commits alone before its OK)" \
  "$commit_rate" "payments/s" \
  "the same transaction (the statements of lib/payment.c, the library's schema and pragmas) committed in a bare loop in one process on the same file system (bench/sqlite_tx.c --mode bare, $TX_N transactions); median of $n_bare runs, before and after the live run" \
  "$bare" "tx/s" \
  ">= 0.5" \
  "\"library_in_process_tx_per_second\": $inproc, \"sqlite_tx_runs\": \"$(printf '%s ' "${tx_runs[@]}")\", \"count\": $LIVE_N, \"window\": 32, \"group\": $group"

record live_vouchers_per_second \
  "live outbox: vouchers per second end to end" \
  "$LIVE_N payments from the first request sent until accounting's database holds $LIVE_N vouchers (payment -> broker -> accounting, up to $group vouchers per COMMIT), polled every 2 ms; checked to be one voucher per payment" \
  "$voucher_rate" "vouchers/s" \
  "the bare-loop payment transaction, as above (bench/sqlite_tx.c --mode bare)" \
  "$bare" "tx/s" \
  ">= 0.5" \
  "\"count\": $LIVE_N, \"group\": $group"

record live_group_commit \
  "live outbox: payments per second, group commit (default) vs --group 1" \
  "the live payments/s above (payment and accounting commit up to $group frames from the broker per transaction, and send the answers and acks after that COMMIT) against the same live run with --group 1 given to payment and accounting: every frame its own transaction, three commits per payment; vouchers/s of both in details" \
  "$commit_rate" "payments/s" \
  "the same live run (same client, sizes and knobs) with bin/outbox-node --group 1 for payment and accounting, run just before it on fresh databases" \
  "$commit_rate1" "payments/s" \
  "> 1 (what group commit buys)" \
  "\"vouchers_per_second\": $voucher_rate, \"vouchers_per_second_group_1\": $voucher_rate1, \"group\": $group"

# ---- what durability costs (issue 13: power loss) ---------------------------------------------------
# The same live run with the commit made durable before it is told: durable_send=1 (a WAL
# sync before each send, synchronous stays normal) and synchronous=full (a sync at every
# COMMIT), for payment and accounting.  On tmpfs a sync costs nothing: the scratch space's
# file system is in the details.
echo "bench: the live outbox with durable_send=1, then with synchronous=full ..."
commit_rate_normal=$commit_rate voucher_rate_normal=$voucher_rate
live_rates 2 --knob durable_send=1
commit_rate_ds=$commit_rate voucher_rate_ds=$voucher_rate
live_rates 3 --knob synchronous=full
commit_rate_full=$commit_rate voucher_rate_full=$voucher_rate
commit_rate=$commit_rate_normal voucher_rate=$voucher_rate_normal   # as the rows above had them

record live_durable_send \
  "live outbox: payments per second with durable_send=1 vs without (synchronous=normal)" \
  "the live payments/s above, run again with --knob durable_send=1 for payment and accounting: each syncs its WAL before anything leaves it (the client's OK, the publication, the answer and ack), so a power cut can take back nothing anyone was told (lib/store.h, ox_store_barrier); synchronous stays normal; group commit as above; vouchers/s in details" \
  "$commit_rate_ds" "payments/s" \
  "the default live run above (synchronous=normal, durable_send=0), same client and sizes" \
  "$commit_rate_normal" "payments/s" \
  "< 1: what the barrier costs (about 1 on tmpfs, where a sync is free)" \
  "\"vouchers_per_second\": $voucher_rate_ds, \"vouchers_per_second_normal\": $voucher_rate_normal, \"scratch_fs\": \"$tmpfs_type\""

record live_synchronous_full \
  "live outbox: payments per second with synchronous=full vs normal" \
  "the live payments/s above, run again with --knob synchronous=full for payment and accounting: SQLite syncs the WAL at every COMMIT; vouchers/s in details" \
  "$commit_rate_full" "payments/s" \
  "the default live run above (synchronous=normal, durable_send=0), same client and sizes" \
  "$commit_rate_normal" "payments/s" \
  "< 1: what a sync per commit costs; compare with live_durable_send" \
  "\"vouchers_per_second\": $voucher_rate_full, \"durable_send_payments_per_second\": $commit_rate_ds, \"scratch_fs\": \"$tmpfs_type\""

# ---- what completion=delete costs (issue 14, item 5) -----------------------------------------------
# The same live run with completion=delete (lib/config.h): the answer's transaction deletes
# the row it finished (the trigger writes its tombstone), against completion=mark, REPS
# runs of each taken in turn (delete, mark, delete, ...) so that both see the same
# weather; the medians.
echo "bench: the live outbox with completion=delete and mark, $REPS runs each in turn ..."
del_c=() del_v=() mark_c=() mark_v=()
for ((i = 0; i < REPS; i++)); do
  live_rates $((4 + 2 * i)) --knob completion=delete
  del_c+=("$commit_rate") del_v+=("$voucher_rate")
  live_rates $((5 + 2 * i)) --knob completion=mark
  mark_c+=("$commit_rate") mark_v+=("$voucher_rate")
done
commit_rate_del=$(median "${del_c[@]}") voucher_rate_del=$(median "${del_v[@]}")
commit_rate_mark=$(median "${mark_c[@]}") voucher_rate_mark=$(median "${mark_v[@]}")
commit_rate=$commit_rate_normal voucher_rate=$voucher_rate_normal   # as the rows above had them

record live_completion_delete \
  "live outbox: payments per second with completion=delete vs mark" \
  "the live payments/s above, run again with --knob completion=delete: each CONSUMED answer is a transaction that marks the row and deletes it (the trigger outbox_tombstone copies it into outbox_cleaned), instead of one UPDATE; group commit as above; vouchers/s in details" \
  "$commit_rate_del" "payments/s" \
  "the same live run with --knob completion=mark (the default), on fresh databases, its runs taken in turn with those of delete; medians of $REPS each" \
  "$commit_rate_mark" "payments/s" \
  "about 1: a delete and a tombstone per answer, in the answer's own transaction" \
  "\"vouchers_per_second\": $voucher_rate_del, \"vouchers_per_second_mark\": $voucher_rate_mark, \"delete_runs\": \"${del_c[*]}\", \"mark_runs\": \"${mark_c[*]}\""

# ---- relays: the cost of more processes (topology { relays = N }) ---------------------------------
# The standard scenario with N relay processes running the scan in the payment's place
# (lib/relay.h): a relay's every scan tick is a step of its own, so events/s and virtual
# seconds per wall second say what each added process costs.
echo "bench: the standard scenario with 1, 2, 4 and 8 relays ($REPS runs each) ..."
for nrel in 1 2 4 8; do
  # topology{} goes after scenario{} and before the first fault
  awk -v n="$nrel" '!done && /^[a-z_]+ *[{(]/ && !/^scenario/ { print "topology { relays = " n " }"; done = 1 } { print }' \
    "$STD" >"$tmp/relays-$nrel.lua"
  grep -q '^topology { relays' "$tmp/relays-$nrel.lua" || die "no fault line in $STD to put topology{} before"
  STD_SAVED=$STD STD="$tmp/relays-$nrel.lua"
  sim_config "relays$nrel" OUTBOX_SIM_PIN=1
  STD=$STD_SAVED
  record "sim_relays_$nrel" \
    "simulator: events per second with $nrel relay process(es)" \
    "steps per wall second of $(basename "$STD") with topology { relays = $nrel }: the scan runs in $nrel relay process(es) on the payment database, claiming with a lease; virtual seconds per wall second and steps in details" \
    "$cfg_rate" "events/s" \
    "the same scenario without relays (the payment service scans), pinned, median of $REPS" \
    "$d_rate" "events/s" \
    "about 1 or below: each relay adds its own scan ticks, claims and round trips" \
    "\"virtual_per_wall_second\": $cfg_vps, \"virtual_per_wall_second_no_relays\": $d_vps, \"steps\": $cfg_steps, \"steps_no_relays\": $d_steps"
done

# ---- shapes (issue 14): a backlog drained by N relays; competing consumers ------------------------
# with_topology FILE LINE OUT: FILE with LINE (a topology { }) put after scenario{} and
# before the first fault, as the relays rows above do.
with_topology() {
  awk -v t="$2" '!done && /^[a-z_]+ *[{(]/ && !/^scenario/ { print t; done = 1 } { print }' "$1" >"$3"
  grep -qF "$2" "$3" || die "no fault line in $1 to put $2 before"
}
# The scan's cost with N relays claiming from one table: bench/backlog.lua loses every
# first publication for 10 s, so a backlog of due rows waits in the one outbox table;
# N relays (or, for the reference, the payment service's own scan) drain it.  Per row
# published by the scan: CPU of the whole run (the simulator and every service process,
# run_cpu) and steps; claims, scans and the virtual time the drain took in details.
BACKLOG=$root/bench/backlog.lua
if [ "$QUICK" = 1 ]; then
  sed 's/payments = 2000, rate = 200/payments = 100, rate = 50/; s/run      = 12/run      = 3/; s/stop = 10/stop = 1/; s/settle   = 120/settle   = 40/' \
    "$BACKLOG" >"$tmp/backlog.lua"
  BACKLOG=$tmp/backlog.lua
fi
backlog_stop=$(sed -n 's/.*stop = \([0-9.]*\).*/\1/p' "$BACKLOG" | head -n1)
# backlog_run N: REPS runs with N relays (0: payment's scan); medians in bk_cpu_row
# (CPU ms per row the scan published), bk_steps_row; bk_rows, bk_claims, bk_scans,
# bk_drain (virtual s from the loss's end to the last publication by the scan) of the last run
backlog_run() {
  local n=$1 sc="$tmp/backlog-$1.lua" cpus=() steps=() i t
  if [ "$n" = 0 ]; then cp "$BACKLOG" "$sc"; else with_topology "$BACKLOG" "topology { relays = $n }" "$sc"; fi
  for ((i = 0; i < REPS; i++)); do
    sim_run "backlog$n-$i" "$sc" OUTBOX_SIM_PIN=1
    t=$run_dir/trace.jsonl
    if [ "$n" = 0 ]; then
      bk_rows=$(grep '"node":"payment","kind":"publish"' "$t" | grep -vc '"detail":"msg [0-9]* attempt 1 ')
      bk_claims=0
    else
      bk_rows=$(grep -c '"node":"relay-[0-9]*","kind":"publish"' "$t")
      bk_claims=$(grep -c '"node":"relay-[0-9]*","kind":"claim"' "$t")
    fi
    [ "$bk_rows" -gt 0 ] || die "backlog with $n relays: the scan published nothing"
    bk_scans=$(grep -c '"kind":"scan"' "$t")
    bk_drain=$(grep -E '"node":"(payment|relay-[0-9]+)","kind":"publish"' "$t" | tail -n1 |
               sed 's/^{"t":\([0-9.]*\),.*/\1/')
    bk_drain=$(calc "$bk_drain - $backlog_stop")
    cpus+=("$(calc "$run_cpu * 1000 / $bk_rows")") steps+=("$(calc "$run_steps / $bk_rows")")
    rm -rf "$tmp/runs-backlog$n-$i"
  done
  bk_cpu_row=$(median "${cpus[@]}") bk_steps_row=$(median "${steps[@]}")
}
echo "bench: a backlog of due rows drained by the payment's scan, then by 1, 2, 4 and 8 relays ($REPS runs each) ..."
backlog_run 0
b0_cpu=$bk_cpu_row b0_steps=$bk_steps_row b0_rows=$bk_rows b0_drain=$bk_drain
for nrel in 1 2 4 8; do
  backlog_run "$nrel"
  record "relay_backlog_$nrel" \
    "relays: CPU per row drained from a due backlog, $nrel relay(s) claiming from one table" \
    "$(basename "$BACKLOG"): every first publication of the first $backlog_stop s is lost, so the outbox table holds a backlog of due rows; topology { relays = $nrel } drains it, each relay claiming due rows with a lease from the same table; CPU milliseconds of the whole run (outbox-sim and every process it reaped: bash's time) per row a relay published ($bk_rows rows, $bk_claims claims, $bk_scans scans that found rows due; the backlog drained $(fmt "$bk_drain") virtual s after the loss ended); steps per row in details; median of $REPS, pinned" \
    "$bk_cpu_row" "CPU ms/row" \
    "the same backlog drained by the payment service's own recovery scan (no relays): CPU ms per row it republished ($b0_rows rows, drained $(fmt "$b0_drain") virtual s after the loss ended); median of $REPS" \
    "$b0_cpu" "CPU ms/row" \
    "(what N scanning processes cost per row: a claim, a lease read and a release per row)" \
    "\"steps_per_row\": $bk_steps_row, \"steps_per_row_no_relays\": $b0_steps, \"rows\": $bk_rows, \"claims\": $bk_claims, \"scans\": $bk_scans, \"drain_virtual_seconds\": $bk_drain, \"drain_virtual_seconds_no_relays\": $b0_drain"
done
# Competing consumers: the standard scenario with topology { accounting = M }, M processes
# on PAY_QUEUE sharing one inbox (docs/design.md "Competing consumers").
echo "bench: the standard scenario with 1, 2 and 4 accounting instances ($REPS runs each) ..."
for nacc in 1 2 4; do
  with_topology "$STD" "topology { accounting = $nacc }" "$tmp/consumers-$nacc.lua"
  STD_SAVED=$STD STD="$tmp/consumers-$nacc.lua"
  sim_config "consumers$nacc" OUTBOX_SIM_PIN=1
  STD=$STD_SAVED
  record "sim_consumers_$nacc" \
    "simulator: events per second with $nacc accounting instance(s)" \
    "steps per wall second of $(basename "$STD") with topology { accounting = $nacc }: $nacc accounting process(es) take PAY_QUEUE's deliveries in turn and share one accounting database; virtual seconds per wall second in the figure's details (and its own row below)" \
    "$cfg_rate" "events/s" \
    "the same scenario without topology (one accounting process), pinned, median of $REPS" \
    "$d_rate" "events/s" \
    "about 1: more processes, the same deliveries" \
    "\"virtual_per_wall_second\": $cfg_vps, \"virtual_per_wall_second_one\": $d_vps, \"steps\": $cfg_steps, \"steps_one\": $d_steps"
  record "sim_consumers_${nacc}_vsec" \
    "simulator: virtual seconds per wall second with $nacc accounting instance(s)" \
    "virtual seconds of $(basename "$STD") (run + settle) per wall second, with topology { accounting = $nacc }; median of $REPS, pinned" \
    "$cfg_vps" "virtual s/s" \
    "the same without topology, the same runs as the reference above" \
    "$d_vps" "virtual s/s" \
    "about 1"
done

# ---- the text encoding: every node on JSON lines vs the binary protocol (issue 15) -----------------
# The standard scenario with every role run as --node ROLE=json:bin/outbox-node (the node
# protocol's text encoding, proto/stepjson.h: pipes and one JSON line each way) against
# the default binary one, in interleaved pairs like the simulated disk's.  sim_run runs
# "$SIM"; here that is a wrapper adding the --node flags when BENCH_TEXT=1.
echo "bench: the standard scenario on the binary and the text encoding, interleaved ($VFS_PAIRS pairs) ..."
printf '#!/bin/sh\nif [ "${BENCH_TEXT:-0}" = 1 ]; then\n  exec "%s" "$@" --node "payment=json:%s" --node "broker=json:%s" --node "accounting=json:%s"\nfi\nexec "%s" "$@"\n' \
  "$SIM" "$NODE" "$NODE" "$NODE" "$SIM" >"$tmp/sim-text"
chmod +x "$tmp/sim-text"
SIM_SAVED=$SIM SIM="$tmp/sim-text"
sim_pairs text "$VFS_PAIRS" BENCH_TEXT=1
SIM=$SIM_SAVED
[ "$pair_same_trace" = 1 ] || die "the text encoding changed the trace of $(basename "$STD")"
text_details="\"pairs\": $VFS_PAIRS, \"same_trace\": true, \"trace_hash\": \"$pair_hash\", \"wall_seconds_text\": $pair_wall_b, \"wall_seconds_binary\": $pair_wall_a, \"cpu_seconds_text\": $pair_csec_b, \"cpu_seconds_binary\": $pair_csec_a, \"median_pair_ratio_wall\": $pair_ratio_wall, \"median_pair_ratio_cpu\": $pair_ratio_cpu"
record sim_text_encoding \
  "simulator: events per wall second, every node on the text encoding vs the binary one" \
  "events per wall second of $std_name with every role run as --node ROLE=json:bin/outbox-node: each STEP and REPLY translated to one JSON line at both ends and carried on the child's stdin and stdout (docs/protocol.md, \"The text encoding\"); $VFS_PAIRS pairs of runs of seed 1, pinned, each pair one run binary and one text, back to back, the order swapped every other pair (ABBA...), medians over the pairs; the same trace byte for byte in every pair" \
  "$pair_rate_b" "events/s" \
  "the same runs' other half: the binary encoding on a ZeroMQ PAIR socket (the default)" \
  "$pair_rate_a" "events/s" \
  "(what the text encoding costs; the binary one stays for speed)" \
  "$text_details"
record sim_text_encoding_cpu \
  "simulator: events per CPU second, every node on the text encoding vs the binary one" \
  "as the row above, per CPU second of outbox-sim and every process it reaped (bash's time), which a busy machine inflates far less than wall time" \
  "$pair_cpu_b" "events/CPU s" \
  "the same runs' other half: the binary encoding (the default)" \
  "$pair_cpu_a" "events/CPU s" \
  "(what the text encoding costs)" \
  "$text_details"

# ---- the Python services (py/) against the C ones (issue 15) --------------------------------------
# The standard scenario with payment and accounting run as py/payment.py and
# py/accounting.py on the text encoding, against the default C nodes on the binary one,
# in interleaved pairs.  The Python nodes read the step's clock exactly where libfaketime
# gives the C node a millisecond less (docs/design.md, py/), so the traces may differ;
# the verdicts must not.
echo "bench: the standard scenario with the C services and with py/'s, interleaved ($VFS_PAIRS pairs) ..."
printf '#!/bin/sh\nif [ "${BENCH_PY:-0}" = 1 ]; then\n  exec "%s" "$@" --node "payment=json:%s/py/payment.py" --node "accounting=json:%s/py/accounting.py"\nfi\nexec "%s" "$@"\n' \
  "$SIM" "$root" "$root" "$SIM" >"$tmp/sim-py"
chmod +x "$tmp/sim-py"
SIM_SAVED=$SIM SIM="$tmp/sim-py"
sim_pairs py "$VFS_PAIRS" BENCH_PY=1
SIM=$SIM_SAVED
[ "$pair_same_verdict" = 1 ] || die "the Python services changed the verdict of $(basename "$STD")"
py_details="\"pairs\": $VFS_PAIRS, \"same_verdict\": true, \"same_trace\": $([ "$pair_same_trace" = 1 ] && echo true || echo false), \"wall_seconds_python\": $pair_wall_b, \"wall_seconds_c\": $pair_wall_a, \"cpu_seconds_python\": $pair_csec_b, \"cpu_seconds_c\": $pair_csec_a, \"median_pair_ratio_wall\": $pair_ratio_wall, \"median_pair_ratio_cpu\": $pair_ratio_cpu"
record sim_python_services \
  "simulator: events per wall second, payment and accounting in Python (py/) vs in C" \
  "events per wall second of $std_name with --node payment=json:py/payment.py --node accounting=json:py/accounting.py (the text encoding), broker in C; $VFS_PAIRS pairs of runs of seed 1, pinned, one run with the C services and one with py/'s back to back, the order swapped every other pair (ABBA...), medians over the pairs; the same verdict in every pair" \
  "$pair_rate_b" "events/s" \
  "the same runs' other half: bin/outbox-node in every role (binary encoding, the default)" \
  "$pair_rate_a" "events/s" \
  "(what a second implementation in Python costs a run; below 1)" \
  "$py_details"

# The same Python services with and without the simulated disk preloaded into them
# (bin/libox-disk.so, proto/diskarm.h): OUTBOX_SIM_DISK=simulated puts it under every
# node, the C broker's own and the Python services' preloaded one, as the C row above
# ("what the simulated disk costs") does for the C services.
echo "bench: the Python services with and without the preloaded simulated disk ($VFS_PAIRS pairs) ..."
printf '#!/bin/sh\nexec "%s" "$@" --node "payment=json:%s/py/payment.py" --node "accounting=json:%s/py/accounting.py"\n' \
  "$SIM" "$root" "$root" >"$tmp/sim-py-all"
chmod +x "$tmp/sim-py-all"
SIM_SAVED=$SIM SIM="$tmp/sim-py-all"
sim_pairs pydisk "$VFS_PAIRS" OUTBOX_SIM_DISK=simulated
SIM=$SIM_SAVED
[ "$pair_same_verdict" = 1 ] || die "the preloaded disk changed the Python services' verdict"
pyd_details="\"pairs\": $VFS_PAIRS, \"same_verdict\": true, \"same_trace\": $([ "$pair_same_trace" = 1 ] && echo true || echo false), \"wall_seconds_disk\": $pair_wall_b, \"wall_seconds_own\": $pair_wall_a, \"median_pair_ratio_wall\": $pair_ratio_wall, \"median_pair_ratio_cpu\": $pair_ratio_cpu"
record sim_python_disk \
  "simulator: events per wall second, py/'s services on the preloaded simulated disk vs on their own" \
  "events per wall second of $std_name with py/'s payment and accounting (text encoding) and OUTBOX_SIM_DISK=simulated: bin/libox-disk.so preloaded into each Python process journals every write and counts every call against the arming map; $VFS_PAIRS pairs of runs of seed 1, pinned, one run with and one without, back to back, the order swapped every other pair (ABBA...), medians over the pairs; the same verdict in every pair" \
  "$pair_rate_b" "events/s" \
  "the same runs' other half: the Python services on SQLite's own unix VFS" \
  "$pair_rate_a" "events/s" \
  "(what the preloaded disk costs a Python run; below 1)" \
  "$pyd_details"

# ---- bad deploys (misconfig{}, sim/core/misconf.h) ------------------------------------------------
# What a bad deploy costs a run beyond the restart it forces: bad-deploy-every-knob.lua
# (34 deploys, each a kill, a refused start and a rollback) against its twin with a plain
# crash at each deploy's time (the same kills and restarts, no refused start).  Runs
# alternate, VFS_PAIRS of each; medians.
echo "bench: bad deploys against plain crashes ($VFS_PAIRS pairs) ..."
bad_sc="$root/scenarios/bad-deploy-every-knob.lua"
sed 's/misconfig { \(node = [^,]*\], at = [^,]*\), knob = b\[2\],/crash { \1,/' "$bad_sc" >"$tmp/crash-every-knob.lua"
grep -q '^  crash { node' "$tmp/crash-every-knob.lua" || die "could not make the crash twin of $bad_sc"
bad_n=$(sed -n '/^local bad = {/,/^}/p' "$bad_sc" | grep -o '{ "' | wc -l)
bw=() cw=()
for ((i = 0; i < VFS_PAIRS; i++)); do
  sim_run bad "$bad_sc"; bw+=("$run_wall")
  sim_run crashtwin "$tmp/crash-every-knob.lua"; cw+=("$run_wall")
done
bad_wall=$(median "${bw[@]}") crash_wall=$(median "${cw[@]}")
record sim_bad_deploy \
  "simulator: a run of bad deploys vs the same run with plain crashes" \
  "wall seconds of outbox-sim run scenarios/bad-deploy-every-knob.lua, seed 1: $bad_n bad deploys over the run, each killing a service, starting it with a knob it must refuse and restarting it as it was; $VFS_PAIRS runs alternating with the reference, median" \
  "$bad_wall" "s" \
  "the same scenario with a crash (restart_after 0.5 s) in place of each deploy: the same kills and restarts without the refused start" \
  "$crash_wall" "s" \
  "(what the refused starts add; near 1)" \
  "\"deploys\": $bad_n, \"runs\": $VFS_PAIRS"

# ---- the relay scan ---------------------------------------------------------------------------------
echo "bench: the relay scan ..."
first_rows=${SCAN_ROWS%%,*}
scan_out=$("$TOOLS/scan_bench" --dir "$tmp" --rows "$SCAN_ROWS,$first_rows:100" --budget "$SCAN_BUDGET") ||
  die "scan_bench failed"
scan_sql=$(sed -n 's/^scan_sql //p' <<<"$scan_out" | head -n1)
plan_idx=$(sed -n 's/^plan indexed: //p' <<<"$scan_out" | head -n1)
plan_no=$(sed -n 's/^plan noindex: //p' <<<"$scan_out" | head -n1)
mapfile -t scan_lines < <(grep '^scan_bench ' <<<"$scan_out")
[ "${#scan_lines[@]}" -ge 2 ] || die "scan_bench printed no figures"
last=$(( ${#scan_lines[@]} - 1 ))
scan_same_due=$(field indexed_us "${scan_lines[$last]}")   # the extra N:100 line
scan_first="" scan_last="" last_rows=""
for ((i = 0; i < last; i++)); do
  l=${scan_lines[$i]}
  rows_n=$(field rows "$l") due=$(field due "$l") ret=$(field returned "$l")
  ix=$(field indexed_us "$l") nx=$(field noindex_us "$l")
  [ -z "$scan_first" ] && scan_first=$ix
  scan_last=$ix last_rows=$rows_n
  record "relay_scan_${rows_n}_rows" \
    "relay scan: one scan for due rows, $rows_n rows in the outbox" \
    "one recovery scan, as lib/scan.c collect() runs it: the library's own prepared statement ($scan_sql), scan_batch 100, stepped to its end; $rows_n outbox rows made by the library, $due of them SENDING and due (1%), the rest CONSUMED; it returned $ret rows; median of repeated scans (warm cache); plan: $plan_idx" \
    "$ix" "us/scan" \
    "the same SQL after DROP INDEX outbox_due (plan: $plan_no)" \
    "$nx" "us/scan" \
    "well below 1, and flat as the table grows" \
    "\"rows\": $rows_n, \"due\": $due, \"returned\": $ret"
done
record relay_scan_growth \
  "relay scan: cost at $last_rows rows against $first_rows rows" \
  "the indexed scan at $last_rows rows (returns 100: scan_batch) against the same at $first_rows rows (1% due: returns $(( first_rows / 100 ))); a scan costs per row it returns (about $(calc "$scan_same_due / 100") us each), not per row in the table: with 100 due rows the $first_rows-row table costs $scan_same_due us" \
  "$scan_last" "us/scan" \
  "the indexed scan at $first_rows rows" \
  "$scan_first" "us/scan" \
  "<= 3 (flat)" \
  "\"small_table_with_100_due_us\": $scan_same_due"
record relay_scan_growth_same_due \
  "relay scan: cost at $last_rows rows against $first_rows rows, both returning 100" \
  "the indexed scan at $last_rows rows (1% due, returns scan_batch = 100) against a $first_rows-row table with 100 rows due (returns 100 too): the growth with table size alone" \
  "$scan_last" "us/scan" \
  "the indexed scan at $first_rows rows, 100 of them due" \
  "$scan_same_due" "us/scan" \
  "<= 3 (flat)"

# ---- per-key ordering: what one message in flight per account costs (issue 14) --------------------
# The standard scenario (loss, duplication, a crash per service) run under design ordered
# and under outbox, same seed, one after the other: payments delivered per virtual second
# (vouchers booked, over the time from the first payment to the last voucher) and the
# delay from each payment's commit to its voucher, read from the two traces.  Not a
# wall-clock figure: what ordering costs is waiting, which the simulator measures exactly.
echo "bench: per-key ordering: $(basename "$STD") under ordered and outbox ..."
# order_rates DESIGN: one run, seed 1; sets ord_rate (payments/s), ord_mean, ord_p99 (ms),
# ord_holds, ord_wall (s)
order_rates() {
  local out="$tmp/order-$1" t0 t1 line
  rm -rf "$out"
  t0=$(now)
  "$SIM" run "$STD" --seed 1 --design "$1" --out "$out" --quiet >"$tmp/order-$1.log" 2>&1 ||
    die "outbox-sim run $STD --design $1 exited $?: $(tail -n 3 "$tmp/order-$1.log")"
  t1=$(now)
  ord_wall=$(calc "$t1 - $t0")
  find "$out" -name trace.jsonl -exec awk '
    function num(k,   m) { if (match($0, "\"" k "\":[0-9.]+")) { m = substr($0, RSTART, RLENGTH); sub(/.*:/, "", m); return m + 0 } return -1 }
    /"ev":"pay"/ && first == "" { first = num("t") }
    /"kind":"commit"/ { c[num("pay")] = num("t") }
    /"kind":"hold"/ { holds++ }
    /"kind":"apply"/ { p = num("pay"); if (!(p in a)) { a[p] = num("t"); n++; last = a[p]; if (p in c) { d = (a[p] - c[p]) * 1000; sum += d; nd++; print d > "/dev/stderr" } } }
    END { printf "rate=%.6g mean=%.6g holds=%d n=%d\n", n / (last - first), sum / nd, holds, n }' {} \; \
    >"$tmp/order-$1.sum" 2>"$tmp/order-$1.delays"
  line=$(cat "$tmp/order-$1.sum")
  ord_p99=$(sort -g "$tmp/order-$1.delays" | awk '{ v[NR] = $1 } END { i = int(NR * 0.99 + 0.5); if (i < 1) i = 1; printf "%.6g", v[i] }')
  ord_rate=$(field rate "$line") ord_mean=$(field mean "$line")
  ord_holds=$(field holds "$line")
  [ -n "$ord_rate" ] || die "per-key ordering: no vouchers in the $1 run's trace"
}
order_rates outbox
o_rate=$ord_rate o_mean=$ord_mean o_p99=$ord_p99 o_wall=$ord_wall
order_rates ordered
record ordered_payments_per_second \
  "per-key ordering: payments delivered per virtual second, design ordered vs outbox" \
  "$(basename "$STD") (seed 1) under --design ordered: a payment whose account has an earlier message unsettled is held and published when that one is answered (lib/ordered.h); payments with a voucher divided by the virtual time from the first payment to the last voucher; commit-to-voucher delay mean ${ord_mean} ms, p99 ${ord_p99} ms; $ord_holds payments held" \
  "$ord_rate" "payments/s" \
  "the same scenario and seed under --design outbox, run just before it (commit-to-voucher mean ${o_mean} ms, p99 ${o_p99} ms)" \
  "$o_rate" "payments/s" \
  "<= 1: what order costs (near 1 while an account's payments are further apart than a round trip; a lost message stalls its account for a retry interval)" \
  "\"delay_mean_ms\": $ord_mean, \"delay_p99_ms\": $ord_p99, \"held\": $ord_holds, \"outbox_delay_mean_ms\": $o_mean, \"outbox_delay_p99_ms\": $o_p99, \"wall_s\": $ord_wall, \"outbox_wall_s\": $o_wall"

# ---- the table and the JSON -------------------------------------------------------------------------
echo
echo "bench: summary (ratio = figure / reference)"
printf '%-34s %26s %24s %8s  %s\n' benchmark figure reference ratio target
for r in "${rows[@]}"; do
  IFS='|' read -r id v ref ratio target <<<"$r"
  printf '%-34s %26s %24s %8s  %s\n' "$id" "$v" "$ref" "$ratio" "$target"
done

mkdir -p "$(dirname "$JSON")"
{
  printf '{\n  "suite": "outbox-lab bench (bench/run.sh)",\n  "quick": %s,\n' "$([ "$QUICK" = 1 ] && echo true || echo false)"
  printf '  "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '  "machine": {"nproc": %s, "cpu": "%s", "kernel": "%s", "scratch_fs": "%s"},\n' \
    "$ncpu" "$(jstr "$cpu")" "$(jstr "$kernel")" "$(jstr "$tmpfs_type")"
  printf '  "benchmarks": [\n'
  for ((i = 0; i < ${#entries[@]}; i++)); do
    printf '%s%s\n' "${entries[$i]}" "$([ $((i + 1)) -lt ${#entries[@]} ] && echo ,)"
  done
  printf '  ]\n}\n'
} >"$JSON.tmp" && mv "$JSON.tmp" "$JSON" || die "cannot write $JSON"
echo "bench: wrote $JSON"
