#!/usr/bin/env bash
# tests/system/ownfailpoints.sh: a node's own failpoints (docs/protocol.md, "Failpoints
# and injection sites"): a node declares them in its START reply (DECLARE), a scenario
# names them in failpoints { }, and crash{}, power_loss{} and explore reach them.
#
#   - a copy of py/payment.py with a failpoint of its own inside pay()'s transaction,
#     declared: a crash there is a real crash there (the trace says so), and it loses
#     the whole transaction (every invariant holds);
#   - the same copy broken the way teams break an outbox (the payment committed alone,
#     the outbox row in a second transaction, the failpoint between): explore, given
#     no more than the node, crashes at the node's own failpoint and catches it;
#   - bin/outbox-node does not declare it: the run is a harness error naming the
#     failpoint and the scenario's line, at the first START;
#   - a DECLARE in a reply to any step but START is a harness error;
#   - failpoints { } refuses what cannot be a failpoint of a node, in one line, exit 2.
source "$(dirname "$0")/lib.bash"

command -v python3 >/dev/null || { skip "python3 is not installed"; exit 0; }
cp -r py "$OUT/own"
python3 - "$OUT/own/payment.py" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('    OWN_FAILPOINTS = ()\n', '    OWN_FAILPOINTS = ("payment.mid_pay",)\n', 1)
old = '            db.execute("UPDATE outbox SET payload=? WHERE id=?", (payload, msg_id))\n'
assert old in s
s = s.replace(old, old + '            node.failpoint("payment.mid_pay")\n', 1)
open(p, "w").write(s)
EOF
check "the copy differs from py/payment.py in the declaration and the failpoint only" \
  test "$(diff py/payment.py "$OUT/own/payment.py" | grep -c '^[<>]')" -eq 3
OWN=(--node "payment=json:$OUT/own/payment.py")

cat >"$OUT/crash-own.lua" <<'EOF'
scenario { name = "a crash at the node's own failpoint", workload = { payments = 10, rate = 10 },
           run = 3, settle = 10 }
failpoints { "payment.mid_pay" }
crash { at_failpoint = "payment.mid_pay", hit = 3, restart_after = 1 }
expect { all_invariants = true }
EOF

# ---- a crash at the node's own failpoint ----
sim run "$OUT/crash-own.lua" --seed 1 --out "$OUT/r" "${OWN[@]}"
rc=$?
T=$OUT/r/crash-own/1/trace.jsonl
check "crash at payment.mid_pay with the copy that declares it: every invariant holds (exit $rc)" \
  test $rc -eq 0
check "... the trace shows the crash there, at its third pass" \
  grep -q '"ev":"crash","node":"payment","life":1,"at":"payment.mid_pay"' "$T"
check "... and the pass before it, counted like any failpoint's" \
  grep -q '"ev":"failpoint","node":"payment","name":"payment.mid_pay","hit":3' "$T"

# ---- the C node does not have it ----
sim run "$OUT/crash-own.lua" --seed 1 --out "$OUT/c"
rc=$?
check "the same scenario with bin/outbox-node: harness error, exit 3 (got $rc)" test $rc -eq 3
check "... one line naming the failpoint and the scenario's line" \
  grep -q "payment does not declare failpoint 'payment.mid_pay'.*failpoints { } at line 3" \
  "$OUT/last.err"

# ---- explore finds a bug at the node's own failpoint ----
cp -r "$OUT/own" "$OUT/dual"
python3 - "$OUT/dual/payment.py" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('            node.failpoint("payment.mid_pay")\n', '', 1)
old = """                       " VALUES(?, ?, ?, 'PAID', ?)", (pay_id, account, amount, now))\n"""
assert old in s
s = s.replace(old, old + '            db.execute("COMMIT")   # the dual write: the payment alone\n'
              '            node.failpoint("payment.mid_pay")\n'
              '            db.execute("BEGIN IMMEDIATE")\n', 1)
open(p, "w").write(s)
EOF
cat >"$OUT/base.lua" <<'EOF'
scenario { name = "three payments", workload = { payments = 3, rate = 10 }, run = 1, settle = 10 }
EOF
timeout -k 5 600 "$SIM" explore "$OUT/base.lua" --seed 1 --out "$OUT/x" -j 2 \
  --node "payment=json:$OUT/dual/payment.py" >"$OUT/x.out" 2>"$OUT/x.err"
