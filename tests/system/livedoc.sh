#!/usr/bin/env bash
# tests/system/livedoc.sh: docs/live.md, run as written.  Every command in its ```sh
# blocks runs, in order, against real daemons, with what its prose tells the reader to
# do in between (Ctrl-C a daemon, wait for the scan, restart the broker) done here, and
# the facts the page states about each command's output checked.  Only the paths and
# ports change: /tmp/live-*.db go to a temp dir, and the daemons and the client get
# free loopback ports (--broker, --listen, --payment) instead of the defaults.  A
# command this test has no rule for is a failure: a new command gets one here.
source "$(dirname "$0")/lib.bash"

DOC=docs/live.md
bindir=${OUTBOX_BIN:-bin}
case "$bindir" in /*) ;; *) bindir="$PWD/$bindir" ;; esac
D=$OUT/live
mkdir -p "$D"
declare -A pid=()
base=$((31000 + ($$ % 4000) * 2))
for _ in $(seq 20); do
  [ -z "$(ss -Hltn "( sport = :$base or sport = :$((base + 1)) )" 2>/dev/null)" ] && break
  base=$((base + 2))
done
bp=$base pp=$((base + 1))
stop_all() { local r; for r in "${!pid[@]}"; do kill -9 "${pid[$r]}" 2>/dev/null; wait "${pid[$r]}" 2>/dev/null; done; }
trap 'stop_all; rm -rf "$OUT"' EXIT

# The page's command with this test's paths and ports.
localize() {
  local c=${1//\/tmp\/live-/$D/live-}
  c=${c//bin\/outbox-/$bindir/outbox-}
  case $c in
    *"--role client"*) c="$c --payment tcp://127.0.0.1:$pp" ;;
    *"--role payment"*) c="$c --broker tcp://127.0.0.1:$bp --listen tcp://127.0.0.1:$pp" ;;
    *"--role broker"*|*"--role accounting"*) c="$c --broker tcp://127.0.0.1:$bp" ;;
  esac
  echo "$c"
}
# daemon ROLE CMD: starts it in the background, waits for its ready line (10 s).
daemon() {
  local role=$1 n
  n=$(grep -c "^$role ready " "$D/$role.log" 2>/dev/null)
  # shellcheck disable=SC2086   # the page's command, split as a shell would
  ( exec $2 >>"$D/$role.log" 2>&1 ) &
  pid[$role]=$!
  for _ in $(seq 1200); do
    [ "$(grep -c "^$role ready " "$D/$role.log")" -gt "${n:-0}" ] && return 0
    kill -0 "${pid[$role]}" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
# ctrl_c ROLE: the page's Ctrl-C: SIGINT; the daemon says "stopped" and exits 0.
ctrl_c() {
  local role=$1 rc
  kill -INT "${pid[$role]}"; wait "${pid[$role]}"; rc=$?; unset "pid[$role]"
  [ $rc -eq 0 ] && tail -n 1 "$D/$role.log" | grep -q "^$role stopped pay=0 on SIGINT"
}
# until_ok SECONDS CMD...: polls CMD until it succeeds.
until_ok() { local n=$(($1 * 10)); shift; while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done; return 1; }
sql() { sqlite3 -cmd ".timeout 2000" "$D/live-$1.db" "$2"; }
no_sending() { [ "$(sql payment "SELECT count(*) FROM outbox WHERE status='SENDING'")" = 0 ]; }
consumed_is() { [ "$(sql payment "SELECT count(*) FROM outbox WHERE status='CONSUMED'")" = "$1" ]; }
row_is() { [ "$(sql payment "SELECT status FROM outbox WHERE id=$1")" = "$2" ]; }
out_has() { grep -q -- "$1" "$OUT/cmd.out"; }

awk '/^```sh$/ { on = 1; next } on && /^```$/ { on = 0; next } on && NF' "$DOC" >"$OUT/commands"
check "$DOC shows its commands (found $(wc -l <"$OUT/commands"))" test "$(wc -l <"$OUT/commands")" -ge 20
while IFS= read -r cmd; do
  c=$(localize "$cmd")
  case $cmd in
    "make bin/outbox-node bin/outbox-ctl")
      targets_exist() { make -n bin/outbox-node bin/outbox-ctl >/dev/null 2>&1; }
      check "$cmd: the targets exist" targets_exist ;;
    "bin/outbox-node --role broker --db /tmp/live-broker.db")
      check "$cmd: ready" daemon broker "$c" ;;
    "bin/outbox-node --role accounting --db /tmp/live-accounting.db")
      check "$cmd: ready" daemon accounting "$c"
      [ -n "${killed:-}" ] && check "... every row becomes CONSUMED within seconds" until_ok 30 no_sending ;;
    "bin/outbox-node --role payment --db /tmp/live-payment.db")
      check "$cmd: ready" daemon payment "$c"
      check "... its ready line is the page's" grep -q '^payment ready pay=0 pid [0-9]*, design outbox, db .*, group 64 frames per commit$' "$D/payment.log" ;;
    "bin/outbox-node --role payment --db /tmp/live-payment.db --knob max_attempts=2 --knob retry_base=1")
      # "Stop accounting (Ctrl-C in terminal 2). Restart payment (Ctrl-C in terminal 3)"
      check "Ctrl-C stops accounting: exit 0, 'stopped'" ctrl_c accounting
      check "Ctrl-C stops payment: exit 0, 'stopped'" ctrl_c payment
      check "$cmd: ready" daemon payment "$c" ;;
    "bin/outbox-node --role accounting --db /tmp/live-accounting.db --knob frozen=13")
      # "Restart the broker (Ctrl-C in terminal 1, same command)"
      check "Ctrl-C stops the broker" ctrl_c broker
      check "the broker restarts" daemon broker "$(localize "bin/outbox-node --role broker --db /tmp/live-broker.db")"
      check "$cmd: ready" daemon accounting "$c" ;;
    "bin/outbox-node --role accounting --db /tmp/live-accounting.db --design ack-before-apply --group 8")
      $c >"$OUT/cmd.out" 2>&1; rc=$?
      check "$cmd: refused, exit 2" test $rc -eq 2
      check "... with the page's message" out_has "outbox-node: --group: only design outbox groups commits; design ack-before-apply keeps one transaction per frame (--group 1)" ;;
    "bin/outbox-node --role client "*)
      $c >"$OUT/cmd.out" 2>&1; rc=$?
      first=$(sed -n 's/.*--first-id \([0-9]*\).*/\1/p' <<<"$cmd"); first=${first:-1}
      check "$cmd: exit 0, OK $first" sh -c "[ $rc -eq 0 ] && grep -qx 'OK $first' '$OUT/cmd.out'" ;;
    "kill -9 13346")
      kill -9 "${pid[accounting]}"; wait "${pid[accounting]}" 2>/dev/null; unset "pid[accounting]"; killed=1
      ok "$cmd: accounting's pid instead" ;;
    "bin/outbox-ctl --db /tmp/live-payment.db list --status DEAD")
      # "Five seconds later the row is DEAD"
      check "row 16 becomes DEAD within seconds" until_ok 20 row_is 16 DEAD
      $c >"$OUT/cmd.out" 2>&1
      check "$cmd: row 16, payment 100, DEAD after 2 attempts" grep -Eq '^ +16 +100  DEAD +2  -  ' "$OUT/cmd.out" ;;
    "bin/outbox-ctl --db /tmp/live-payment.db list --status FAILED")
      check "row 17 becomes FAILED within seconds" until_ok 20 row_is 17 FAILED
      $c >"$OUT/cmd.out" 2>&1
      check "$cmd: row 17, payment 200" grep -Eq '^ +17 +200  FAILED ' "$OUT/cmd.out" ;;
    "bin/outbox-ctl --db /tmp/live-payment.db requeue 16")
      $c >"$OUT/cmd.out" 2>&1
      check "$cmd: the page's answer" out_has "outbox row 16 (payment 100) requeued: SENDING, attempts 0, due at the next scan"
      check "... and a second later it is CONSUMED" until_ok 20 row_is 16 CONSUMED ;;
    "bin/outbox-ctl --db /tmp/live-payment.db list --status SENDING")
      $c >"$OUT/cmd.out" 2>&1; rc=$?
      if [ -n "${killed:-}" ] && [ -n "${pid[accounting]:-}" ]; then
        check "$cmd (after the restart): no SENDING outbox rows" out_has "^no SENDING outbox rows$"
      else
        check "$cmd (accounting down): rows 11.. stay SENDING" grep -Eq '^ +11 +11  SENDING ' "$OUT/cmd.out"
      fi ;;
    "bin/outbox-ctl --db "*)
      # The page runs stats once the client's ten payments came back; on a loaded
      # machine their answers can trail the client's exit, so wait for them first.
      case $cmd in *stats) until_ok 30 consumed_is 10 ;; esac
      $c >"$OUT/cmd.out" 2>&1; rc=$?
      check "$cmd: exit 0" test $rc -eq 0
      case $cmd in
        *stats) check "... 10 rows CONSUMED, none SENDING" sh -c "grep -q '^  CONSUMED          10$' '$OUT/cmd.out' && grep -q '^oldest SENDING  -$' '$OUT/cmd.out'" ;;
        *"show 16") check "... DEAD, with its DEAD_LETTER alert" out_has "DEAD_LETTER  payment 100 dead after 2 attempts (outbox row 16)" ;;
        *"show 17") check "... the payment REFUNDED, the reason the frozen account" sh -c "grep -q '^  status    REFUNDED$' '$OUT/cmd.out' && grep -q 'reason    account 13 is frozen' '$OUT/cmd.out'" ;;
        *"list --limit 5") check "... 5 of 10 rows shown" out_has "^(5 of 10 rows shown; --limit N shows more)$" ;;
      esac ;;
    "sqlite3 "*)
      bash -c "$c" >"$OUT/cmd.out" 2>&1; rc=$?
      check "$cmd: exit 0" test $rc -eq 0
      case $cmd in
        *"count(DISTINCT payment_id)"*) check "... 15|15: one voucher per payment" out_has '^15|15$' ;;
        *"FROM outbox LIMIT 3"*) check "... 1|1|CONSUMED|1" out_has '^1|1|CONSUMED|1$' ;;
      esac ;;
    "rm -f "*)
      # "Ctrl-C in terminals 1 to 3 (each prints <role> stopped pay=0 on SIGINT)"
      for r in broker accounting payment; do check "Ctrl-C stops $r: exit 0, 'stopped'" ctrl_c "$r"; done
      bash -c "$c"
      check "$cmd: the databases are gone" test -z "$(ls "$D"/live-*.db* 2>/dev/null)" ;;
    "make live")
      ok "$cmd: run by tests/system/livescript.sh (in tmux)" ;;
    *) notok "$DOC: no rule runs this command (add one to tests/system/livedoc.sh): $cmd" ;;
  esac
done <"$OUT/commands"
