#!/usr/bin/env bash
# The fault model, end to end: for each kind of fault a scenario injects, the run met
# its expectation AND the fault really happened (its lines are in the trace, its
# effect is in the databases), so a fault that silently did nothing fails here.
source "$(dirname "$0")/lib.bash"
R=$OUT/runs
EPOCH_MS=1700000000000   # virtual time 0 on the children's clocks (sim/core/world.h)

# run SCENARIO SEED [ARGS...]: runs it; $? is the exit code; sets T (trace) and D (run dir)
run() {
  local sc=$1 seed=$2; shift 2
  sim run "scenarios/$sc.lua" --seed "$seed" --out "$R" --quiet "$@"
  local rc=$?
  D=$R/$sc/$seed T=$D/trace.jsonl
  return $rc
}
count() { grep -c -- "$1" "$T"; }
q() { sqlite3 "$D/$1.db" "$2"; }

# ---- partitions ---------------------------------------------------------------------
run partition-producer-broker 1; check "partition two-way: exit 0" test $? -eq 0
check "partition two-way: announced with its Lua form" \
  grep -q '"ev":"fault","fault":2,"kind":"partition","target":"payment<->broker".*"start":4.000000,"stop":12.000000' "$T"
check "partition two-way: frames cut both ways, by fault 2" \
  bash -c "grep '\"fate\":\"partitioned\",\"fault\":2' '$T' | grep -q '\"from\":\"payment\"' &&
           grep '\"fate\":\"partitioned\",\"fault\":2' '$T' | grep -q '\"from\":\"broker\"'"
check "partition two-way: nothing cut outside [4, 12)" \
  test -z "$(grep '"fate":"partitioned"' "$T" | awk -F'"t":' '{split($2,a,","); if (a[1] < 4 || a[1] >= 12) print}')"
check "partition two-way: a partitioned frame is not a dropped one" test "$(count '"fate":"dropped"')" -eq 0

run partition-one-way 1; check "partition one-way: exit 0" test $? -eq 0
check "partition one-way: only accounting->broker frames cut" \
  bash -c "test \$(grep -c '\"fate\":\"partitioned\"' '$T') -gt 0 &&
           ! grep '\"fate\":\"partitioned\"' '$T' | grep -qv '\"from\":\"accounting\",\"to\":\"broker\"'"

# ---- broker internal loss -----------------------------------------------------------
run broker-internal-loss 1; check "broker loss: exit 0" test $? -eq 0
inj=$(count '"ev":"injected","node":"broker","site":"broker.lose"')
lost=$(count '"kind":"lost_inside"')
check "broker loss: injected at broker.lose ($inj times) and lost inside the broker each time" \
  test "$inj" -gt 0 -a "$inj" -eq "$lost"
check "broker loss: both queues lost messages" \
  bash -c "grep -q 'PAYMENT on PAY_QUEUE lost inside' '$T' && grep -q 'CONSUMED on ACC_QUEUE lost inside' '$T'"
run broker-internal-loss 1 --design mark-on-publish
check "broker loss: mark-on-publish never resends what the broker lost (exit 1)" test $? -eq 1

# ---- broker crash, in memory and durable ----------------------------------------------
run broker-crash-memory 1; check "broker crash, memory: exit 0" test $? -eq 0
check "broker crash, memory: restarted with empty queues" \
  grep -q '"node":"broker","kind":"recover","detail":"incarnation 2: in-memory queues start empty"' "$T"
