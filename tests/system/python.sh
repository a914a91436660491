#!/usr/bin/env bash
# tests/system/python.sh: the second implementation (py/, issue 15 item 6) is judged by the
# scenario library like the C services, and the library catches a broken copy of it.
#
#   - the retry jitter: py/oxnode.py's PRNG and retry schedule draw what lib/prng.c and
#     lib/retry.c draw (a small C program against build/liboutbox.a prints both);
#   - the `outbox` column of the matrix (every `outbox` cell of tests/matrix.expected,
#     seeds 1..2) run with the Python services: each cell is the C services' cell, except
#     the lines of py/expected-differences.txt for that configuration, which must differ
#     exactly as written (a scenario newly passing or newly failing fails the test);
#   - a rerun with the Python services is byte-identical (trace sha256);
#   - a broken copy (accounting's inbox insert removed, made here with sed) breaks
#     exactly_once on duplicate-delivery.lua;
#   - a bad command line is one line on stderr and exit 2.
# PY_ROLES picks the configuration: "payment accounting" (the default, both Python),
# "payment" or "accounting" (the other roles run bin/outbox-node).
source "$(dirname "$0")/lib.bash"

command -v python3 >/dev/null || { skip "python3 is not installed"; exit 0; }
PY=$PWD/py
PAY=json:$PY/payment.py
ACC=json:$PY/accounting.py
ROLES=${PY_ROLES:-payment accounting}
NODES=() CONF=
for r in $ROLES; do
  case $r in
    payment) NODES+=(--node "payment=$PAY") ;;
    accounting) NODES+=(--node "accounting=$ACC") ;;
    *) notok "PY_ROLES: unknown role '$r'"; exit 0 ;;
  esac
done
[ "$ROLES" = "payment accounting" ] && CONF=both || CONF=$ROLES

# ---- the jitter: the same PRNG and schedule as lib/ ----
cat >"$OUT/jit.c" <<'EOF'
#include <stdio.h>
#include "config.h"
#include "prng.h"
#include "retry.h"
int main(void) {
    ox_config c;
    ox_config_default(&c);
    c.retry = OX_RETRY_EXPONENTIAL; c.retry_base_ms = 500; c.retry_max_ms = 4000; c.jitter = 0.3;
    for (unsigned long long seed = 0; seed < 4; seed++) {
        ox_prng p;
        ox_prng_seed(&p, ox_prng_derive(seed * 0x9e3779b97f4a7c15ULL, 1));
        printf("%llu", (unsigned long long)ox_prng_next(&p));
        for (unsigned n = 1; n <= 70; n++) printf(" %lld", (long long)ox_retry_interval(&c, &p, n));
        printf("\n");
    }
    return 0;
}
EOF
cat >"$OUT/jit.py" <<'EOF'
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
import oxnode
cfg = {"retry": "exponential", "retry_base": 500, "retry_max": 4000, "jitter": 0.3}
for seed in range(4):
    p = oxnode.Prng(oxnode.prng_derive(seed * 0x9E3779B97F4A7C15 & oxnode.M64, 1))
    print(" ".join([str(p.next())] + [str(oxnode.retry_interval(cfg, p, n)) for n in range(1, 71)]))
EOF
# The archive of a sanitizer build (make asan-test: BUILD=build-asan) links only with
# the sanitizers' runtime.
san=
case ${BUILD:-build} in *asan*) san=-fsanitize=address,undefined ;; esac
if cc -std=c11 -Ilib $san -o "$OUT/jit" "$OUT/jit.c" "${BUILD:-build}/liboutbox.a" -lm \
    2>"$OUT/cc.err"; then
  "$OUT/jit" >"$OUT/jit.c.out"
  python3 "$OUT/jit.py" "$PY" >"$OUT/jit.py.out"
  check "retry jitter: Python draws and rounds what lib/ does (4 seeds x 70 attempts)" \
    cmp -s "$OUT/jit.c.out" "$OUT/jit.py.out"
else
  notok "cannot build the jitter check against ${BUILD:-build}/liboutbox.a: $(head -n1 "$OUT/cc.err")"
fi

