#!/usr/bin/env bash
# tests/system/diskpre.sh: the simulated disk preloaded into a node of another language
# (proto/diskarm.h, bin/libox-disk.so; docs/protocol.md, "The simulated disk").
#
#   - the Python payment service under a full disk at commit: the simulator arms the
#     sites through the map, the preloaded VFS fails the calls, the trace shows them as
#     disk_fault lines, and the service's failed commits are real SQLite errors;
#   - a power cut under synchronous=normal takes back the Python service's unsynced
#     commits (no_phantom broken, as with the C service), which only the preloaded
#     journal can do;
#   - the preload stands aside in bin/outbox-node (it exports ox_node_brings_disk): the
#     C node run through --node gives the native trace byte for byte under a disk fault,
#     also behind a shell script that execs it (the shell gets the preload first);
#   - without an arming map the library refuses in one line, exit 3, before the program
#     runs; with none asked for (no OUTBOX_DISK) it does nothing at all.
source "$(dirname "$0")/lib.bash"

command -v python3 >/dev/null || { skip "python3 is not installed"; exit 0; }
LIBDISK=${OUTBOX_BIN:-bin}/libox-disk.so
check "make built the preload: $LIBDISK" test -r "$LIBDISK"
PAY=(--node "payment=json:$PWD/py/payment.py")

# ---- a disk fault reaches the Python service ----
sim run scenarios/disk-full-at-commit.lua --seed 1 --out "$OUT/f" "${PAY[@]}"
rc=$?
T=$OUT/f/disk-full-at-commit/1
check "disk-full-at-commit with Python payment: passes (exit $rc)" test $rc -eq 0
n=$(grep -c '"ev":"disk_fault","node":"payment"' "$T/trace.jsonl" 2>/dev/null)
check "... the preloaded disk failed calls of the Python service ($n disk_fault lines)" \
  test "${n:-0}" -gt 0
check "... each a real SQLite error the service answered: 'database or disk is full'" \
  grep -q 'database or disk is full' "$T/trace.jsonl"
check "... the preloaded VFS wrote the undo journal a power cut replays (payment.disk/)" \
  test -s "$T/payment.disk/disk.journal"

# ---- a power cut takes back what no sync made durable ----
sim run scenarios/power-payment-normal.lua --seed 1 --out "$OUT/p" "${PAY[@]}"
rc=$?
S=$OUT/p/power-payment-normal/1/summary.json
check "power-payment-normal with Python payment: the expected break is met (exit $rc)" \
  test $rc -eq 0
check "... no_phantom broken: the power cut took back unsynced Python commits" \
  grep -q '"no_phantom": {"ok": false' "$S"

# ---- the preload stands aside in this project's node ----
sim run scenarios/disk-eio-mid-commit.lua --seed 2 --out "$OUT/c" --quiet
c=$?
sim run scenarios/disk-eio-mid-commit.lua --seed 2 --out "$OUT/j" --quiet \
  --node "payment=$PWD/${OUTBOX_BIN:-bin}/outbox-node" \
  --node "accounting=json:$PWD/${OUTBOX_BIN:-bin}/outbox-node"
j=$?
check "disk-eio-mid-commit: bin/outbox-node through --node (binary and text) exits as native" \
  test $c -eq $j
check "... and gives the native trace byte for byte (its own disk, the preload aside)" \
  cmp -s "$OUT/c/disk-eio-mid-commit/2/trace.jsonl" "$OUT/j/disk-eio-mid-commit/2/trace.jsonl"
# A shell script that execs the node gets the preload too; it must not claim the map
# for itself, or the node's own disk faults would go uncounted ("never acted").
printf '#!/bin/sh\nexec "%s" "$@"\n' "$PWD/${OUTBOX_BIN:-bin}/outbox-node" >"$OUT/wrapped"
chmod +x "$OUT/wrapped"
sim run scenarios/disk-eio-mid-commit.lua --seed 2 --out "$OUT/w" --quiet \
  --node "payment=$OUT/wrapped"
check "... and so does bin/outbox-node behind a shell script that execs it (exit $?)" \
  cmp -s "$OUT/c/disk-eio-mid-commit/2/trace.jsonl" "$OUT/w/disk-eio-mid-commit/2/trace.jsonl"

# ---- bad input: no map; and nothing asked for ----
mkdir -p "$OUT/nomap"
OUTBOX_DISK=$OUT/nomap LD_PRELOAD=$PWD/$LIBDISK python3 -c 'print("ran")' \
  >"$OUT/n.out" 2>"$OUT/n.err"
rc=$?
check "OUTBOX_DISK without an arming map: exit 3, one line naming the map, the program not run" \
  test $rc -eq 3 -a "$(wc -l <"$OUT/n.err")" -eq 1 -a ! -s "$OUT/n.out"
check "... the line: $(head -c 120 "$OUT/n.err")" grep -q 'disk.arm' "$OUT/n.err"
printf 'garbage-not-a-map' >"$OUT/nomap/disk.arm"
truncate -s 4096 "$OUT/nomap/disk.arm"
OUTBOX_DISK=$OUT/nomap LD_PRELOAD=$PWD/$LIBDISK python3 -c 'print("ran")' \
  >"$OUT/n.out" 2>"$OUT/n.err"
rc=$?
check "a file that is not an arming map: exit 3, 'bad magic'" \
  test $rc -eq 3 -a "$(grep -c 'bad magic' "$OUT/n.err")" -eq 1
check "... and no journal made beside it" test ! -e "$OUT/nomap/disk.journal"
env -u OUTBOX_DISK LD_PRELOAD=$PWD/$LIBDISK python3 -c \
  'import sqlite3; print(sqlite3.connect(":memory:").execute("select 1").fetchone()[0])' \
  >"$OUT/q.out" 2>"$OUT/q.err"
check "without OUTBOX_DISK the library does nothing: SQLite as always" \
  test "$(cat "$OUT/q.out")" = 1 -a ! -s "$OUT/q.err"