# Payments the broker held at the crash: enqueued before it, and every DELIVER of them
# before it cut by the partition.  Each must be published again after the crash (by
# the scan: attempt >= 2) and have its voucher.
held=$(awk -v crash=9.5 '
  { split($0, a, "\"t\":"); split(a[2], b, ","); t = b[1] + 0
    if (!match($0, /"pay":[0-9]+/)) next; p = substr($0, RSTART + 6, RLENGTH - 6) }
  t < crash && /"kind":"enqueue"/ && /PAYMENT on PAY_QUEUE/ { enq[p] = 1 }
  t < crash && /"ev":"deliver"/ && /"label":"DELIVER PAYMENT"/ { got[p] = 1 }
  t > crash && /"node":"payment","kind":"publish"/ && !/attempt 1 / { again[p] = 1 }
  END { n = 0; bad = 0
        for (p in enq) if (!(p in got)) { n++; if (!(p in again)) bad++ }
        print n, bad }' "$T")
set -- $held
check "broker crash, memory: $1 messages held by the broker were lost in the crash" test "$1" -gt 0
check "broker crash, memory: the scan republished every one of them after the crash" test "$2" -eq 0
check "broker crash, memory: every payment has its voucher" \
  test "$(q accounting 'SELECT count(DISTINCT payment_id) FROM voucher')" -eq 100
run broker-crash-durable 1; check "broker crash, durable: exit 0" test $? -eq 0
check "broker crash, durable: restored what it held" \
  grep -q '"node":"broker","kind":"recover","detail":"incarnation 2: [1-9][0-9]* messages restored"' "$T"

# ---- clocks -------------------------------------------------------------------------
run clock-skew 1; check "clock skew: exit 0" test $? -eq 0
check "clock skew: three skews announced at 0" test "$(grep -c '"t":0.000000,"ev":"fault".*"kind":"clock"' "$T")" -eq 3
# The services' own clocks (libfaketime) read the skew: payment 3.5 s slow, accounting a minute.
off_pay=$(( $(q payment 'SELECT created_at FROM payment WHERE id = 1') - EPOCH_MS ))
off_acc=$(( $(q accounting 'SELECT created_at FROM voucher WHERE payment_id = 1') - EPOCH_MS ))
check "clock skew: payment's clock read 3.5 s slow ($off_pay ms)" test "$off_pay" -ge -3500 -a "$off_pay" -lt -3400
check "clock skew: accounting's clock read 60 s slow ($off_acc ms)" test "$off_acc" -ge -60000 -a "$off_acc" -lt -59900
check "clock skew: the broker's forward jump traced" \
  grep -q '"ev":"clock_jump","node":"broker","fault":5,"direction":"forward","by_ms":20000,"offset_ms":27000' "$T"
check "clock skew: the jump made in-flight deliveries overdue (redeliveries)" test "$(count '"kind":"redeliver"')" -gt 0

run clock-jump-backward 1; check "clock jump back: exit 0" test $? -eq 0
check "clock jump back: traced" \
  grep -q '"ev":"clock_jump","node":"payment","fault":2,"direction":"backward","by_ms":-30000,"offset_ms":-30000' "$T"
off_late=$(( $(q payment 'SELECT created_at FROM payment WHERE id = 100') - EPOCH_MS ))
check "clock jump back: payment committed after the jump reads the old clock minus 30 s ($off_late ms)" \
  test "$off_late" -lt -20000
# A row whose first publication was lost before the jump waits 30 s more for its retry.
gap=$(awk '
  { split($0, a, "\"t\":"); split(a[2], b, ","); t = b[1] + 0 }
  /"fate":"dropped"/ && t < 8 && match($0, /"pay":[0-9]+/) { p = substr($0, RSTART + 6, RLENGTH - 6); if (!(p in first)) first[p] = t }
  /"node":"payment","kind":"publish"/ && /attempt 2 / && match($0, /"pay":[0-9]+/) {
      p = substr($0, RSTART + 6, RLENGTH - 6); if ((p in first) && t - first[p] > max) max = t - first[p] }
  END { printf "%d", max }' "$T")
check "clock jump back: a retry due before the jump came ${gap} s after the loss (> 30)" test "$gap" -gt 30
check "clock jump back: converged only after the jump's 30 s" \
  grep -q '"converged_at": \(4[0-9]\|5[0-9]\)\.' "$D/summary.json"

# ---- slow consumer ------------------------------------------------------------------
run slow-consumer 1; check "slow consumer: exit 0" test $? -eq 0
depth=$(grep '"ev":"backlog","node":"accounting"' "$T" | sed 's/.*"depth":\([0-9]*\).*/\1/' | sort -n | tail -n 1)
check "slow consumer: a backlog built up (deepest ${depth:-0})" test "${depth:-0}" -ge 20
check "slow consumer: deliveries say how long they waited" grep -q '"ev":"deliver".*"to":"accounting".*"waited":' "$T"
check "slow consumer: no backlog after the slow window" \
  test -z "$(grep '"ev":"backlog"' "$T" | awk -F'"t":' '{split($2,a,","); if (a[1] >= 15.3) print}')"
run lease-shorter-than-work 1; check "lease shorter than work: exit 0" test $? -eq 0
check "lease shorter than work: redeliveries absorbed as duplicates" \
  test "$(count '"kind":"redeliver"')" -gt 0 -a "$(count '"node":"accounting","kind":"duplicate"')" -gt 0

# ---- failpoints: each one has a scenario, and each crash happens ----------------------
for fp in $("$SIM" failpoints); do
  check "failpoint $fp: a scenario crashes there" grep -lq "at_failpoint = \"$fp\"" scenarios/*.lua
done
for sc in crash-after-publish crash-scan-after-publish crash-broker-after-accept crash-after-consumed; do
  run "$sc" 1; rc=$?
  fp=$(sed -n 's/.*at_failpoint = "\([a-z_.]*\)".*/\1/p' "scenarios/$sc.lua" | head -n 1)
  check "$sc: exit 0, crashed twice at $fp" \
    test "$rc" -eq 0 -a "$(grep -c "\"ev\":\"crash\".*\"at\":\"$fp\"" "$T")" -eq 2
done
run crash-before-commit 1; check "crash-before-commit: outbox never reaches the failpoint (exit 0, no crash)" \
  test $? -eq 0 -a "$(count '"ev":"crash"')" -eq 0
run crash-before-commit 1 --design publish-in-tx
check "crash-before-commit: publish-in-tx crashes there and breaks an invariant (exit 1)" \
  test $? -eq 1 -a "$(count '"at":"payment.before_commit"')" -eq 2

# ---- the nemesis --------------------------------------------------------------------
for seed in 1 2 3; do
  run swarm "$seed"; rc=$?
  nf=$(count '"ev":"fault"')
  check "swarm seed $seed: exit 0, $nf faults injected, each a fault line with its Lua" \
    test "$rc" -eq 0 -a "$nf" -gt 5 -a "$(grep '"ev":"fault"' "$T" | grep -c '"by":"nemesis".*"lua":"')" -eq "$nf"
done
check "swarm: the nemesis line names what it drew" grep -q '"ev":"nemesis","line":[0-9]*,"mode":"swarm","faults":' "$T"
cp "$T" "$OUT/swarm-3-a.jsonl"
run swarm 3
check "swarm: the same seed draws the same schedule and run (identical trace)" cmp -s "$T" "$OUT/swarm-3-a.jsonl"
# The fault lines, in id order under the same scenario{}, replay the run exactly.
run swarm 4
{ sed -n '/^scenario {/,/^}/p' scenarios/swarm.lua
  grep '"ev":"fault"' "$T" | sed 's/.*"fault":\([0-9]*\),.*"lua":"\(.*\)"}$/\1 \2/; s/\\"/"/g' | sort -n | cut -d' ' -f2-
} >"$OUT/swarm-4.lua"
sim run "$OUT/swarm-4.lua" --seed 4 --out "$R" --quiet; rc=$?
strip() { grep -v '"ev":"\(run\|nemesis\|fault\)"' "$1" | md5sum; }
check "swarm: the fault lines read back as a scenario that replays the run event for event" \
  test "$rc" -eq 0 -a "$(strip "$T")" = "$(strip "$R/swarm-4/4/trace.jsonl")"

# An operator in the scenario: the real outbox-ctl, under the payment service's clock.
run dead-letter-requeue 1
check "operator: outbox-ctl stats ran inside the run" grep -q '"ev":"operator","line":[0-9]*,"ctl":"stats","exit":0' "$T"
check "operator: requeue all revived the dead letters" grep -q '"ctl":"requeue all","exit":0,"output":"[1-9][0-9]* DEAD outbox rows requeued' "$T"
check "operator: every row came home, the alerts stay" test "$(sqlite3 "$R/dead-letter-requeue/1/payment.db" "SELECT (SELECT count(*) FROM outbox WHERE status='CONSUMED') || '/' || (SELECT count(*) FROM outbox) || ' ' || (SELECT count(*) > 0 FROM alert)")" = "40/40 1"
printf 'scenario { name = "x", workload = { payments = 1, rate = 1 }, run = 5 }\nctl("stats")\n' >"$OUT/ctl-load.lua"
sim run "$OUT/ctl-load.lua" --out "$R" --quiet; rc=$?
check "operator: ctl() outside at() is a scenario error naming its line" test $rc -eq 2 -a -n "$(grep 'ctl-load.lua:2: ctl: only inside at() callbacks' "$OUT/last.err")"

# ---- cause before effect (issue 11, item 7) ------------------------------------------
# A client's "unknown" because the payment service crashed is written after that
# crash's line, never before it: every such reply follows a payment crash at its instant.
# cause_first TRACE: prints the replies that come before their crash.
cause_first() {
  awk '/"ev":"crash","node":"payment"/ { split($0, a, "\"t\":"); split(a[2], b, ","); crash = b[1] }
       /"result":"unknown","detail":"the payment service crashed/ {
         split($0, a, "\"t\":"); split(a[2], b, ","); if (b[1] != crash) print NR ": " $0 }' "$1"
}
for sc in showcase crash-after-commit; do
  run $sc 1
  n=$(grep -c '"result":"unknown","detail":"the payment service crashed' "$T")
  check "cause first: $sc's $n unknown answers each follow their crash" \
    test "$n" -gt 0 -a -z "$(cause_first "$T")"
