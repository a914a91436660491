#!/usr/bin/env bash
# tests/system/dbcontract.sh: the checker's contract with a service's database
# (docs/protocol.md, "The database contract") is names, not lib/'s tables: an
# implementation with its own schema maps it with SQL views, and nothing else.
#
# Payment and accounting run through a wrapper (--node) around the real bin/outbox-node
# that, after the node's clean STOP, renames every table and column the checker reads to
# a schema of its own and creates views with the contract's names over it.  The checker
# then reads only views:
#   - with a faithful mapping, each scenario's verdict and invariant counts are the
#     default run's (and the trace is the same, byte for byte);
#   - with the renamed tables and no views, the checker cannot read the database (exit 3):
#     it reads those names and no others;
#   - with a mapping that is wrong (a voucher view that shows payment 5's voucher twice),
#     exactly_once breaks: the verdict comes from the views' rows.
source "$(dirname "$0")/lib.bash"

NODE=$(cd "$(dirname "${OUTBOX_BIN:-bin}/outbox-node")" && pwd)/outbox-node
command -v sqlite3 >/dev/null || { skip "no sqlite3 command"; exit 0; }

cat >"$OUT/payment.sql" <<'SQL'
ALTER TABLE payment RENAME TO pay_rows;
ALTER TABLE pay_rows RENAME COLUMN status TO state;
CREATE VIEW payment AS SELECT id, amount, account, state AS status FROM pay_rows;
ALTER TABLE refund RENAME TO refunds;
ALTER TABLE refunds RENAME COLUMN amount TO cents;
CREATE VIEW refund AS SELECT payment_id, cents AS amount FROM refunds;
ALTER TABLE outbox RENAME TO out_messages;
ALTER TABLE out_messages RENAME COLUMN status TO state;
ALTER TABLE out_messages RENAME COLUMN attempts TO sends;
CREATE VIEW outbox AS SELECT id, payment_id, state AS status, sends AS attempts
  FROM out_messages;
ALTER TABLE outbox_cleaned RENAME TO gone;
CREATE VIEW outbox_cleaned AS SELECT payment_id, outbox_id, status, attempts FROM gone;
ALTER TABLE alert RENAME TO alarms;
ALTER TABLE alarms RENAME COLUMN outbox_id TO message_id;
CREATE VIEW alert AS SELECT message_id AS outbox_id, payment_id FROM alarms;
SQL
cat >"$OUT/accounting.sql" <<'SQL'
ALTER TABLE voucher RENAME TO ledger;
ALTER TABLE ledger RENAME COLUMN amount TO cents;
CREATE VIEW voucher AS SELECT id, payment_id, msg_id, cents AS amount, account FROM ledger;
SQL
# The views dropped: the renamed schema alone.
grep -v '^CREATE VIEW\|^  FROM' "$OUT/payment.sql" >"$OUT/payment-noview.sql"
grep -v '^CREATE VIEW' "$OUT/accounting.sql" >"$OUT/accounting-noview.sql"
# A wrong mapping: payment 5's voucher shown twice.
sed 's/FROM ledger;$/FROM ledger UNION ALL SELECT id + 1000000, payment_id, msg_id, cents, account FROM ledger WHERE payment_id = 5;/' \
  "$OUT/accounting.sql" >"$OUT/accounting-twice.sql"

# wrapper NAME SUFFIX: runs the node as a child; after a clean exit, maps its database
# with $OUT/<role><SUFFIX>.sql.
wrapper() {
  cat >"$OUT/$1" <<EOF
#!/bin/sh
db= role= prev=
for a in "\$@"; do
  [ "\$prev" = --db ] && db=\$a
  [ "\$prev" = --role ] && role=\$a
  prev=\$a
done
"$NODE" "\$@"
rc=\$?
if [ \$rc = 0 ]; then sqlite3 "\$db" <"$OUT/\$role$2.sql" || rc=3; fi
exit \$rc
EOF
  chmod +x "$OUT/$1"
}
wrapper mapped ""
wrapper noview "-noview"
wrapper twice ""   # payment faithful; accounting's file is swapped below
sed -i 's|\$role.sql|$role$( [ "$role" = accounting ] \&\& echo -twice).sql|' "$OUT/twice"

counts() { python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["verdict"], " ".join("%s=%s" % (k, v.get("count")) for k, v in s["invariants"].items()))
' "$1/summary.json"; }

for sc in poison-message completion-delete; do
  sim run "scenarios/$sc.lua" --seed 1 --out "$OUT/def"
  def_rc=$?
  sim run "scenarios/$sc.lua" --seed 1 --out "$OUT/map" \
    --node "payment=$OUT/mapped" --node "accounting=$OUT/mapped"
  check "$sc: through views, the same exit code ($def_rc)" [ $? = "$def_rc" ]
  check "$sc: the checker read views (payment.db has them)" \
    [ "$(sqlite3 "$OUT/map/$sc/1/payment.db" "SELECT count(*) FROM sqlite_schema WHERE type = 'view'")" = 5 ]
  check "$sc: the same verdict and invariant counts" \
    [ "$(counts "$OUT/def/$sc/1")" = "$(counts "$OUT/map/$sc/1")" ]
  check "$sc: the same trace" cmp -s "$OUT/def/$sc/1/trace.jsonl" "$OUT/map/$sc/1/trace.jsonl"
done
check "poison-message's rows reached every mapped table (a refund, a DEAD row's alert)" \
  [ "$(sqlite3 "$OUT/map/poison-message/1/payment.db" \
       "SELECT (SELECT count(*) FROM refund) || ' ' || (SELECT count(*) FROM alert)")" = "1 1" ]
check "completion-delete's tombstones too" \
  [ "$(sqlite3 "$OUT/map/completion-delete/1/payment.db" "SELECT count(*) > 0 FROM outbox_cleaned")" = 1 ]

sim run scenarios/clean.lua --seed 1 --out "$OUT/nov" \
  --node "payment=$OUT/noview" --node "accounting=$OUT/noview"
check "renamed tables without views: the checker cannot judge (exit 3)" [ $? = 3 ]
check "... and names what it missed" grep -q "no such table" "$OUT/last.err"

sim run scenarios/clean.lua --seed 1 --out "$OUT/twice-run" \
  --node "payment=$OUT/twice" --node "accounting=$OUT/twice"
check "a voucher view showing one voucher twice: exit 1" [ $? = 1 ]
check "... exactly_once broken, for payment 5" \
  python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
inv = s["invariants"]["exactly_once"]
sys.exit(0 if inv["count"] == 1 and "5" in json.dumps(inv) else 1)
' "$OUT/twice-run/clean/1/summary.json"
