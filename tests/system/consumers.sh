#!/usr/bin/env bash
# consumers.sh: competing consumers as real daemons (issue 14, item 3): one broker with
# the knob accounting_instances=2, two accounting processes on ONE accounting database
# ("accounting", the first instance's name and the default of --name, and "--name
# accounting-2"), a payment daemon, over ZeroMQ TCP with real time.
#
# The story: 40 payments are spread over both instances (each must apply some); then
# 200 payments are paid while accounting is killed -9 in the middle of them, with
# deliveries in flight to it: the broker redelivers them, after the visibility timeout,
# to accounting-2 (the next consumer), which finds in the shared inbox whatever
# accounting committed before it died.  All 240 must end CONSUMED with exactly one
# voucher each while accounting stays dead.  Then it is restarted and takes its turn
# again.  Every wait is bounded.  First, --name's refusals.  Prints
# "ok - consumers: <check>" per check, "not ok - ..." and the daemons' last log lines
# on a failure (exit 1).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bindir=${OUTBOX_BIN:-bin}
case "$bindir" in /*) ;; *) bindir="$root/$bindir" ;; esac
node="$bindir/outbox-node"
budget=60
tag=consumers
# shellcheck source=tests/system/daemons.bash
source "$root/tests/system/daemons.bash"

[ -x "$node" ] || fail "$node is not built (run make)"
command -v sqlite3 >/dev/null || fail "the sqlite3 command is missing (apt-get install sqlite3)"

# --name: one clear line and exit 2 for a name that does not say its role; nothing opened.
refused() {   # refused PATTERN ARGS...
  local pattern=$1 out code=0; shift
  out=$("$node" "$@" 2>&1) || code=$?
  [ "$code" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && grep -q -- "$pattern" <<<"$out" \
    || fail "--name: wanted exit 2 and one line with '$pattern', got $code: $out"
}
refused "^outbox-node: --name: expected accounting or accounting-N with N in 2..16, got 'broker'$" \
  --role accounting --db /nonexistent/a.db --name broker
refused "got 'accounting-1'$" --role accounting --db /nonexistent/a.db --name accounting-1
refused "got 'accounting-17'$" --role accounting --db /nonexistent/a.db --name accounting-17
refused "got 'accounting-'$" --role accounting --db /nonexistent/a.db --name accounting-
refused "got 'accountingx'$" --role accounting --db /nonexistent/a.db --name accountingx
refused "^outbox-node: --name: the client role has no address$" --role client --name accounting
[ ! -e /nonexistent ] || fail "a refused flag left something behind"
ok "--name is refused in one line for another role's name, 1 (the first is plain accounting), 17, an empty or a glued suffix, the client"

# ---- under the simulator: topology { accounting = M } ----
sim="$bindir/outbox-sim"
[ -x "$sim" ] || fail "$sim is not built (run make)"
sdir=$(mktemp -d "${TMPDIR:-/tmp}/outbox-consumers-sim.XXXXXX")
dir=$sdir   # cleaned up with the rest
code=0; "$sim" run "$root/scenarios/consumers-crash.lua" --seed 1 --out "$sdir/c" --quiet || code=$?
[ "$code" = 0 ] || fail "consumers-crash.lua under outbox: wanted exit 0, got $code"
t="$sdir/c/consumers-crash/1/trace.jsonl"
for n in accounting accounting-2 accounting-3; do
  grep -q "\"ev\":\"note\",\"node\":\"$n\",\"kind\":\"apply\"" "$t" || fail "$n applied nothing"
done
grep -q '"ev":"crash","node":"accounting-2","life":2,"at":"accounting.after_apply"' "$t" \
  || fail "accounting-2's second crash at its 10th accounting.after_apply did not happen"
grep -q '"kind":"duplicate","pay":[0-9]*,"detail":"msg [0-9]* already APPLIED' "$t" \
  || fail "no instance absorbed a copy another had applied"
ok "consumers-crash.lua: three instances each apply, two crash mid-delivery, every invariant holds"
code=0; "$sim" run "$root/scenarios/consumers-dedupe-per-instance.lua" --seed 1 --out "$sdir/d" --quiet || code=$?
[ "$code" = 0 ] || fail "consumers-dedupe-per-instance.lua: its expected breaks: wanted exit 0, got $code"
grep -q '"exactly_once": {"ok": false' "$sdir/d/consumers-dedupe-per-instance/1/summary.json" \
  || fail "dedupe-per-instance did not break exactly_once"
out=$("$sim" run "$root/scenarios/consumers-dedupe-per-instance.lua" --seed 1 --design outbox \
  --out "$sdir/o" 2>&1) && code=0 || code=$?
[ "$code" = 1 ] && grep -q "expected exactly_once to be broken, but it held" <<<"$out" \
  || fail "the same story under outbox: wanted exactly_once to hold (exit 1), got $code: $out"
ok "consumers-dedupe-per-instance.lua: a redelivery to the other instance is booked twice; under outbox it is not"
bad() {   # bad WHAT PATTERN LUA: a scenario error, one line, exit 2
  printf '%s\n' "$3" >"$sdir/bad.lua"
  out=$("$sim" run "$sdir/bad.lua" --out "$sdir/b" --quiet 2>&1) && code=0 || code=$?
  [ "$code" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && grep -q -- "$2" <<<"$out" \
    || fail "$1: wanted exit 2 and one line with '$2', got $code: $out"
}
head='scenario { name = "x", workload = { payments = 2 } }'
bad "accounting = 5" "bad.lua:2: topology: 'accounting' must be an integer from 1 to 4, got 5" \
  "$head"$'\ntopology { accounting = 5 }'
bad "the knob" "knobs: 'accounting_instances' is set by the simulator from topology { accounting = M }" \
  'scenario { name = "x", knobs = { accounting_instances = 2 }, workload = { payments = 2 } }'
bad "a node not in the topology" "unknown node 'accounting-3'" \
  "$head"$'\ntopology { accounting = 2 }\ncrash { node = "accounting-3", at = 1 }'
bad "a power cut of the shared file" \
  "power_loss: accounting-2 shares the accounting database with other processes (topology { accounting = 2 })" \
  "$head"$'\ntopology { accounting = 2 }\npower_loss { node = "accounting-2", at = 1 }'
ok "topology { accounting = M }: out of range, the knob set by hand, an absent instance, a power cut of the shared file: one line, exit 2"
# shrink writes the topology and the instance back (sim/scenario/lg.c)
cat >"$sdir/t.lua" <<'LUA'
scenario { name = "t", design = "dedupe-per-instance", workload = { payments = 20, rate = 10 },
           run = 5, settle = 40 }
topology { accounting = 2 }
crash { node = "accounting-2", at_failpoint = "accounting.after_apply", hit = 2, restart_after = 1 }
drop { link = "accounting->broker", queue = "ACC_QUEUE", p = 0.2, stop = 3 }
LUA
"$sim" run "$sdir/t.lua" --seed 1 --out "$sdir/r" --quiet >/dev/null 2>&1 && fail "t.lua: wanted a failure"
"$sim" shrink "$sdir/r/t/1" --out "$sdir/shrunk.lua" >/dev/null 2>&1 || fail "shrink failed"
grep -q '^topology { accounting = 2 }$' "$sdir/shrunk.lua" || fail "shrink lost the topology"
grep -q '^crash { node = "accounting-2", at_failpoint = "accounting.after_apply"' "$sdir/shrunk.lua" \
  || fail "shrink lost the instance of the crash"
code=0; "$sim" run "$sdir/shrunk.lua" --seed 1 --out "$sdir/r2" --quiet >/dev/null 2>&1 || code=$?
[ "$code" = 1 ] || fail "the shrunk scenario: wanted exit 1 (exactly_once), got $code"
ok "shrink writes topology { accounting = 2 } and the crash of accounting-2 back; the result still fails"
rm -rf "$sdir"
dir=""

# Short intervals: the broker redelivers after 0.5 s, the scan republishes every 0.2 s.
knobs=(--knob scan_interval=0.2 --knob retry_base=0.5 --knob retry_max=1
       --knob max_attempts=1000 --knob visibility=0.5 --knob accounting_instances=2)

pay() {   # pay FIRST COUNT
  "$node" --role client --payment "tcp://127.0.0.1:$pport" --first-id "$1" --count "$2" \
    --amount 700 >>"$dir/client.log" 2>&1
}

applied() { grep -c "^$1 apply " "$dir/$2.log" || true; }   # applied WORD LOGNAME

one_each() {   # one_each N: exactly one voucher per payment 1..N
  local got
  got=$(q accounting "SELECT count(*) || ' ' || count(DISTINCT payment_id) || ' ' || min(payment_id) || ' ' || max(payment_id) FROM voucher")
  [ "$got" = "$1 $1 1 $1" ] || fail "vouchers: wanted $1 for payments 1..$1 (count distinct min max), got '$got'"
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/outbox-consumers.XXXXXX")
deadline=$((SECONDS + budget))   # the daemons' own budget, whatever the runs above took
start_front $((20000 + ($$ * 7) % 20000))
names() { if [ "$1" = 1 ]; then echo accounting; else echo "accounting-$1"; fi; }
for i in 1 2; do
  start "acc$i" --role accounting --name "$(names $i)" --db "$dir/accounting.db" \
    --broker "tcp://127.0.0.1:$bport" "${knobs[@]}"
  ready "acc$i" "$(names $i)" || fail "accounting-$i did not start"
done
ok "broker, payment and two accounting instances on one database ready on ports $bport/$pport"

pay 1 40 || fail "paying 1..40 failed"
wait_for "the first 40 payments" "40 CONSUMED, 40 vouchers"
one_each 40
a1=$(applied accounting acc1) a2=$(applied accounting-2 acc2)
[ "$a1" -gt 0 ] && [ "$a2" -gt 0 ] && [ $((a1 + a2)) = 40 ] \
  || fail "wanted both instances to apply some of 40, together 40: $a1 + $a2"
ok "40 payments spread over both instances ($a1 + $a2 applied), one voucher each"

# to_acc1 FROM: 1 if broker.log shows a delivery held by accounting (sent to it, not
# acked since) or, from line FROM on, one sent to it; else 0.
to_acc1() {
  awk -v from="$1" '
    / to accounting[, ]/ && /^broker (re)?deliver / {
      for (i = 1; i < NF; i++) if ($i == "delivery") held[$(i + 1)] = 1
      if (NR >= from) sent = 1
    }
    / to accounting-[0-9]+[, ]/ && /^broker (re)?deliver / {
      for (i = 1; i < NF; i++) if ($i == "delivery") delete held[$(i + 1)]
    }
    /^broker ack / { for (i = 1; i < NF; i++) if ($i == "delivery") delete held[$(i + 1)] }
    END { n = sent; for (d in held) n = 1; print n }' "$dir/broker.log"
}

# accounting dies in the middle of 200 payments, with deliveries in flight to it: it is
# stopped first, and killed once the broker is seen to hold a delivery for it (how fast
# it applied until then is the machine's business, not the story's).
pay 41 200 &
payer=$!
while [ $SECONDS -lt $deadline ] && [ "$(q accounting "SELECT count(*) FROM voucher")" -lt 90 ]; do
  sleep 0.02
done
kill -STOP "${pid[acc1]}"
from=$(($(wc -l <"$dir/broker.log") + 1))
until [ "$(to_acc1 "$from")" = 1 ]; do
  [ $SECONDS -lt $deadline ] || fail "accounting stopped: no delivery in flight to it within ${budget}s"
  sleep 0.02
done
kill9 acc1
wait "$payer" || fail "paying 41..240 failed"
wait_for "240 payments with accounting dead" "240 CONSUMED, 240 vouchers"
one_each 240
lost=$(grep -c "^broker lost pay=[0-9]* DELIVER PAYMENT to accounting " "$dir/broker.log" || true)
moved=$(grep -c "^broker redeliver pay=[0-9]* .* to accounting-2 again" "$dir/broker.log" || true)
[ "$moved" -gt 0 ] || fail "wanted deliveries redelivered to accounting-2 after accounting died: none"
ok "accounting killed -9 mid-stream: 240 CONSUMED, one voucher each, by accounting-2 alone" \
   "($lost deliveries to the dead instance lost, $moved redelivered to accounting-2)"
dups=$(grep -c "^accounting-2 duplicate " "$dir/acc2.log" || true)
echo "# accounting-2 answered $dups duplicates (what accounting committed before its ack)"

mv "$dir/acc1.log" "$dir/acc1-killed.log"
start acc1 --role accounting --name accounting --db "$dir/accounting.db" \
  --broker "tcp://127.0.0.1:$bport" "${knobs[@]}"
ready acc1 accounting || fail "restarted accounting did not start"
sleep 0.2   # its connection to the broker is made in the background
pay 241 20 || fail "paying 241..260 failed"
wait_for "260 payments after the restart" "260 CONSUMED, 260 vouchers"
one_each 260
[ "$(applied accounting acc1)" -gt 0 ] || fail "the restarted accounting applied nothing"
ok "accounting restarted takes its turn again: 260 CONSUMED, one voucher each"
! grep -q " error " "$dir"/acc*.log "$dir/payment.log" \
  || fail "an error in the logs: $(grep -h " error " "$dir"/acc*.log "$dir/payment.log" | head -n 1)"
for name in payment acc1 acc2 broker; do
  kill -TERM "${pid[$name]}"
  code=0; wait "${pid[$name]}" || code=$?
  unset "pid[$name]"
  [ "$code" = 0 ] || fail "$name exited $code on SIGTERM"
done
ok "SIGTERM stops each daemon cleanly"
echo "consumers: ok 260 payments, two accounting instances on one inbox, one killed -9; ${SECONDS}s"
