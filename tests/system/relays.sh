#!/usr/bin/env bash
# tests/system/relays.sh: topology { relays = N } and the relays (lib/relay.h) on real
# runs.  The three nodes' runs are unchanged (tracelock.sh proves it byte for byte); here:
# each weak relay design breaks the lease check its scenario names and the full design
# holds every invariant on all four relays-* scenarios; a relay's files (no database of
# its own; the payment database gains owner and lease_until only when a relay opened
# it); batched and one-step runs give the same trace; the report has a lane per relay;
# shrink writes topology{} back; bad topologies are refused at their line (exit 2); and
# each lease check fires on a fault planted in a real trace of the full design.  Clocks:
# a relay 1.8 s ahead breaks lease_exclusive under relay-skewed-clock (no margin), not
# under outbox (lease_skew 3), and the checker excuses the same trace once lease_skew is
# below the skew.  The scan-level weak designs are caught when relays run the scan.
source "$(dirname "$0")/lib.bash"

HC=${BUILD:-build}/tools/history-check
R=$OUT/runs

run() {   # run SCENARIO [ARGS...]: seed 1, its exit code in $rc
    local s=$1
    shift
    sim run "scenarios/$s.lua" --seed 1 --out "$R" --quiet "$@"
    rc=$?
}
held() {   # held SUMMARY: every judged invariant held
    python3 -c "import json,sys; i=json.load(open(sys.argv[1]))['invariants'];"\
"sys.exit(0 if all(v['ok'] for v in i.values()) else 1)" "$1"
}
inv() {   # inv SUMMARY INVARIANT: "true" (held) or "false" (broken)
    python3 -c "import json,sys; print(str(json.load(open(sys.argv[1]))['invariants']"\
"[sys.argv[2]]['ok']).lower())" "$1" "$2"
}