rc=$?
check "explore of the dual-write copy: exit 1, something broke (got $rc)" test $rc -eq 1
check "... the baseline counted the node's own failpoint" \
  grep -q 'payment.mid_pay 3' "$OUT/x.out"
v=$(grep -l 'at_failpoint = "payment.mid_pay"' "$OUT"/x/variants/*.lua 2>/dev/null | head -n1)
check "... a kept variant crashes there, naming it in failpoints { } first" \
  test -n "$v" -a "$(grep -n 'failpoints {' "$v" 2>/dev/null | cut -d: -f1)" -lt \
  "$(grep -n 'at_failpoint = "payment.mid_pay"' "$v" 2>/dev/null | cut -d: -f1)"
check "... and the report names the broken invariant of a payment without its outbox row" \
  grep -Eq 'atomicity +[0-9]+ +crash at payment.mid_pay' "$OUT/x.out"

# ---- shrink keeps failpoints { } in what it writes ----
cat >"$OUT/dual.lua" <<'EOF2'
scenario { name = "the dual write, crashed between", workload = { payments = 6, rate = 10 },
           run = 2, settle = 10 }
failpoints { "payment.mid_pay" }
drop { from = "payment", to = "broker", nth = 1 }
crash { at_failpoint = "payment.mid_pay", hit = 4, restart_after = 1 }
expect { all_invariants = true }
EOF2
sim run "$OUT/dual.lua" --seed 1 --out "$OUT/d" --quiet --node "payment=json:$OUT/dual/payment.py"
rc=$?
check "the dual-write copy crashed at its own failpoint breaks the scenario (exit $rc)" test $rc -eq 1
sim shrink "$OUT/d/dual/1" --out "$OUT/shrunk.lua" --node "payment=json:$OUT/dual/payment.py"
rc=$?
check "shrink of that run: exit 0 (got $rc)" test $rc -eq 0
check "... the shrunk scenario keeps failpoints { } and the crash there" \
  sh -c "grep -q 'failpoints { \"payment.mid_pay\" }' '$OUT/shrunk.lua' &&
         grep -q 'at_failpoint = \"payment.mid_pay\"' '$OUT/shrunk.lua'"
sim run "$OUT/shrunk.lua" --seed 1 --out "$OUT/s" --quiet --node "payment=json:$OUT/dual/payment.py"
rc=$?
check "... and it loads and still breaks with the copy (exit $rc)" test $rc -eq 1

# ---- DECLARE only at START ----
cp -r py "$OUT/late"
python3 - "$OUT/late/oxnode.py" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
old = '        elif kind == "TIMER":\n'
assert old in s
s = s.replace(old, old + '            self.fx.append({"type": "DECLARE", "name": "payment.late"})\n', 1)
open(p, "w").write(s)
EOF
sim run scenarios/clean.lua --seed 1 --out "$OUT/l" --node "payment=json:$OUT/late/payment.py"
rc=$?
check "a DECLARE in a TIMER step's reply: harness error, exit 3 (got $rc)" test $rc -eq 3
check "... saying only a START's reply declares" grep -q "only a START's reply declares" \
  "$OUT/last.err"

# ---- failpoints { } refuses what is no failpoint of a node ----
n=0
while IFS='|' read -r body want; do
  n=$((n + 1))
  printf 'scenario { name = "bad", workload = { payments = 1 }, run = 1 }\n%s\n' "$body" \
    >"$OUT/bad$n.lua"
  sim run "$OUT/bad$n.lua" --seed 1 --out "$OUT/b"
  rc=$?
  check "failpoints: $body: exit 2, one line: $want" \
    test $rc -eq 2 -a "$(wc -l <"$OUT/last.err")" -eq 1
  check "... it says so" grep -q -- "$want" "$OUT/last.err"
done <<'EOF'
failpoints { "mid_pay" }|is not <role>.<place>
failpoints { "cashier.mid_pay" }|is not <role>.<place>
failpoints { "payment.Mid-Pay" }|the place after the role is
failpoints { "payment.after_commit" }|is one of this project's failpoints
failpoints { "payment.after_sync" }|is a sync point
failpoints { }|a non-empty list
failpoints "payment.mid_pay"|give a list of names
crash { at_failpoint = "payment.mid_pay", hit = 1 }|unknown failpoint 'payment.mid_pay'
EOF
check "nothing is left of the refused scenarios' runs" test ! -e "$OUT/b/bad1"
