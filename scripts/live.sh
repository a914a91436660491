#!/usr/bin/env bash
# scripts/live.sh: `make live`: the three services as real daemons for a class to watch.
#
# Starts broker, accounting and payment (bin/outbox-node) over ZeroMQ TCP on loopback,
# in real time, each on its SQLite database in reports/live/; a background client pays
# one payment a second; every few seconds one line from `outbox-ctl stats` shows the
# outbox catching up.  On a terminal the presenter crashes and restarts services with
# one key each (kill -9, then the same command on the same database), and the exact
# commands and pids are printed, to repeat by hand in another terminal.  Without a
# terminal (CI, a pipe) it plays a short unattended story instead: pay, crash
# accounting, pay, restart it, wait for every row to be CONSUMED, stop.
#
# A daemon may also be killed from another terminal, as docs/live.md teaches (kill -9
# PID): the script notices within a second, says so, shows it DOWN, and its key restarts
# it.  The daemons are disowned, so bash prints no "Killed" job notice into the display;
# whether one is up is read from /proc, not from bash's job table.
#
# Ctrl-C (or q) stops everything it started: daemons get SIGTERM (they close their
# databases), then SIGKILL after 3 s; libfaketime's /dev/shm files of the processes it
# started are removed.  The databases stay in reports/live/ to look at afterwards.
#
#   SPEED=10 make live    virtual clocks run 10x (libfaketime), so retry intervals pass
#                         quickly; all processes share one timeline (see start_node)
#   LIVE_PORT=6000        first port to try (broker), +1 for payment's clients
#   LIVE_DIR=DIR          where the databases and logs go (default reports/live)
#   LIVE_AUTO=1           the unattended story even on a terminal
set -u
cd "$(dirname "$0")/.." || exit 3

node=${OUTBOX_BIN:-bin}/outbox-node
ctl=${OUTBOX_BIN:-bin}/outbox-ctl
dir=${LIVE_DIR:-reports/live}
speed=${SPEED:-1}
faketime_lib=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
stats_every=3

die() { echo "live: $*" >&2; exit 2; }
[ -x "$node" ] && [ -x "$ctl" ] || die "$node and $ctl are not built (run make)"
case "$speed" in ''|*[!0-9]*|0) die "SPEED must be a whole number >= 1, got '$speed'" ;; esac
if [ "$speed" -gt 1 ] && [ ! -f "$faketime_lib" ]; then
  die "SPEED=$speed needs libfaketime ($faketime_lib): apt-get install libfaketime"
fi

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  B=$'\033[1m' D=$'\033[2m' R=$'\033[31m' G=$'\033[32m' Y=$'\033[33m' N=$'\033[0m'
else
  B="" D="" R="" G="" Y="" N=""
fi

declare -A pid=() started=() readies=()
ROLES=(broker accounting payment)
payer=""
interactive_on=""
t0=$(date +%s.%N)
knobs=(--knob scan_interval=1 --knob retry_base=2 --knob visibility=5 --knob max_attempts=20)

# ---- processes ---------------------------------------------------------------------------

# The command that starts ROLE, as the presenter would type it.
command_of() {
  case "$1" in
    broker) echo "$node --role broker --db $dir/broker.db --broker tcp://127.0.0.1:$bport ${knobs[*]}" ;;
    accounting) echo "$node --role accounting --db $dir/accounting.db --broker tcp://127.0.0.1:$bport ${knobs[*]}" ;;
    payment) echo "$node --role payment --db $dir/payment.db --broker tcp://127.0.0.1:$bport --listen tcp://127.0.0.1:$pport ${knobs[*]}" ;;
  esac
}