# ---- the outbox column ----
# The matrix's cell of one run (sim/tools/runner.c, runner_result_token).
cat >"$OUT/cell.py" <<'EOF'
import json, re, sys
rc, path = int(sys.argv[1]), sys.argv[2]
if rc == 0: print("pass"); sys.exit()
if rc != 1: print("error"); sys.exit()
why = json.load(open(path))["why"]
m = re.match(r"expected (\S+) to be broken, but it held", why)
if m: print("held:" + m.group(1)); sys.exit()
m = re.match(r"(\S+) broken:", why)
if m: print(m.group(1)); sys.exit()
if "dead letters" in why: print("dead_letters"); sys.exit()
m = re.match(r"reached state (\S+)", why) or re.match(r"state (\S+) .*, expected never", why)
print(("unreached:" if why.startswith("reached") else "reached:") + m.group(1) if m else "fail")
EOF
col=$OUT/col
mkdir -p "$col"
grep '^outbox ' tests/matrix.expected | while read -r _ scen cell; do
  for seed in 1 2; do echo "$scen $seed"; done
done >"$OUT/runs"
{ echo '#!/usr/bin/env bash'
  printf 'timeout -k 5 300 %q run "scenarios/$1.lua" --seed "$2" --design outbox --out %q --quiet' \
    "$SIM" "$col"
  printf ' %q' "${NODES[@]}"
  printf ' >/dev/null 2>&1\necho "$1 $2 $?" >%q/"$1.$2.rc"\n' "$col"
} >"$OUT/one.sh"
xargs -P 2 -L 1 bash "$OUT/one.sh" <"$OUT/runs"
: >"$OUT/got"
grep '^outbox ' tests/matrix.expected | while read -r _ scen want; do
  got=pass
  for seed in 1 2; do
    read -r _ _ rc <"$col/$scen.$seed.rc" 2>/dev/null || rc=3
    c=$(python3 "$OUT/cell.py" "$rc" "$col/$scen/$seed/summary.json" 2>/dev/null || echo error)
    [ "$got" = pass ] && got=$c
  done
  [ "$got" != "$want" ] && echo "$scen $got $want"
done | sort >"$OUT/got"
# The list kept for this configuration: "CONF SCENARIO PYTHON_CELL C_CELL reason".
awk -v c="$CONF" '$1 == c { print $2, $3, $4 }' py/expected-differences.txt | sort >"$OUT/want"
n=$(grep -c '^outbox ' tests/matrix.expected)
d=$(wc -l <"$OUT/want")
check "outbox column ($n scenarios x seeds 1..2) with Python $CONF: all but the $d listed match C" \
  cmp -s "$OUT/got" "$OUT/want"
comm -23 "$OUT/got" "$OUT/want" | sed 's/^/# differs, not listed (scenario python C): /'
comm -13 "$OUT/got" "$OUT/want" | sed 's/^/# listed, but not so now (scenario python C): /'

# ---- the same trace as C: the scenarios of issue 15's first goals ----
for s in clean crash-after-commit duplicate-delivery refusal-compensated dead-letters; do
  sim run "scenarios/$s.lua" --seed 1 --out "$OUT/c" --quiet
  c=$?
  sim run "scenarios/$s.lua" --seed 1 --out "$OUT/p" --quiet "${NODES[@]}"
  p=$?
  check "$s seed 1 with Python $CONF: passes like C (exit $p, C $c)" test $p -eq 0 -a $c -eq 0
  check "... and gives the C services' trace, byte for byte" \
    cmp -s "$OUT/c/$s/1/trace.jsonl" "$OUT/p/$s/1/trace.jsonl"
done

# ---- determinism: a rerun is byte-identical ----
for s in crash-after-apply knobs-tour; do
  sim run "scenarios/$s.lua" --seed 3 --design outbox --out "$OUT/d1" --quiet "${NODES[@]}"
  sim run "scenarios/$s.lua" --seed 3 --design outbox --out "$OUT/d2" --quiet "${NODES[@]}"
  a=$(sha256sum <"$OUT/d1/$s/3/trace.jsonl" 2>/dev/null | cut -d' ' -f1)
  b=$(sha256sum <"$OUT/d2/$s/3/trace.jsonl" 2>/dev/null | cut -d' ' -f1)
  check "$s seed 3 with Python $CONF: a rerun's trace is byte-identical" \
    test -n "$a" -a "$a" = "$b" -a -s "$OUT/d1/$s/3/trace.jsonl"
done

# ---- a broken copy is caught: accounting without its inbox insert ----
cp -r "$PY" "$OUT/broken"
sed -i 's/db.execute("INSERT INTO inbox(/(lambda *a: None)("INSERT INTO inbox(/' \
  "$OUT/broken/accounting.py"
