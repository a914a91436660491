# tests/system/daemons.bash: helpers of the tests that run the services as real daemons
# over ZeroMQ TCP with real time (live.sh, consumers.sh); sourced, not run.
#
# The sourcing script sets first: tag (its name in "ok - TAG: ..." lines), node (the
# outbox-node binary), budget (seconds all waits of one run may take together) and, when
# it has runs, run (a label added to each line).  It then owns $dir (the run's temp
# dir, made by the script) and pid[] (the daemons, by log name), which cleanup() kills
# and removes on exit.  Every wait is bounded by $deadline.
deadline=$((SECONDS + budget))
dir=""
run=${run:-}
declare -A pid=()

ok() { echo "ok - $tag${run:+ ($run)}: $*"; }

# fail WHY: the check's line, the daemons' last log lines, exit 1.
fail() {
  echo "not ok - $tag${run:+ ($run)}: $*"
  if [ -n "$dir" ]; then
    for log in "$dir"/*.log; do
      [ -f "$log" ] || continue
      echo "--- $(basename "$log") (last 5 lines)"
      tail -n 5 "$log"
    done
  fi
  exit 1
}

# kill9 NAME: SIGKILL and reap; stderr off so bash's "Killed" job notice stays quiet.
kill9() {
  { kill -9 "${pid[$1]}"; wait "${pid[$1]}"; } 2>/dev/null || true
  unset "pid[$1]"
}

cleanup() {
  local name
  for name in "${!pid[@]}"; do kill9 "$name"; done
  if [ -n "$dir" ]; then rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

# start LOGNAME ARGS...: runs $node in the background, logging to LOGNAME.log.
start() {
  local name=$1; shift
  ( exec "$node" "$@" >>"$dir/$name.log" 2>&1 ) &   # exec: $! is the daemon itself
  pid[$name]=$!
}

# ready LOGNAME [WORD]: waits until LOGNAME.log has the line "WORD ready ..." (WORD is
# the daemon's --name, LOGNAME by default); returns 1 if the daemon exited instead.
ready() {
  local name=$1 word=${2:-$1}
  while [ $SECONDS -lt $deadline ]; do
    grep -q "^$word ready " "$dir/$name.log" 2>/dev/null && return 0
    kill -0 "${pid[$name]}" 2>/dev/null || { wait "${pid[$name]}" || true; unset "pid[$name]"; return 1; }
    sleep 0.05
  done
  fail "$name did not get ready within ${budget}s"
}

# q DB SQL: one value from a database the daemons are writing (WAL: readers never block
# writers; the timeout covers a checkpoint).
q() { sqlite3 -cmd ".timeout 2000" "$dir/$1.db" "$2"; }

# wait_for WHAT "N CONSUMED, M vouchers": polls both databases until they say so.
wait_for() {
  local what=$1 want=$2 got=""
  while [ $SECONDS -lt $deadline ]; do
    got="$(q payment "SELECT count(*) FROM outbox WHERE status='CONSUMED'") CONSUMED,"
    got="$got $(q accounting "SELECT count(*) FROM voucher") vouchers"
    [ "$got" = "$want" ] && return 0
    sleep 0.1
  done
  fail "$what: wanted $want, got $got after ${budget}s"
}

# start_front BASE FLAGS...: broker and payment on the first free pair of loopback ports
# from BASE (a daemon that cannot bind exits at once), payment given FLAGS besides
# ${knobs[@]}; sets bport and pport.
start_front() {
  local base=$1 b p try; shift
  bport="" pport=""
  for try in 0 1 2 3 4 5 6 7; do
    b=$((base + try * 2)); p=$((b + 1))
    rm -f "$dir/broker.log" "$dir/payment.log"
    start broker --role broker --db "$dir/broker.db" --broker "tcp://127.0.0.1:$b" "${knobs[@]}"
    ready broker || continue
    start payment --role payment --db "$dir/payment.db" --broker "tcp://127.0.0.1:$b" \
      --listen "tcp://127.0.0.1:$p" "${knobs[@]}" "$@"
    if ready payment; then bport=$b; pport=$p; return 0; fi
    kill9 broker
  done
  fail "no free pair of loopback ports near $base"
}
