#!/usr/bin/env bash
# scripts/asan-test.sh: the whole test suite against the sanitizer build (make asan-test).
#
# `make asan` has built bin/ and the unit tests with -fsanitize=address,undefined into
# build-asan/; this runs tests/run.sh on them (BUILD and OUTBOX_BIN point there, and the
# simulator starts build-asan/bin/outbox-node as its children).
#
#  - The children run with libfaketime preloaded, so libasan is not first in their
#    library list; ASan refuses to start then ("ASan runtime does not come first") unless
#    verify_asan_link_order=0.  Both work together: the virtual clock is unchanged, and a
#    run's trace is byte for byte the one of the plain build.  The simulator passes
#    ASAN_OPTIONS on to its children unchanged.
#  - Every sanitizer report goes to a file (log_path), whichever process made it: a
#    child's report would otherwise sit in a run directory a test deletes, and a test
#    that expects exit 2 or 3 would not notice a report that did not change the code.
#    Any such file fails this script, and is printed.
#  - LeakSanitizer is on: a process that exits normally must have freed what it took.
# Exit 0 all passed and no sanitizer report; 1 otherwise.
set -u
cd "$(dirname "$0")/.." || exit 3
[ -x build-asan/bin/outbox-sim ] || { echo "asan-test: build-asan/ is not built (make asan)" >&2; exit 3; }

logs=$(mktemp -d /tmp/outbox-asan.XXXXXX)
trap 'rm -rf "$logs"' EXIT
export ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:log_path=$logs/asan:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-}"
export BUILD=build-asan OUTBOX_BIN=build-asan/bin

start=$SECONDS
tests/run.sh
rc=$?
reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  n=$(echo "$reports" | wc -l)
  echo "asan-test: $n sanitizer report(s):"
  for f in $reports; do
    echo "---- $(basename "$f")"
    head -n 40 "$f"
  done
  rc=1
fi
echo "asan-test: $( [ $rc -eq 0 ] && echo clean || echo FAILED ) in $((SECONDS - start)) s"
exit $rc