check "the broken copy differs from py/accounting.py in the inbox insert only" \
  test "$(diff "$PY/accounting.py" "$OUT/broken/accounting.py" | grep -c '^[<>]')" -eq 2
sim run scenarios/duplicate-delivery.lua --seed 1 --out "$OUT/b" --quiet \
  --node "accounting=json:$OUT/broken/accounting.py"
rc=$?
check "duplicate-delivery.lua catches it: exit 1" test $rc -eq 1
check "... exactly_once broken" \
  grep -q '"exactly_once": {"ok": false' "$OUT/b/duplicate-delivery/1/summary.json"

# ---- a bad command line ----
python3 "$PY/payment.py" --role payment >"$OUT/u.out" 2>"$OUT/u.err"
rc=$?
check "payment.py without --db: exit 2" test $rc -eq 2
check "... one line on stderr, nothing on stdout" \
  test "$(wc -l <"$OUT/u.err")" -eq 1 -a ! -s "$OUT/u.out"
python3 "$PY/accounting.py" --role accounting --db "$OUT/x.db" --knob max_amount=-1 --sim-stdio \
  </dev/null >"$OUT/u.out" 2>"$OUT/u.err"
rc=$?
check "accounting.py with a bad knob value: exit 2, one line, no database left" \
  test $rc -eq 2 -a "$(wc -l <"$OUT/u.err")" -eq 1 -a ! -e "$OUT/x.db"

# ---- a node that opens another file than its --db: the checker says so ----
cp -r "$PY" "$OUT/nodb"
sed -i 's|oxnode.open_db(self.o\["db"\]|oxnode.open_db(self.o["db"] + ".elsewhere"|' \
  "$OUT/nodb/payment.py"
sim run scenarios/clean.lua --seed 1 --out "$OUT/nd" --node "payment=json:$OUT/nodb/payment.py"
rc=$?
check "a payment service that never opens its --db: exit 3, one line (got $rc)" \
  test $rc -eq 3 -a "$(wc -l <"$OUT/last.err")" -eq 1
check "... saying the service never created its database" \
  grep -q "payment.db: no such file: the service never created its database" "$OUT/last.err"

# ---- a node that words a note its own way: the checker says it could not read it ----
cp -r "$PY" "$OUT/words"
sed -i 's/"payment %d: %d cents from account %d, outbox row %d"/"payment %d of %d cents'\
' from account %d in outbox row %d"/' "$OUT/words/payment.py"
check "the reworded copy differs from py/payment.py in the commit note only" \
  test "$(diff "$PY/payment.py" "$OUT/words/payment.py" | grep -c '^[<>]')" -eq 2
sim run scenarios/clean.lua --seed 1 --out "$OUT/w" --node "payment=json:$OUT/words/payment.py"
check "a run of it warns that notes the history checks read did not parse" \
  grep -q "warning    [0-9]* notes the history checks read did not parse.*payment's commit note" \
  "$OUT/last.out"
check "... and summary.json counts them (unreadable_notes)" \
  grep -q '"unreadable_notes": {"count": [1-9]' "$OUT/w/clean/1/summary.json"
timeout -k 5 600 "$SIM" conform --node "payment=json:$OUT/words/payment.py" -j 2 \
  --out "$OUT/wc" >"$OUT/wc.out" 2>"$OUT/wc.err"
rc=$?
check "conform of it: exit 1, notes-readable failed (got $rc)" \
  test $rc -eq 1 -a -n "$(grep '^conform: payment: notes-readable: ' "$OUT/wc.out")"
timeout -k 5 600 "$SIM" conform --node "payment=json:$PY/payment.py" -j 2 --out "$OUT/pc" \
  >"$OUT/pc.out" 2>"$OUT/pc.err"
rc=$?
check "conform of py/payment.py itself: exit 0, every clause passes (got $rc)" \
  test $rc -eq 0 -a -n "$(grep '^conform: payment: 0 of [0-9]* clauses failed' "$OUT/pc.out")"

# ---- nothing left behind: a node crashed at a failpoint waits to be killed, and is ----
sleep 0.5
check "no Python node of this test's runs is left" \
  sh -c "! pgrep -f 'py/(payment|accounting)\.py .*--db $OUT' >/dev/null"
