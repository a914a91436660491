#!/usr/bin/env bash
# Bad input, a catalogue: each case gets one clear line naming the problem and where,
# the documented exit code, and nothing left behind.
#
#   scenario files   missing, a directory, unreadable, Lua syntax, a runtime error in a
#                    callback, unknown names (service, link, queue, failpoint, design,
#                    knob, invariant), negative, absurd and NaN times and rates
#   command lines    unknown flag or command, bad or missing values
#   databases        another program's SQLite file, a file that is not SQLite, another
#                    role's database: refused by outbox-ctl (exit 2) and outbox-node
#                    (exit 3), the file left as it was
#   frames           truncated, oversized, huge, unknown type, bad magic, trailing bytes,
#                    empty, multi-part, sent to a live broker by tests/tools/frame-send;
#                    garbage on the payment daemon's client port.  The daemons log one
#                    "reject" line each, keep running, still carry a good payment end to
#                    end, and stop cleanly (exit 0) on SIGTERM.
# Unreadable: the tests run as root, whom chmod 000 does not stop, so the simulator is
# run as user nobody (setpriv) on a mode-000 file; without setpriv that case is skipped.
# The live daemons listen on ipc:// sockets in the test's temp dir: no port can clash.
source "$(dirname "$0")/lib.bash"
NODE=${OUTBOX_BIN:-bin}/outbox-node
CTL=${OUTBOX_BIN:-bin}/outbox-ctl
SEND=${BUILD:-build}/tools/frame-send

# one_line FILE: exactly one line (usage errors end with a "(see outbox-sim --help)" hint).
one_line() { test "$(wc -l <"$1")" -eq 1; }

expect_error() {   # what code pattern args...
  local what=$1 code=$2 pattern=$3; shift 3
  sim "$@"
  local rc=$?
  check "$what: exit $code" test $rc -eq "$code"
  check "$what: says '$pattern'" grep -q -- "$pattern" "$OUT/last.err"
  check "$what: in one line" one_line "$OUT/last.err"
}
mk() { printf '%s\n' "$2" >"$OUT/$1.lua"; }
HEAD='scenario { name = "x", workload = { payments = 2, rate = 1 }, run = 5, settle = 5 }'

# ---- scenario files ----------------------------------------------------------------
mk syntax 'scenario { name = "x", workload = { payments = 1, rate = 1 }, run = 5, settle = 5 '
mk unknown_node "$HEAD"$'\ndrop { link = "paymnt->broker", p = 0.5 }'
mk callback "$HEAD"'
at(1, function()
  local t = nil
  return t.field
end)'
mk rate 'scenario { name = "x", workload = { payments = 1, rate = -5 }, run = 5, settle = 5 }'
mk io 'io.open("/etc/passwd")'
mk service "$HEAD"$'\ncrash { node = "paymnt", at = 1 }'
mk link "$HEAD"$'\ndrop { link = "payment->accounting", p = 0.5 }'
mk queue "$HEAD"$'\ndrop { link = "payment->broker", queue = "PAY_QUEU" }'
mk failpoint "$HEAD"$'\ncrash { node = "payment", at_failpoint = "payment.after_comit" }'
mk design 'scenario { name = "x", design = "outbx" }'
mk knob 'scenario { name = "x", knobs = { retyr = "linear" } }'
mk invariant "$HEAD"$'\nexpect { violated = { "exactly_onc" } }'
mk negative_time "$HEAD"$'\nat(-3, function() end)'
mk absurd_time "$HEAD"$'\nat(1e300, function() end)'
mk absurd_run 'scenario { name = "x", run = 1e9 }'
mk nan_run 'scenario { name = "x", run = 0/0 }'
mk absurd_rate 'scenario { name = "x", workload = { payments = 2, rate = 1e12 }, run = 5 }'
mk probability "$HEAD"$'\ndrop { link = "payment->broker", p = 2 }'
mk restart "$HEAD"$'\ncrash { node = "payment", at = 1, restart_after = -1 }'

