#!/usr/bin/env bash
# tests/system/protocoldoc.sh: docs/protocol.md (the node protocol's specification) says
# what the code does: scripts/protocol-tables.py --check compares each of its tables with
# the code it restates (constants and enums of proto/step.h, proto/exit.h and lib/wire.h,
# the frames of lib/wire.c, timers, injection sites, failpoints, schema ids, every note
# kind the services emit and which of them the checker, the report and the simulator
# read, every detail pattern the checker parses, the checker's and the probe's SQL).
# And the check bites: a changed copy of the page, and copies of the code with one
# change each, are each caught.
source "$(dirname "$0")/lib.bash"

python3 scripts/protocol-tables.py --check >"$OUT/check.out" 2>&1
rc=$?
check "docs/protocol.md agrees with the code" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$OUT/check.out" | head -n 30
check "it names protocol version 3, as proto/step.c does" \
  grep -q '^# The node protocol, version 3$' docs/protocol.md
check "proto/step.c's version is 3" grep -q '^#define STEP_VERSION 3 ' proto/step.c

# bites_doc WHAT SED-EXPR: the page changed by SED-EXPR fails the check, naming WHAT.
bites_doc() {
  sed "$2" docs/protocol.md >"$OUT/doc.md"
  python3 scripts/protocol-tables.py --check --doc "$OUT/doc.md" >"$OUT/bite.out" 2>&1
  check "bites: the page with $1 fails (exit 1)" [ $? -eq 1 ]
  check "bites: ... and says so" grep -q "$3" "$OUT/bite.out"
  check "bites: ... (the edit changed the page)" sh -c "! cmp -s docs/protocol.md '$OUT/doc.md'"
}
bites_doc "OX_BATCH_MAX 17" 's/^| `OX_BATCH_MAX` | 16 |/| `OX_BATCH_MAX` | 17 |/' \
  "step-constants"
bites_doc "TIMER's code 4" 's/^| `TIMER` | 3 |/| `TIMER` | 4 |/' "step-kinds"
bites_doc "the commit note's checker column no" \
  's/^| `commit` | payment | yes |/| `commit` | payment | no |/' "notes"
bites_doc "a detail pattern reworded" 's/`%d due`/`%u due`/' "parses a detail"
bites_doc "a frame's queue swapped" 's/^| `DACK` | payment | broker | `ACC_QUEUE` |/| `DACK` | payment | broker | `PAY_QUEUE` |/' "frames"
bites_doc "a query reworded" 's/^SELECT count(\*) FROM alert$/SELECT count(id) FROM alert/' \
  "checker-sql"

# bites_code WHAT FILE SED-EXPR PATTERN: a copy of the code with FILE changed fails.
bites_code() {
  rm -rf "$OUT/root"
  mkdir -p "$OUT/root"
  cp -r proto lib node sim docs "$OUT/root/"
  sed -i "$3" "$OUT/root/$2"
  check "bites: the code with $1 (the edit changed $2)" sh -c "! cmp -s '$2' '$OUT/root/$2'"
  python3 scripts/protocol-tables.py --check --root "$OUT/root" >"$OUT/bite.out" 2>&1
  check "bites: the code with $1 fails the page (exit 1)" [ $? -eq 1 ]
  check "bites: ... naming $4" grep -q "$4" "$OUT/bite.out"
}
bites_code "a new effect type" proto/step.h 's/    OX_FX_PASSED,$/    OX_FX_PASSED,\n    OX_FX_NEW,/' \
  "effect-types"
bites_code "a larger OX_STEP_MAX_ARMED" proto/step.h \
  's/^#define OX_STEP_MAX_ARMED 8$/#define OX_STEP_MAX_ARMED 9/' "OX_STEP_MAX_ARMED"
bites_code "a new note kind" lib/scan.c 's/ox_svc_event(s, "scan", 0,/ox_svc_event(s, "rescan", 0,/' \
  "rescan"
bites_code "the checker reading one more kind" sim/check/hproducer.c \
  's/else if (!strcmp(k, "scan")) on_scan(p, e);/else if (!strcmp(k, "scan") || !strcmp(k, "refund")) on_scan(p, e);/' \
  "refund"
bites_code "a new detail pattern" sim/check/hproducer.c 's/"%d due"/"%d rows due"/' "rows due"
bites_code "another query" sim/check/checker.c \
  's/^static const char ALERTS_SQL\[\] = "SELECT count(\*) FROM alert";/static const char ALERTS_SQL[] = "SELECT count(*) FROM alert WHERE 1";/' \
  "checker-sql"
bites_code "a new failpoint" lib/service.c 's/^    "payment.after_consumed",$/    "payment.after_consumed",\n    "payment.after_refund",/' \
  "failpoints"
bites_code "an exit code renumbered" proto/exit.h 's/OX_EXIT_HARNESS = 3/OX_EXIT_HARNESS = 4/' \
  "exit-codes"