# ft_env: sets FT, the environment that puts a process started now on the shared
# virtual timeline V(t) = t0 + SPEED * (t - t0).  libfaketime's "+D xN" runs a
# process's clock at t + D + (N-1)(t - s) from its start s; D = (N-1)(s - t0) makes
# that V(t), so a restarted service reads the same time as the others (a few ms off).
ft_env() {
  FT=()
  [ "$speed" -gt 1 ] || return 0
  local d
  d=$(awk -v n="$speed" -v s="$(date +%s.%N)" -v t0="$t0" 'BEGIN { printf "%.3f", (n - 1) * (s - t0) }')
  FT=("LD_PRELOAD=$faketime_lib" "FAKETIME=+$d x$speed" FAKETIME_DONT_FAKE_MONOTONIC=1)
}

# run_timed CMD...: a short-lived command on the shared virtual clock.
run_timed() {
  ft_env
  env "${FT[@]}" "$@"
}

start_node() {
  local role=$1
  readies[$role]=$(count_ready "$role")
  ft_env
  # shellcheck disable=SC2046
  ( exec env "${FT[@]}" $(command_of "$role") >>"$dir/$role.log" 2>&1 ) &
  pid[$role]=$!
  # Out of bash's job table: a kill from elsewhere prints no "Killed" notice over the
  # display.  bash still reaps it; alive() says whether it runs.
  disown "${pid[$role]}"
  started[${pid[$role]}]=1
}

# alive ROLE: its daemon runs (not gone, not a zombie, not a new process on a reused pid).
alive() {
  local p=${pid[$1]:-} st
  [ -n "$p" ] || return 1
  st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ] || return 1
  tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "--role $1 "
}

# notice_gone: a daemon that ended without this script's doing (kill -9 from another
# terminal, a crash) is reaped, said, and shown DOWN; its key restarts it.
notice_gone() {
  local role p
  for role in "${ROLES[@]}"; do
    p=${pid[$role]:-}
    if [ -z "$p" ] || alive "$role"; then continue; fi
    reap "$role"
    echo "${R}${B}live: $role (pid $p) is gone: killed or crashed outside this script${N}"
    [ -n "$interactive_on" ] && menu
  done
}

count_ready() { local n; n=$(grep -c "^$1 ready " "$dir/$1.log" 2>/dev/null); echo "${n:-0}"; }

# ready ROLE: waits for its "ready" line; 1 if it exited first or took over 10 s.
ready() {
  local role=$1 n=0
  while [ $n -lt 200 ]; do
    [ "$(count_ready "$role")" -gt "${readies[$role]:-0}" ] && return 0
    alive "$role" || { reap "$role"; return 1; }
    sleep 0.05; n=$((n + 1))
  done
  return 1
}

# Removes libfaketime's shared-memory files of a reaped process (left when it is killed).
shm_clean() { rm -f "/dev/shm/faketime_shm_$1" "/dev/shm/sem.faketime_sem_$1"; }

# reap ROLE: forgets a daemon that ended (disowned: bash itself has collected it).
reap() {
  local role=$1 p=${pid[$1]:-}
  [ -n "$p" ] || return 0
  shm_clean "$p"
  unset "pid[$role]"
}

crash() {
  local role=$1
  echo "${R}${B}live: kill -9 ${pid[$role]}   # $role crashes: no goodbye, no cleanup${N}"
  kill -9 "${pid[$role]}" 2>/dev/null
  for _ in $(seq 100); do alive "$role" || break; sleep 0.05; done   # gone, even under load
  reap "$role"
}

restart() {
  local role=$1
  echo "${G}${B}live: $(command_of "$role")   # $role restarts on the same database${N}"
  start_node "$role"
  if ready "$role"; then echo "${G}live: $role is back, pid ${pid[$role]}${N}"
  else echo "${R}live: $role did not start; see $dir/$role.log${N}"; fi
}

