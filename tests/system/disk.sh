#!/usr/bin/env bash
# The simulated disk (node/vfs.h) and its power cut (proto/disk.h), on real files with
# real SIGKILLs.  tests/tools/disk-crash commits transactions through the VFS, each a
# payment row, its outbox row and a running total together; it is SIGKILLed, the power
# cut rolls its files back, and `disk-crash check` reopens them with SQLite's own VFS:
#   - mid-stream kills: WAL+FULL and DELETE+EXTRA keep every commit reported; DELETE+FULL
#     may lose the last (its journal's unlink was never dir-synced: the journal comes
#     back hot and rolls it back); WAL+NORMAL may lose more; every setting keeps the
#     database whole (integrity_check, and no half transaction), under keep = none,
#     random and torn, and random and torn give the same bytes twice from one seed;
#   - at a fixed point the losses are exact: WAL+NORMAL loses commits, DELETE+FULL the
#     last one, DELETE+EXTRA none; a database never synced (OFF) vanishes;
#   - a second life of the writer takes over the first's journal, torn tail and all;
#   - the buffered journal (a shared map, never flushed) loses exactly what the
#     unbuffered one does when SIGKILLed at any moment;
#   - a journal above the limit is refused and nothing changes;
#   - the node host: step-drive's node lives with OUTBOX_DISK set pass as without it,
#     journal their database, and a power cut leaves it whole; unset, no journal.
source "$(dirname "$0")/lib.bash"
TOOL=${BUILD:-build}/tools/disk-crash
NODE=${OUTBOX_BIN:-bin}/outbox-node
DRIVE=${BUILD:-build}/tools/step-drive
FAKETIME_LIB=${OUTBOX_FAKETIME:-/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1}
check "disk-crash is built (make tools)" test -x "$TOOL"

# rows DIR: the payments `check` finds whole after the cut, or -1 if it finds harm.
rows() {
  local r
  r=$("$TOOL" check "$1/db" 2>&1) || { echo "# check $1: $r" >&2; echo -1; return; }
  echo "${r#rows }"
}

# killed DIR MODE SYNC: runs until 300 commits are reported, then SIGKILLs it.
killed() {
  local d=$1 pid i
  mkdir -p "$d"
  : >"$d/out"
  "$TOOL" run "$d/db" "$d" "$2" "$3" 7 1000000 >"$d/out" 2>"$d/err" &
  pid=$!
  for i in $(seq 1 1200); do
    [ "$(grep -c committed "$d/out")" -ge 300 ] && break
    sleep 0.05
  done
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  grep -c committed "$d/out"
}

# same_cut SRC KEEP SEED: two copies of SRC cut alike end with the same bytes.
same_cut() {
  local a=$OUT/same.a b=$OUT/same.b f
  rm -rf "$a" "$b"; cp -a "$1" "$a"; cp -a "$1" "$b"
  "$TOOL" cut "$a/db" "$a/disk.journal" "$2" "$3" >/dev/null || return 1
  "$TOOL" cut "$b/db" "$b/disk.journal" "$2" "$3" >/dev/null || return 1
  for f in db db-wal db-journal; do   # each there in both with the same bytes, or in neither
    if [ -e "$a/$f" ] || [ -e "$b/$f" ]; then cmp -s "$a/$f" "$b/$f" || return 1; fi
  done
  [ "$(rows "$a")" -ge 0 ]
}

for setting in "wal full" "wal normal" "delete full" "delete extra"; do
  set -- $setting
  d=$OUT/kill-$1-$2
  last=$(killed "$d" "$1" "$2")
  cp -a "$d" "$d.snap"
  "$TOOL" cut "$d/db" "$d/disk.journal" none 1 >"$d/cut" 2>&1
  n=$(rows "$d")
  case $setting in
    "wal full"|"delete extra") want=$last ;;
    "delete full") want=$((last - 1)) ;;
    *) want=0 ;;
  esac
  check "$setting: SIGKILL after $last commits, power cut: whole, $n >= $want survive" \
    test "$n" -ge "$want" -a "$n" -le $((last + 1))
  check "$setting: the cut emptied the journal and removed the -shm" \
    test ! -s "$d/disk.journal" -a ! -e "$d/db-shm"
  for keep in random torn; do
    check "$setting: keep=$keep is whole, and byte-identical twice from one seed" \
      same_cut "$d.snap" "$keep" 5
  done
done

