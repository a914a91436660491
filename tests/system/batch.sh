#!/usr/bin/env bash
# The node's batch rules (proto/step.h, "Batches"), which no scenario exercises: a timer
# due before the next step, a stale TIMER step, a crash and a malformed batch each end
# a batch where they must, and the steps of a batch run each at its own clock.
# tests/tools/step-drive plays the simulator against a real outbox-node --sim with
# hand-made batches and prints one ok/not ok line per check; this passes them on and
# checks that it exited 0 and left nothing behind (no node process, no shm files).
source "$(dirname "$0")/lib.bash"
NODE=${OUTBOX_BIN:-bin}/outbox-node
DRIVE=${BUILD:-build}/tools/step-drive
FAKETIME_LIB=${OUTBOX_FAKETIME:-/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1}

check "step-drive is built (make tools)" test -x "$DRIVE"
check "libfaketime is at $FAKETIME_LIB (or set OUTBOX_FAKETIME)" test -r "$FAKETIME_LIB"
# step-drive bounds its own waits (10 s each); the timeout only guards against a bug in it.
timeout -k 5 120 "$DRIVE" "$NODE" "$FAKETIME_LIB" "$OUT/drive" >"$OUT/drive.out" 2>"$OUT/drive.err"
rc=$?
cat "$OUT/drive.out"
sed 's/^/# /' "$OUT/drive.err"
check "step-drive ran its checks and all passed (exit $rc)" test $rc -eq 0
check "nothing left behind" leftovers "$OUT"