cleanup() {
  trap - INT TERM EXIT
  local p role
  if [ -n "$payer" ]; then kill "$payer" 2>/dev/null; wait "$payer" 2>/dev/null; fi
  for role in "${!pid[@]}"; do alive "$role" && kill -TERM "${pid[$role]}" 2>/dev/null; done
  for _ in $(seq 30); do
    local up=0
    for role in "${!pid[@]}"; do alive "$role" && up=1; done
    [ $up = 0 ] && break
    sleep 0.1
  done
  for role in "${!pid[@]}"; do alive "$role" && kill -9 "${pid[$role]}" 2>/dev/null; done
  # A SIGKILL is delivered at once but the process takes its time to go, the longer the
  # more loaded the machine: "stopped everything" below must be true when it is read.
  for role in "${!pid[@]}"; do
    for _ in $(seq 100); do alive "$role" || break; sleep 0.05; done
  done
  for role in "${!pid[@]}"; do reap "$role"; done
  for p in "${!started[@]}"; do shm_clean "$p"; done
  [ -t 0 ] && stty sane 2>/dev/null
  echo "live: stopped everything it started. The databases and logs stay in $dir/:"
  echo "  $ctl --db $dir/payment.db stats"
  echo "  sqlite3 $dir/accounting.db \"SELECT count(*), count(DISTINCT payment_id) FROM voucher\""
}

# ---- what the class sees ---------------------------------------------------------------

# One line: rows per status, vouchers, who is up.
stats_line() {
  local s up="" role v
  s=$(run_timed "$ctl" --db "$dir/payment.db" stats 2>/dev/null)
  v=$(sqlite3 -cmd ".timeout 2000" "$dir/accounting.db" "SELECT count(*) FROM voucher" 2>/dev/null || echo "?")
  for role in "${ROLES[@]}"; do
    if alive "$role"; then up="$up ${G}$role${N}"; else up="$up ${R}${role}:DOWN${N}"; fi
  done
  local sending consumed failed dead oldest
  sending=$(awk '$1 == "SENDING" { print $2 }' <<<"$s")
  consumed=$(awk '$1 == "CONSUMED" { print $2 }' <<<"$s")
  failed=$(awk '$1 == "FAILED" { print $2 }' <<<"$s")
  dead=$(awk '$1 == "DEAD" { print $2 }' <<<"$s")
  oldest=$(sed -n 's/^oldest SENDING *\([^(]*\) (row [0-9]*, payment \([0-9]*\).*/\1 (payment \2)/p' <<<"$s")
  printf '%s%6.1fs%s  outbox: %s%s SENDING%s %s CONSUMED %s FAILED %s DEAD | vouchers %s | oldest SENDING %s |%s\n' \
    "$D" "$(awk -v a="$(date +%s.%N)" -v b="$t0" -v n="$speed" 'BEGIN { print (a - b) * n }')" "$N" \
    "$Y" "${sending:-?}" "$N" "${consumed:-?}" "${failed:-?}" "${dead:-?}" "$v" "${oldest:--}" "$up"
}

# A background client: one payment a second, ids 1, 2, ...; a payment that failed or
# got no answer is paid again with the same id (the id is the idempotency key).
start_payer() {
  (
    trap 'exit 0' TERM
    id=1
    while :; do
      if run_timed "$node" --role client --payment "tcp://127.0.0.1:$pport" --first-id "$id" \
          --amount $((1000 + id % 9000)) --account $((1 + id % 20)) >>"$dir/client.log" 2>&1; then
        id=$((id + 1))
      fi
      echo "$id" >"$dir/next-id"
      sleep 1
    done
  ) &
  payer=$!
}

menu() {
  echo "${B}keys:${N} a = crash/restart accounting   b = crash/restart broker   p = crash/restart payment"
  echo "      s = full outbox-ctl stats   q = quit (Ctrl-C works too)"
  echo "${D}pids: broker ${pid[broker]:-down}, accounting ${pid[accounting]:-down}, payment ${pid[payment]:-down};" \
       "logs: tail -f $dir/*.log${N}"
}

toggle() {
  local role=$1
  notice_gone   # a daemon killed elsewhere is restarted, not "crashed" again
  if alive "$role"; then crash "$role"; else restart "$role"; fi
  menu
}