done

# ---- quiet means quiet (issue 11, item 2) ---------------------------------------------
# "converged" (and the summary's "settled quiet") waits until nothing is SENDING, nothing
# is on the wire AND the broker holds nothing unacked: these runs once went "quiet" while
# the broker still held a corrupted delivery it redelivered seconds later.  After the
# converged line nothing more is sent, and it comes after the broker's last ack.
# after_quiet TRACE: the lines after "converged" that send a frame or move a message.
after_quiet() {
  awk '/"ev":"converged"/ { q = 1; next }
       q && (/"ev":"send"/ || /"kind":"(enqueue|deliver|redeliver|ack|apply)"/) { print NR }' "$1"
}
for rs in "corrupt-frames 1" "corrupt-frames 3" "swarm 2" "lease-shorter-than-work 1"; do
  set -- $rs
  run "$1" "$2"
  check "quiet: $1 seed $2 converged, and nothing moved after it" \
    test -n "$(grep '"ev":"converged"' "$T")" -a -z "$(after_quiet "$T")"
done
run corrupt-frames 1
check "quiet: corrupt-frames seed 1 settles 5 s after healing, after its last redelivery" \
  test "$(jq -r '.virtual_seconds.converged_at' "$D/summary.json")" = 25

# ---- faults that never act (issue 11, items 3 and 11) --------------------------------
# A drop whose nth frame never comes, and a crash whose time finds its node already
# down: each says so (summary line, summary.json), and faults_act = true fails the run.
cat >"$OUT/idle.lua" <<'LUA'
scenario { name = "idle faults", workload = { payments = 5, rate = 1 }, run = 10, settle = 10 }
drop { from = "payment", to = "broker", nth = 999 }
crash { node = "broker", at = 2, restart_after = 3 }
crash { node = "broker", at = 3 }
LUA
sim run "$OUT/idle.lua" --out "$R"; rc=$?
S=$R/idle/1/summary.json
check "idle faults: still a pass by default (exit 0)" test $rc -eq 0
check "idle faults: the summary line warns of the drop that never acted" \
  grep -q '^  warning    fault 1 (drop, line 2) never acted: 13 frames matched it, fewer than its nth = 999$' "$OUT/last.out"
