#!/usr/bin/env bash
# deps.sh: make sure the Debian packages outbox-lab builds and tests with are present.
#
# Run by `make` (build), `make test` and `make demo`.  As root it installs what is
# missing with apt-get; otherwise it prints the one command that would, and fails.
# Usage: scripts/deps.sh [build|test|coverage|fuzz]
#   test      adds the test framework and the headless browser the report test uses
#   coverage  adds gcovr;  fuzz  adds clang and its runtime (libFuzzer)
set -u
want="libsqlite3-dev libzmq3-dev liblua5.4-dev libjansson-dev libfaketime pkg-config sqlite3"
case "${1:-build}" in
  test) want="$want libcmocka-dev chromium python3" ;;
  coverage) want="$want libcmocka-dev gcovr" ;;
  fuzz) want="$want clang libclang-rt-14-dev" ;;
  build) ;;
  *) echo "deps.sh: unknown set '$1' (expected build, test, coverage or fuzz)" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

cmd="apt-get update && apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
  echo "outbox-lab: missing packages:$missing" >&2
  echo "outbox-lab: run as root:  $cmd" >&2
  exit 1
fi
echo "outbox-lab: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >/tmp/outbox-lab-apt.log 2>&1; then
  echo "outbox-lab: apt-get failed; see /tmp/outbox-lab-apt.log" >&2
  tail -n 5 /tmp/outbox-lab-apt.log >&2
  exit 1
fi