# exact DIR MODE SYNC COUNT: the tool kills itself right after its COUNT-th commit.
exact() {
  mkdir -p "$1"
  "$TOOL" run "$1/db" "$1" "$2" "$3" 7 1000000 "$4" >"$1/out" 2>"$1/err" &
  wait $! 2>/dev/null   # in the background: bash says nothing of the SIGKILL
  "$TOOL" cut "$1/db" "$1/disk.journal" none 1 >"$1/cut" 2>&1
}
exact "$OUT/x-wal-normal" wal normal 150
n=$(rows "$OUT/x-wal-normal")
check "wal normal: 150 commits, power cut: commits lost since the last checkpoint ($n left)" \
  test "$n" -ge 0 -a "$n" -lt 150
exact "$OUT/x-delete-full" delete full 150
check "delete full: 150 commits, power cut: exactly the last is lost" \
  test "$(rows "$OUT/x-delete-full")" -eq 149
exact "$OUT/x-delete-extra" delete extra 150
check "delete extra: 150 commits, power cut: all 150 survive" \
  test "$(rows "$OUT/x-delete-extra")" -eq 150
exact "$OUT/x-off" delete off 20
check "delete off: a database never synced nor dir-synced vanishes" \
  test ! -e "$OUT/x-off/db" -a ! -e "$OUT/x-off/db-journal"
grep -q "db: .*vanished 1," "$OUT/x-off/cut"
check "delete off: the cut reports the database vanished" test $? -eq 0

# Two lives: the second takes over the first's journal (its torn tail cut off), and the
# cut undoes what neither life synced.
mkdir -p "$OUT/lives"
"$TOOL" run "$OUT/lives/db" "$OUT/lives" wal normal 7 1000000 150 >"$OUT/lives/out" 2>&1 &
wait $! 2>/dev/null
printf '\x50\x00\x00\x00\x01\x00' >>"$OUT/lives/disk.journal"   # a record cut short
"$TOOL" run "$OUT/lives/db" "$OUT/lives" wal normal 7 1000000 20 >"$OUT/lives/out2" 2>&1 &
wait $! 2>/dev/null
check "a second life runs on the first's journal" grep -q "committed 170" "$OUT/lives/out2"
"$TOOL" cut "$OUT/lives/db" "$OUT/lives/disk.journal" none 1 >"$OUT/lives/cut" 2>&1
n=$(rows "$OUT/lives")
check "and a power cut after it undoes both lives' unsynced commits ($n of 170 left)" \
  test "$n" -ge 0 -a "$n" -lt 170

# The buffered journal (vfs_set_buffered: a shared map of the journal file, which the tool
# never flushes): a SIGKILL at any instant leaves every record whose change was made, so
# the losses are exactly those of the unbuffered journal.  A journal held in memory until
# a flush would leave nothing here, and every commit would survive the cut.
for setting in "wal normal" "delete full"; do
  set -- $setting
  d=$OUT/kill-b-$1-$2
  last=$(DISK_CRASH_BUFFERED=1 killed "$d" "$1" "$2")
  cp -a "$d" "$d.snap"
  "$TOOL" cut "$d/db" "$d/disk.journal" none 1 >"$d/cut" 2>&1
  n=$(rows "$d")
  want=0; [ "$1" = delete ] && want=$((last - 1))
  check "buffered $setting: SIGKILL after $last commits, power cut: whole, $n >= $want survive" \
    test "$n" -ge "$want" -a "$n" -le $((last + 1))
  for keep in random torn; do
    check "buffered $setting: keep=$keep is whole, and byte-identical twice from one seed" \
      same_cut "$d.snap" "$keep" 5
  done
done
d=$OUT/xb-wal-normal
mkdir -p "$d"
DISK_CRASH_BUFFERED=1 "$TOOL" run "$d/db" "$d" wal normal 7 1000000 150 >"$d/out" 2>&1 &
wait $! 2>/dev/null
check "buffered: the journal's file is mapped, longer than its records (4 MiB)" \
  test "$(stat -c %s "$d/disk.journal")" -ge 4194304
"$TOOL" cut "$d/db" "$d/disk.journal" none 1 >"$d/cut" 2>&1
grep -q "^cut keep=none: [1-9][0-9]* records" "$OUT/xb-wal-normal/cut"
check "buffered: the cut read its records and stopped at the end mark" test $? -eq 0
n=$(rows "$OUT/xb-wal-normal")
check "buffered wal normal: 150 commits, power cut: commits lost ($n left)" \
  test "$n" -ge 0 -a "$n" -lt 150
