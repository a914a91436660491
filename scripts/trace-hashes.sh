#!/usr/bin/env bash
# trace-hashes.sh: the trace lock.  Runs every scenarios/*.lua under seeds 1, 2 and 3,
# and bench/standard.lua under seed 1, and prints one line per run:
#   <scenario> <seed> <sha256 of trace.jsonl>
# A refactoring must leave every line unchanged: tests/system/tracelock.sh compares the
# output with tests/trace-hashes.expected, and `make trace-lock-update` rewrites that file
# when a change of behaviour is meant.
# Usage: scripts/trace-hashes.sh [JOBS]     (OUTBOX_BIN names the binaries' folder)
set -u
cd "$(dirname "$0")/.." || exit 3
SIM=${OUTBOX_BIN:-bin}/outbox-sim
jobs=${1:-2}
out=$(mktemp -d /tmp/outbox-tracelock.XXXXXX)
trap 'rm -rf "$out"' EXIT

one() {  # one SCENARIO SEED: prints the line, or "<scenario> <seed> error <exit code>"
  local sc=$1 seed=$2 name dir rc
  name=$(basename "$sc" .lua)
  dir="$out/$name-$seed"
  timeout -k 5 300 "$SIM" run "$sc" --seed "$seed" --out "$dir" --quiet >/dev/null 2>&1
  rc=$?
  if [ "$rc" -gt 1 ] || [ ! -f "$dir/$name/$seed/trace.jsonl" ]; then
    echo "$name $seed error $rc"; return
  fi
  echo "$name $seed $(sha256sum <"$dir/$name/$seed/trace.jsonl" | cut -c1-64)"
  rm -rf "$dir"
}
export -f one
export SIM out
{
  for sc in scenarios/*.lua; do for seed in 1 2 3; do echo "$sc $seed"; done; done
  echo "bench/standard.lua 1"
} | xargs -P "$jobs" -L 1 bash -c 'one "$0" "$1"' | LC_ALL=C sort