# ---- the weak twins break what their scenario says; outbox holds everything ------------
for pair in no-lease:lease_exclusive no-lease:lease_held short-lease:owned_then_sent \
            zombie:lease_held; do
    s=${pair%%:*} i=${pair#*:}
    run "relays-$s"
    check "relays-$s under relay-$s: expectations met (exit 0)" test "$rc" -eq 0
    check "... $i broken" test "$(inv "$R/relays-$s/1/summary.json" "$i")" = false
done
for s in lease no-lease short-lease zombie; do
    sim run "scenarios/relays-$s.lua" --seed 2 --design outbox --out "$R/outbox" --quiet
    check "relays-$s under outbox (seed 2): every invariant held" \
        held "$R/outbox/relays-$s/2/summary.json"
done
run relays-lease
check "relays-lease: expectations met (exit 0)" test "$rc" -eq 0
T=$R/relays-lease/1/trace.jsonl P=$R/relays-lease/1/payment.db
check "... a crashed relay's claims come back to another relay after the lease" \
    python3 - "$T" <<'PY'
import json, sys
claims = {}
back = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("kind") != "claim": continue
    m = int(e["detail"].split()[1])
    if claims.get(m, e["node"]) != e["node"]: back += 1
    claims[m] = e["node"]
sys.exit(0 if back >= 3 else 1)
PY
check "... no database of a relay's own; a log each" \
    bash -c "[ ! -e '$R/relays-lease/1/relay-1.db' ] && [ -e '$R/relays-lease/1/relay-3.log' ]"
check "... the payment database has the lease columns, every row CONSUMED" test \
    "$(sqlite3 "$P" "SELECT count(*) FROM outbox WHERE status='CONSUMED' AND lease_until >= 0
                     AND owner IS NOT NULL OR status='CONSUMED' AND owner IS NULL")" = 120
run clean
check "clean (no topology): payment.db has no lease column" test \
    "$(sqlite3 "$R/clean/1/payment.db" \
       "SELECT count(*) FROM pragma_table_info('outbox') WHERE name IN ('owner','lease_until')")" = 0
check "... and no relay process" bash -c "! ls '$R/clean/1/' | grep -q relay"

# ---- clocks: the lease's margin (knob lease_skew) ------------------------------------------
run relays-skewed-clock
check "relays-skewed-clock under relay-skewed-clock: expectations met (exit 0)" test "$rc" -eq 0
SK=$R/relays-skewed-clock/1
W='claimed by relay-2 at [0-9.]* s while relay-1 held it until [0-9.]* s'
check "... lease_exclusive broken: relay-2 took leases relay-1 held" grep -q \
    "$W (its clock 1.799 s ahead of relay-1.s, within lease_skew 3.000 s)" "$SK/summary.json"
sim run scenarios/relays-skewed-clock.lua --seed 1 --design outbox --out "$R/outbox" --quiet
check "relays-skewed-clock under outbox: every invariant held (the margin waits it out)" \
    held "$R/outbox/relays-skewed-clock/1/summary.json"
SKK="relays=2 relay_rtt=0.1 lease=2"
"$HC" "$SK/trace.jsonl" relay-skewed-clock 300 $SKK lease_skew=3 >"$OUT/sk3.out" 2>&1
check "its trace judged with lease_skew 3 (the skew within it): lease_exclusive (exit 1)" \
    bash -c "[ $? -eq 1 ] && grep -q '^lease_exclusive ' '$OUT/sk3.out'"
"$HC" "$SK/trace.jsonl" relay-skewed-clock 300 $SKK lease_skew=1.5 >"$OUT/sk1.out" 2>&1
check "... with lease_skew 1.5 (the 1.8 s fault beyond it): excused (exit 0)" test $? -eq 0
python3 -c '
import sys
for l in open(sys.argv[1]):
    if "\"ev\":\"fault\"" not in l: sys.stdout.write(l)' "$SK/trace.jsonl" >"$OUT/nofault.jsonl"
"$HC" "$OUT/nofault.jsonl" relay-skewed-clock 300 $SKK lease_skew=1.5 >"$OUT/sk0.out" 2>&1
check "... but not once the clock fault's line is gone: the notes alone excuse nothing" \
    bash -c "[ $? -eq 1 ] && grep -q '^lease_exclusive ' '$OUT/sk0.out'"

# ---- the scan's weak designs act when relays run the scan -----------------------------------
sim run scenarios/relays-one.lua --seed 1 --design resend-every-scan --out "$R/res" --quiet
check "relays-one under resend-every-scan: FAIL (exit 1)" test $? -eq 1
check "... retry_schedule broken: the relay republished early" \
    test "$(inv "$R/res/relays-one/1/summary.json" retry_schedule)" = false
run relays-dead-letters
check "relays-dead-letters: expectations met (exit 0), the relays cleaned rows up" \
    bash -c "[ $rc -eq 0 ] && grep -q '\"node\":\"relay-[12]\",\"kind\":\"cleanup\"' \
             '$R/relays-dead-letters/1/trace.jsonl'"
for pair in retries-not-attempts:dead_after_max_attempts cleanup-by-age:cleanup_final_only; do
    d=${pair%%:*} i=${pair#*:}
    sim run scenarios/relays-dead-letters.lua --seed 1 --design "$d" --out "$R/$d" --quiet
    check "relays-dead-letters under $d: FAIL (exit 1)" test $? -eq 1
    check "... $i broken" test "$(inv "$R/$d/relays-dead-letters/1/summary.json" "$i")" = false
done

# ---- determinism -----------------------------------------------------------------------
hash_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['trace']['hash'])" "$1"; }
sim run scenarios/relays-lease.lua --seed 3 --out "$R/a" --quiet
OUTBOX_SIM_BATCH=1 sim run scenarios/relays-lease.lua --seed 3 --out "$R/b" --quiet
sim run scenarios/relays-lease.lua --seed 3 --out "$R/c" --quiet
check "relays-lease seed 3: same trace batched, one step at a time, and again" test \
    "$(hash_of "$R/a/relays-lease/3/summary.json") $(hash_of "$R/c/relays-lease/3/summary.json")" \
    = "$(hash_of "$R/b/relays-lease/3/summary.json") $(hash_of "$R/b/relays-lease/3/summary.json")"

# ---- the report: a lane per relay --------------------------------------------------------
check "report.html names a lane per node, relays included" grep -q \
    '"lanes":\["client","payment","broker","accounting","relay-1","relay-2","relay-3"\]' \
    "$R/relays-lease/1/report.html"
check "a run without topology names the three" grep -q \
    '"lanes":\["client","payment","broker","accounting"\]' "$R/clean/1/report.html"

# ---- shrink writes the topology back -----------------------------------------------------
sim shrink "$R/relays-zombie/1" --invariant lease_held --max-runs 4 --out "$OUT/shrunk.lua"
check "shrink of a relay run: topology { relays = 2 } in the scenario it writes" \
    grep -qx 'topology { relays = 2 }' "$OUT/shrunk.lua"
check "... and no relays knob" bash -c "! grep -q 'relays = 2,' '$OUT/shrunk.lua'"
sim run "$OUT/shrunk.lua" --seed 1 --out "$R/shrunk" --quiet
check "... which loads and breaks lease_held (exit 1)" test $? -eq 1

# ---- bad topologies: one line, exit 2 ------------------------------------------------------
bad() {   # bad NAME TEXT WANT: the load fails with exit 2 and the line WANT
    printf '%s' "$2" >"$OUT/$1.lua"
    sim run "$OUT/$1.lua" --seed 1 --out "$R/bad" --quiet
    local rc=$?
    check "$1: exit 2" test "$rc" -eq 2
    check "... says: $3" grep -qF "$OUT/$1.lua:$3" "$OUT/last.err"
}
H='scenario { name = "t", run = 10 }
'
bad inactive "${H}topology { relays = 2 }
crash { node = \"relay-3\", at = 3 }
" "3: crash: unknown node 'relay-3' in 'node'"
bad power "${H}topology { relays = 1 }
power_loss { node = \"relay-1\", at = 3 }
" "3: power_loss: relay-1 shares the payment database"
bad late "${H}drop { link = \"payment->broker\", p = 0.1 }
topology { relays = 1 }
" "3: topology: declare it before any fault"
bad knob 'scenario { name = "t", knobs = { owner = "x" } }
' "1: scenario: knobs: 'owner' is set by the simulator"

# ---- each lease check fires on a planted fault in a real trace of the full design ------
check "the relays-lease trace passes history-check" \
    "$HC" "$T" outbox 120 relays=3 relay_rtt=0.1 lease=2
plant() {   # plant NAME INVARIANT PYTHON: rewrite the trace, judge it, expect INVARIANT
    python3 -c "$3" "$T" >"$OUT/$1.jsonl"
    "$HC" "$OUT/$1.jsonl" outbox 120 relays=3 relay_rtt=0.1 lease=2 >"$OUT/$1.out" 2>&1
    check "planted $1: history-check fails (exit 1)" test $? -eq 1
    check "... with $2" grep -q "^$2 " "$OUT/$1.out"
}
# relay-3 publishes a row relay-2 claimed: no lease of its own
plant foreign-publish lease_held '
import sys
done = False
for l in open(sys.argv[1]):
    if not done and "\"node\":\"relay-2\",\"kind\":\"publish\"" in l:
        l = l.replace("relay-2", "relay-3"); done = True
    sys.stdout.write(l)'
# relay-3 claims a row in the same instant relay-2 does
plant double-claim lease_exclusive '
import sys
done = False
for l in open(sys.argv[1]):
    sys.stdout.write(l)
    if not done and "\"node\":\"relay-2\",\"kind\":\"claim\"" in l:
        sys.stdout.write(l.replace("relay-2", "relay-3")); done = True'
# relay-3 releases a lease relay-2 has just taken: a release of a lease it does not hold
plant foreign-release lease_held '
import sys, json
done = False
for l in open(sys.argv[1]):
    sys.stdout.write(l)
    e = json.loads(l)
    if not done and e.get("kind") == "claim" and e["node"] == "relay-2":
        m = e["detail"].split()[1]
        rel = dict(e, node="relay-3", kind="release", detail="msg %s released by relay-3" % m)
        sys.stdout.write(json.dumps(rel, separators=(",", ":")) + "\n"); done = True'
check "... naming the holder" grep -q "released by relay-3 at .*, but the lease was relay-2's" \
    "$OUT/foreign-release.out"
# a live relay claims a row and never publishes it (its publish and release notes, and
# the answer that settled the row, gone)
plant never-sent owned_then_sent '
import sys, json
gone = None
for l in open(sys.argv[1]):
    e = json.loads(l)
    if gone is None and e.get("kind") == "claim" and e["node"] == "relay-3":
        gone = (e["node"], e["detail"].split()[1])
    if gone and e.get("ev") == "note" and e.get("kind") in ("publish", "release", "consumed") \
            and e["node"] in (gone[0], "payment") and e["detail"].split()[1] == gone[1]:
        continue
    sys.stdout.write(l)'
# a relay publishes and keeps its lease: every release note of relay-2 gone
plant kept-lease owned_then_sent '
import sys
for l in open(sys.argv[1]):
    if "\"node\":\"relay-2\",\"kind\":\"release\"" not in l:
        sys.stdout.write(l)'
check "... naming the publication whose lease was kept" \
    grep -q "published by relay-2 at [0-9.]* s and its lease kept" "$OUT/kept-lease.out"
# relay-2 writes a lease shorter than the knobs declare (until - at: 1 s, lease = 2)
plant short-lease lease_held '
import re, sys
done = False
for l in open(sys.argv[1]):
    if not done and "\"node\":\"relay-2\",\"kind\":\"claim\"" in l:
        m = re.search(r"at (\d+) until (\d+)", l)
        l = l.replace(m.group(0), "at %s until %d" % (m.group(1), int(m.group(1)) + 1000))
        done = True
    sys.stdout.write(l)'
check "... saying the lease the knobs declare" grep -q "for 1000 ms; the lease the knobs declare is 2000 ms" "$OUT/short-lease.out"

check "no leftovers" leftovers "$R"