DISK_CRASH_BUFFERED=1 exact "$OUT/xb-delete-full" delete full 150
check "buffered delete full: 150 commits, power cut: exactly the last is lost" \
  test "$(rows "$OUT/xb-delete-full")" -eq 149
DISK_CRASH_BUFFERED=1 exact "$OUT/xb-delete-extra" delete extra 150
check "buffered delete extra: 150 commits, power cut: all 150 survive" \
  test "$(rows "$OUT/xb-delete-extra")" -eq 150
mkdir -p "$OUT/bclean"
DISK_CRASH_BUFFERED=1 "$TOOL" run "$OUT/bclean/db" "$OUT/bclean" wal normal 7 150 \
  >"$OUT/bclean/out" 2>&1
check "buffered, a clean exit cuts the journal's file to its last record" \
  test "$(stat -c %s "$OUT/bclean/disk.journal")" -lt 4194304
"$TOOL" cut "$OUT/bclean/db" "$OUT/bclean/disk.journal" none 1 >"$OUT/bclean/cut" 2>&1
check "and a power cut after it succeeds" test $? -eq 0
n=$(rows "$OUT/bclean")
check "and leaves the database whole ($n of 150)" test "$n" -ge 0
mkdir -p "$OUT/blives"
DISK_CRASH_BUFFERED=1 "$TOOL" run "$OUT/blives/db" "$OUT/blives" wal normal 7 1000000 150 \
  >"$OUT/blives/out" 2>&1 &
wait $! 2>/dev/null
DISK_CRASH_BUFFERED=1 "$TOOL" run "$OUT/blives/db" "$OUT/blives" wal normal 7 1000000 20 \
  >"$OUT/blives/out2" 2>&1 &
wait $! 2>/dev/null
check "buffered: a second life runs on the first's mapped journal" \
  grep -q "committed 170" "$OUT/blives/out2"
"$TOOL" cut "$OUT/blives/db" "$OUT/blives/disk.journal" none 1 >"$OUT/blives/cut" 2>&1
n=$(rows "$OUT/blives")
check "and a power cut after it undoes both lives' unsynced commits ($n of 170 left)" \
  test "$n" -ge 0 -a "$n" -lt 170

mkdir -p "$OUT/big"
"$TOOL" run "$OUT/big/db" "$OUT/big" wal normal 7 1000000 40 >/dev/null 2>&1 &
wait $! 2>/dev/null
cp -a "$OUT/big" "$OUT/big.snap"
"$TOOL" cut "$OUT/big/db" "$OUT/big/disk.journal" none 1 100 >"$OUT/big.out" 2>"$OUT/big.err"
check "a journal above the limit is refused (exit 1)" test $? -eq 1
check "the refusal says why" grep -q "above the limit of 100" "$OUT/big.err"
check "and changes nothing" diff -r "$OUT/big" "$OUT/big.snap"

# The node host.  step-drive passes its environment on to the nodes it starts.
check "step-drive is built (make tools)" test -x "$DRIVE"
mkdir -p "$OUT/nodedisk"
OUTBOX_DISK=$OUT/nodedisk timeout -k 5 120 "$DRIVE" "$NODE" "$FAKETIME_LIB" "$OUT/drive" \
  >"$OUT/drive.out" 2>"$OUT/drive.err"
rc=$?
grep '^not ok' "$OUT/drive.out" | sed 's/^/# /'
check "step-drive ran its checks ($(grep -c '^ok' "$OUT/drive.out"))" \
  test "$(grep -c '^ok' "$OUT/drive.out")" -ge 10
check "step-drive's checks pass with OUTBOX_DISK set (exit $rc)" test $rc -eq 0
check "the node journaled its database" test -s "$OUT/nodedisk/disk.journal"
"$TOOL" cut "$OUT/drive/payment.db" "$OUT/nodedisk/disk.journal" none 1 >"$OUT/ncut" 2>&1
check "a power cut of the node's files succeeds" test $? -eq 0
check "and leaves its database whole" \
  test "$(sqlite3 "$OUT/drive/payment.db" 'PRAGMA integrity_check' 2>&1)" = ok
OUTBOX_DISK= timeout -k 5 120 "$DRIVE" "$NODE" "$FAKETIME_LIB" "$OUT/plain" >/dev/null 2>&1
check "unset, the node runs as before and journals nothing" \
  test $? -eq 0 -a ! -e "$OUT/plain/disk.journal"
check "nothing left behind" leftovers "$OUT"