expect_error "missing scenario" 2 "nope.lua" run "$OUT/nope.lua"
mkfifo "$OUT/fifo.lua"
expect_error "a fifo as scenario" 2 "not a regular file" run "$OUT/fifo.lua"
expect_error "a directory as scenario" 2 "cannot read scenario: not a regular file" run "$OUT"
if [ "$(id -u)" != 0 ]; then
  cp "$OUT/rate.lua" "$OUT/noperm.lua"; chmod 000 "$OUT/noperm.lua"
  expect_error "unreadable scenario" 2 "noperm.lua: cannot read scenario: Permission denied" run "$OUT/noperm.lua"
elif command -v setpriv >/dev/null; then
  cp "$OUT/rate.lua" "$OUT/noperm.lua"; chmod 000 "$OUT/noperm.lua"; chmod 711 "$OUT"
  timeout -k 5 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$SIM" run "$OUT/noperm.lua" >"$OUT/last.out" 2>"$OUT/last.err"
  rc=$?
  chmod 700 "$OUT"
  check "unreadable scenario (as nobody): exit 2" test $rc -eq 2
  check "unreadable scenario (as nobody): says so" grep -q "noperm.lua: cannot read scenario: Permission denied" "$OUT/last.err"
  check "unreadable scenario (as nobody): in one line" one_line "$OUT/last.err"
else
  skip "unreadable scenario: skipped (root, and no setpriv to drop privileges)"
fi
expect_error "syntax error" 2 "syntax.lua:" run "$OUT/syntax.lua"
expect_error "unknown node" 2 "unknown_node.lua:2:" run "$OUT/unknown_node.lua"
expect_error "runtime error in a callback" 2 "callback.lua:4:" run "$OUT/callback.lua" --out "$OUT/runs"
expect_error "negative rate" 2 "rate.lua:1:" run "$OUT/rate.lua"
expect_error "sandbox: no io" 2 "io.lua:1:" run "$OUT/io.lua"
expect_error "unknown service" 2 "service.lua:2: crash: unknown node 'paymnt'" run "$OUT/service.lua"
expect_error "unknown link" 2 "link.lua:2: drop: no frame travels payment->accounting" run "$OUT/link.lua"
expect_error "unknown queue" 2 "queue.lua:2: drop: unknown queue 'PAY_QUEU'" run "$OUT/queue.lua"
expect_error "unknown failpoint" 2 "failpoint.lua:2: crash: unknown failpoint 'payment.after_comit'" run "$OUT/failpoint.lua"
expect_error "unknown design in a scenario" 2 "design.lua:1: scenario: unknown design 'outbx'" run "$OUT/design.lua"
expect_error "unknown knob" 2 "knob.lua:1: scenario: knobs: unknown knob 'retyr'" run "$OUT/knob.lua"
expect_error "unknown invariant" 2 "invariant.lua:2: expect: unknown invariant 'exactly_onc'" run "$OUT/invariant.lua"
expect_error "negative time" 2 "negative_time.lua:2: at: 'time'" run "$OUT/negative_time.lua"
expect_error "absurd time" 2 "absurd_time.lua:2: at: 'time'" run "$OUT/absurd_time.lua"
expect_error "absurd run length" 2 "absurd_run.lua:1: scenario: 'run'" run "$OUT/absurd_run.lua"
expect_error "NaN run length" 2 "nan_run.lua:1: scenario: 'run'" run "$OUT/nan_run.lua"
expect_error "absurd rate" 2 "absurd_rate.lua:1: scenario: 'workload.rate'" run "$OUT/absurd_rate.lua"
expect_error "probability over 1" 2 "probability.lua:2: drop: 'p'" run "$OUT/probability.lua"
expect_error "negative restart delay" 2 "restart.lua:2: crash: 'restart_after'" run "$OUT/restart.lua"

# ---- command lines -------------------------------------------------------------------
expect_error "unknown flag" 2 "unknown flag '--sed'" run scenarios/clean.lua --sed 3
expect_error "bad seed" 2 "--seed" run scenarios/clean.lua --seed -1
expect_error "missing flag value" 2 "--seed" run scenarios/clean.lua --seed
expect_error "unknown design" 2 "unknown design 'outbx'" run scenarios/clean.lua --design outbx
expect_error "unknown command" 2 "unknown command" frobnicate
check "nothing left behind by the scenario and flag errors" leftovers "$OUT"

