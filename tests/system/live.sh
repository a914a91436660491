#!/usr/bin/env bash
# live.sh: the three services as real daemons over ZeroMQ TCP on loopback, with real
# time, and a consumer crash in the middle.
#
# Starts broker, accounting and payment (bin/outbox-node, built beforehand) in a temp
# dir, pays 20 payments and waits until every outbox row is CONSUMED with one voucher
# each; then kill -9s accounting, pays 10 more (they must stay SENDING while it is
# down), restarts it on the same database and waits until all 30 are CONSUMED with
# exactly one voucher per payment.  Finally stops the daemons with SIGTERM, which must
# exit 0.  Every wait is bounded (30 s a run), and the logs of payment and accounting
# must hold no "error" line (a failed group COMMIT would log one).
#
# The whole story runs three times: with the default group commit (payment and
# accounting commit up to 64 frames from the broker per transaction and send their
# answers and acks after it), with --group 1 (every frame its own transaction, as
# before group commit), and with --group 2 (so that the redelivery burst after the
# restart is split into several groups within one drained batch).  Each must end with
# every outbox row CONSUMED and one voucher per payment.  First, the --group flag's
# refusals.  Prints "ok - live: <check>" per check passed (the format tests/run.sh
# counts) and a last line "live: ok ..." (exit 0), or "not ok - live: <why>" and the
# daemons' last log lines (exit 1).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bindir=${OUTBOX_BIN:-bin}                 # tests/run.sh sets it (build-asan/bin for asan)
case "$bindir" in /*) ;; *) bindir="$root/$bindir" ;; esac
node="$bindir/outbox-node"
ctl="$bindir/outbox-ctl"
budget=30                      # seconds for all waits of one run together
run=""                         # which run: "group 64", "group 1", ...
tag=live
# shellcheck source=tests/system/daemons.bash
source "$root/tests/system/daemons.bash"

[ -x "$node" ] || fail "$node is not built (run make)"
[ -x "$ctl" ] || fail "$ctl is not built (run make)"
command -v sqlite3 >/dev/null || fail "the sqlite3 command is missing (apt-get install sqlite3)"

# Short intervals so that the whole run takes seconds: the scan republishes every
# 0.2 s with a 0.5 s base interval, the broker redelivers after 0.5 s.
knobs=(--knob scan_interval=0.2 --knob retry_base=0.5 --knob retry_max=1
       --knob max_attempts=100 --knob visibility=0.5)

# pay FIRST COUNT: the client role; every answer must be OK.
pay() {
  "$node" --role client --payment "tcp://127.0.0.1:$pport" --first-id "$1" --count "$2" \
    --amount 1500 >>"$dir/client.log" 2>&1 || fail "client paying $1..$(($1 + $2 - 1)) failed"
}

# live_run K WANT FLAGS...: the whole story once (K-th run: its own ports), payment and
# accounting given FLAGS; their ready lines must say WANT ("group 64 frames per commit").
live_run() {
  local k=$1 want=$2; shift 2
  local flags=("$@") name code
  dir=$(mktemp -d "${TMPDIR:-/tmp}/outbox-live.XXXXXX")
  deadline=$((SECONDS + budget))
  start_front $((20000 + ($$ * 3 + k * 16) % 20000)) "${flags[@]}"
  start accounting --role accounting --db "$dir/accounting.db" --broker "tcp://127.0.0.1:$bport" \
    "${knobs[@]}" "${flags[@]}"
  ready accounting || fail "accounting did not start"
  for name in payment accounting; do
    grep -q "^$name ready .*, $want$" "$dir/$name.log" || fail "$name's ready line does not say '$want'"
  done

  ok "three daemons ready on ports $bport/$pport, payment and accounting with $want"
  pay 1 20
  wait_for "first 20 payments" "20 CONSUMED, 20 vouchers"
  ok "20 payments CONSUMED with 20 vouchers"

  kill9 accounting

  pay 21 10
  sending=$(q payment "SELECT count(*) FROM outbox WHERE status='SENDING'")
  [ "$sending" = 10 ] || fail "with accounting down, wanted 10 SENDING rows, got $sending"
  ok "accounting killed -9: 10 more payments committed and left SENDING"

  mv "$dir/accounting.log" "$dir/accounting-killed.log"
  start accounting --role accounting --db "$dir/accounting.db" --broker "tcp://127.0.0.1:$bport" \
    "${knobs[@]}" "${flags[@]}"
  ready accounting || fail "restarted accounting did not start"
  wait_for "all 30 payments after the restart" "30 CONSUMED, 30 vouchers"

  # Exactly one voucher per payment, with the payment's amount, for payments 1..30.
  dupes=$(q accounting "SELECT count(*) FROM (SELECT payment_id FROM voucher GROUP BY payment_id HAVING count(*) > 1)")
  [ "$dupes" = 0 ] || fail "$dupes payments have more than one voucher"
  range=$(q accounting "SELECT count(DISTINCT payment_id) || ' ' || min(payment_id) || ' ' || max(payment_id) || ' ' || sum(amount != 1500) FROM voucher")
  [ "$range" = "30 1 30 0" ] || fail "vouchers: wanted payments 1..30 of 15.00 each, got '$range' (count min max wrong-amounts)"
  "$ctl" --db "$dir/payment.db" list --status SENDING | grep -q "^no SENDING outbox rows$" \
    || fail "outbox-ctl still lists SENDING rows"
  ok "accounting restarted: 30 CONSUMED, exactly one voucher per payment 1..30" \
     "(broker lost $(grep -c "^broker lost " "$dir/broker.log" || true) frames meanwhile)"
  ! grep -q " error " "$dir/payment.log" "$dir/accounting.log" \
    || fail "an error in the logs: $(grep -h " error " "$dir/payment.log" "$dir/accounting.log" | head -n 1)"

  # A clean stop: SIGTERM closes each service and exits 0.
  for name in payment accounting broker; do
    kill -TERM "${pid[$name]}"
    code=0; wait "${pid[$name]}" || code=$?
    unset "pid[$name]"
    [ "$code" = 0 ] || fail "$name exited $code on SIGTERM"
    grep -q "^$name stopped pay=0 on SIGTERM$" "$dir/$name.log" || fail "$name did not log its clean stop"
  done

  ok "SIGTERM stops each daemon cleanly"
  rm -rf "$dir"
  dir=""
}

# --group: one clear line and exit 2 where it does not apply; nothing is opened.
refused() {   # refused WHAT PATTERN ARGS...
  local what=$1 pattern=$2 out code=0; shift 2
  out=$("$node" "$@" 2>&1) || code=$?
  [ "$code" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && grep -q -- "$pattern" <<<"$out" \
    || fail "--group $what: wanted exit 2 and one line with '$pattern', got $code: $out"
}
refused "for the broker" "^outbox-node: --group: not for the broker" --role broker --db /nonexistent/b.db --group 1
refused "for the client" "^outbox-node: --group: the client role" --role client --group 4
refused "under --sim" "^outbox-node: --group: live only" --role accounting --db /nonexistent/a.db --sim ipc:///nonexistent --group 4
refused "with a weak design" "^outbox-node: --group: only design outbox groups commits; design ack-before-apply" \
  --role accounting --db /nonexistent/a.db --design ack-before-apply --group 4
refused "out of range" "^outbox-node: --group: expected an integer in 1..1024, got '0'" --role payment --db /nonexistent/p.db --group 0
ok "--group is refused in one line for the broker, the client, --sim, a weak design and 0"

run="group 64"; live_run 0 "group 64 frames per commit"
run="group 1"; live_run 1 "group 1 (off)" --group 1
run="group 2"; live_run 2 "group 2 frames per commit" --group 2
run=""
echo "live: ok 30 payments CONSUMED with one voucher each, accounting killed -9 and restarted," \
     "with group commit of 64 (the default), 1 (off) and 2 frames; ${SECONDS}s"