check "idle faults: ... and of the crash skipped because its node was down" \
  grep -q '^  warning    fault 3 (crash, line 4) never acted: its node was already down' "$OUT/last.out"
check "idle faults: summary.json counts what each fault did" \
  test "$(jq -c '[.faults[] | .acted]' "$S")" = "[0,1,0]"
check "idle faults: a skipped crash did not fire, and says why" \
  test "$(jq -c '.faults[2] | [.fired, .skipped]' "$S")" = '[false,"node already down"]'
check "idle faults: the crash that acted fired" test "$(jq '.faults[1].fired' "$S")" = true
check "idle faults: summary.json lists both warnings" test "$(jq '.warnings | length' "$S")" -eq 2
check "idle faults: the trace says the crash was skipped" \
  grep -q '"ev":"crash_skipped","node":"broker","fault":3,"why":"already down"' "$R/idle/1/trace.jsonl"
sed -i '1a expect { faults_act = true }' "$OUT/idle.lua"
sim run "$OUT/idle.lua" --out "$R"; rc=$?
check "idle faults: expect { faults_act = true } makes an idle fault a failure (exit 1)" \
  test $rc -eq 1 -a "$(jq -r .why "$S")" = "fault 1 (drop, line 3) never acted: 13 frames matched it, fewer than its nth = 999"
sed -i 's/nth = 999/nth = 2/; /at = 3 }/d' "$OUT/idle.lua"
sim run "$OUT/idle.lua" --out "$R"; rc=$?
check "idle faults: faults_act = true passes when every fault acted" \
  test $rc -eq 0 -a "$(jq '.warnings | length' "$S")" -eq 0

check "no process, shm file or temp dir left behind" leftovers "$R"