# ---- databases from another program --------------------------------------------------
db=$OUT/db
mkdir -p "$db"
sqlite3 "$db/foreign.db" "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT);
                          INSERT INTO customers VALUES (1, 'ada');"
sqlite3 "$db/outbox-named.db" "CREATE TABLE outbox(id, body); INSERT INTO outbox VALUES (1, 'x');"
head -c 8192 /dev/urandom >"$db/random.db"
printf 'payment_id,amount\n1,100\n' >"$db/text.db"
sim run scenarios/clean.lua --seed 1 --out "$OUT/dbrun" --quiet
cp "$OUT/dbrun/clean/1/accounting.db" "$db/accounting.db"
for f in "$db"/*.db; do cp "$f" "$f.orig"; done

# node_db ROLE DB: a live daemon on a database; returns its exit code (it must not start).
node_db() {
  timeout -k 2 10 "$NODE" --role "$1" --db "$2" --broker "ipc://$db/broker.ipc" \
    $( [ "$1" = payment ] && echo --listen "ipc://$db/pay.ipc" ) >"$OUT/last.out" 2>"$OUT/last.err"
}
ctl_db() { timeout -k 2 10 "$CTL" --db "$1" list >"$OUT/last.out" 2>"$OUT/last.err"; }
db_case() {   # what file pattern-ctl pattern-node [role]
  local what=$1 f=$db/$2 pctl=$3 pnode=$4 role=${5:-payment} rc
  ctl_db "$f"; rc=$?
  check "outbox-ctl on $what: exit 2" test $rc -eq 2
  check "outbox-ctl on $what: says '$pctl'" grep -q -- "$pctl" "$OUT/last.err"
  check "outbox-ctl on $what: in one line" one_line "$OUT/last.err"
  node_db "$role" "$f"; rc=$?
  check "outbox-node --role $role on $what: exit 3" test $rc -eq 3
  check "outbox-node --role $role on $what: says '$pnode'" grep -q -- "$pnode" "$OUT/last.err"
  check "outbox-node --role $role on $what: in one line" one_line "$OUT/last.err"
  check "$what: the file is left as it was" cmp -s "$f" "$f.orig"
}
db_case "another program's SQLite database" foreign.db \
  "foreign.db: not an outbox-lab payment database" "cannot open $db/foreign.db: not an outbox-lab payment database"
db_case "a foreign table named outbox" outbox-named.db \
  "outbox-named.db: not an outbox-lab payment database" "not an outbox-lab payment database"
db_case "random bytes" random.db "not an SQLite file" "not an SQLite file"
db_case "a CSV file" text.db "not an SQLite file" "not an SQLite file"
db_case "the accounting database" accounting.db "it is an accounting database" \
  "it is the accounting database" payment
node_db broker "$db/accounting.db"
check "outbox-node --role broker on the accounting database: exit 3" test $? -eq 3
check "outbox-node --role broker on the accounting database: says so" grep -q "it is the accounting database" "$OUT/last.err"
# pgrep in this shell: a `sh -c "pgrep ..."` would match its own command line.
no_daemon() { ! pgrep -f "outbox-node.*--db $1" >/dev/null; }
check "no daemon left by the refused databases" no_daemon "$db/"

# ---- frames sent to a live daemon ----------------------------------------------------
live=$OUT/live
mkdir -p "$live"
declare -A pid=()
start() {   # NAME ARGS...: a daemon in the background, logging to NAME.log
  local name=$1; shift
  ( exec "$NODE" "$@" >>"$live/$name.log" 2>&1 ) &
  pid[$name]=$!
}
stop_all() {
  local n
  for n in "${!pid[@]}"; do { kill -9 "${pid[$n]}"; wait "${pid[$n]}"; } 2>/dev/null; unset "pid[$n]"; done
}
trap 'stop_all; [ -n "${KEEP:-}" ] || rm -rf "$OUT"' EXIT
# until SECONDS CMD...: polls CMD every 0.05 s for at most SECONDS (a bound for a loaded
# machine: it returns as soon as CMD holds).
until_true() {
  local end=$((SECONDS + $1)); shift
  while [ $SECONDS -le $end ]; do "$@" && return 0; sleep 0.05; done
  return 1
}
ready() { grep -q "^$1 ready " "$live/$1.log" 2>/dev/null; }
rejects() { grep -c "^broker reject " "$live/broker.log"; }
knobs=(--knob scan_interval=0.2 --knob retry_base=0.5 --knob retry_max=1 --knob visibility=0.5)
bep="ipc://$live/broker.ipc"
pep="ipc://$live/payment.ipc"

start broker --role broker --db "$live/broker.db" --broker "$bep" "${knobs[@]}"
check "live broker ready" until_true 60 ready broker
kinds=(truncated oversized unknown-type bad-magic trailing empty multipart)
"$SEND" --dealer "$bep" --id intruder "${kinds[@]}" >"$OUT/send.out" 2>&1
check "frame-send sent ${#kinds[@]} bad frames" test "$(grep -c '^sent ' "$OUT/send.out")" -eq ${#kinds[@]}
# A function, so that each poll counts again ("$(rejects)" in the call would count once).
all_rejected() { test "$(rejects)" -eq ${#kinds[@]}; }
check "the broker rejects each bad frame with one line" until_true 60 all_rejected
reject_line() { grep "^broker reject " "$live/broker.log" | grep -F intruder | grep -qF -- "$1"; }
frame_case() {   # what pattern: a reject line names the sender and the problem
  check "bad frame, $1: a reject line says 'intruder' and '$2'" reject_line "$2"
}
frame_case truncated "truncated body"
frame_case oversized "oversized frame (600 bytes)"
frame_case "unknown type" "unknown frame type"
frame_case "bad magic" "bad magic"
frame_case "trailing bytes" "trailing bytes"
frame_case empty "truncated header (0 bytes)"
frame_case multipart "more than one frame"
# Over ZeroMQ's message limit: ZeroMQ drops the connection; the broker must not notice.
"$SEND" --dealer "$bep" --id intruder huge >/dev/null 2>&1
check "after a 70000-byte message the broker still runs" kill -0 "${pid[broker]}"

start accounting --role accounting --db "$live/accounting.db" --broker "$bep" "${knobs[@]}"
start payment --role payment --db "$live/payment.db" --broker "$bep" --listen "$pep" "${knobs[@]}"
check "live payment and accounting ready" until_true 60 sh -c \
  "grep -q '^payment ready ' '$live/payment.log' && grep -q '^accounting ready ' '$live/accounting.log'"
client_says() {   # what request pattern
  "$SEND" --req "$pep" "$2" >"$OUT/last.out" 2>&1
  check "client port, $1: answered '$3'" grep -q -- "$3" "$OUT/last.out"
}
client_says "bad id" "PAY x 1 100" "^ERROR bad payment id 'x'"
client_says "not a request" "HELLO" "^ERROR expected 'PAY <id> <account> <amount>'"
client_says "too long" "PAY $(printf '1%.0s' $(seq 200)) 1 1" "^ERROR request longer than"
"$NODE" --role client --payment "$pep" --first-id 7 --count 1 --amount 1234 >"$OUT/last.out" 2>&1
check "after the bad input a good payment is OK" grep -q "^OK 7" "$OUT/last.out"
consumed() { test "$(sqlite3 -cmd '.timeout 2000' "$live/payment.db" "SELECT status FROM outbox" 2>/dev/null)" = CONSUMED; }
check "... and its outbox row becomes CONSUMED" until_true 60 consumed
check "... with one voucher of its amount" test \
  "$(sqlite3 -cmd '.timeout 2000' "$live/accounting.db" "SELECT count(*) || ' ' || sum(amount) FROM voucher")" = "1 1234"
for n in payment accounting broker; do
  kill -TERM "${pid[$n]}"; wait "${pid[$n]}"; rc=$?; unset "pid[$n]"
  check "$n stops on SIGTERM with exit 0" test $rc -eq 0
done
check "no daemon left" no_daemon "$live/"
check "nothing left behind" leftovers "$OUT"