interactive() {
  local key last=0
  interactive_on=1
  menu
  while :; do
    key=""
    IFS= read -rsn1 -t 1 key
    notice_gone
    case "$key" in
      a) toggle accounting ;;
      b) toggle broker ;;
      p) toggle payment ;;
      s) run_timed "$ctl" --db "$dir/payment.db" stats ;;
      q) return 0 ;;
    esac
    if [ $((SECONDS - last)) -ge $stats_every ]; then stats_line; last=$SECONDS; fi
  done
}

# The unattended story, bounded to about a minute of real time.
wait_all_consumed() {
  local n=0 next sending consumed
  while [ $n -lt $((60 / stats_every)) ]; do
    sleep $stats_every
    stats_line
    next=$(cat "$dir/next-id" 2>/dev/null || echo 1)
    sending=$(sqlite3 -cmd ".timeout 2000" "$dir/payment.db" "SELECT count(*) FROM outbox WHERE status='SENDING'" 2>/dev/null)
    consumed=$(sqlite3 -cmd ".timeout 2000" "$dir/payment.db" "SELECT count(*) FROM outbox WHERE status='CONSUMED'" 2>/dev/null)
    [ "${sending:-1}" = 0 ] && [ "${consumed:-0}" -ge $((next - 1)) ] && return 0
    n=$((n + 1))
  done
  return 1
}

story() {
  echo "live: unattended: pay for a few seconds, crash accounting, pay on, restart it, watch the rows catch up"
  sleep 4; stats_line
  crash accounting
  for _ in 1 2 3; do sleep $stats_every; stats_line; done
  kill "$payer" 2>/dev/null; wait "$payer" 2>/dev/null; payer=""
  restart accounting
  if wait_all_consumed; then echo "${G}live: every outbox row is CONSUMED: nothing was lost${N}"; return 0; fi
  echo "${R}live: rows still SENDING after a minute${N}"; return 1
}

# ---- main ----------------------------------------------------------------------------------

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$dir" || die "cannot create $dir"
rm -f "$dir"/*.db "$dir"/*.db-wal "$dir"/*.db-shm "$dir"/*.log "$dir/next-id"

# Free loopback ports: a daemon that cannot bind exits at once.
base=${LIVE_PORT:-5570}
bport="" pport=""
for try in 0 1 2 3 4 5 6 7; do
  bport=$((base + try * 2)); pport=$((bport + 1))
  rm -f "$dir/broker.log" "$dir/payment.log"
  start_node broker
  ready broker || { bport=""; continue; }
  start_node payment
  ready payment && break
  kill -9 "${pid[broker]}" 2>/dev/null; sleep 0.1; reap broker; bport=""
done
[ -n "$bport" ] || die "no free pair of loopback ports from $base (set LIVE_PORT)"
start_node accounting
ready accounting || die "accounting did not start; see $dir/accounting.log"

echo "${B}outbox-lab live${N}: three real daemons, ZeroMQ over tcp://127.0.0.1:$bport (broker) and :$pport (payments);"
if [ "$speed" -gt 1 ]; then echo "  clocks run ${speed}x (libfaketime): a 2 s retry interval passes in $(awk -v s="$speed" 'BEGIN { print 2 / s }') s"
else echo "  real time (SPEED=10 make live runs the clocks 10x)"; fi
for role in "${ROLES[@]}"; do echo "  ${B}$role${N} pid ${pid[$role]}: $(command_of "$role")"; done
echo "  client: one payment a second ($node --role client --payment tcp://127.0.0.1:$pport --first-id N)"
echo "  recovery scan every 1 s, republish after 2 s x attempt, broker redelivers after 5 s;"
echo "  times below are the services' clocks, in seconds since the start"
start_payer

if [ -t 0 ] && [ -z "${LIVE_AUTO:-}" ]; then
  interactive
else
  story
  exit $?
fi
