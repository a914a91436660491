#!/bin/sh
# prefetch-baked-in.sh: the broker as a deployment that gets its knobs wrong.  The image's
# entrypoint appends a prefetch of its own after the operator's knobs, and the last knob
# wins: the broker runs with prefetch=7 whatever the scenario says.  knobs_applied catches
# it at the broker's first START (README, "Invariants"):
#   bin/outbox-sim run scenarios/duplicate-delivery.lua --node broker=tests/nodes/prefetch-baked-in.sh
# The node the tests run (OUTBOX_BIN, relative to the repository: build-asan/bin under
# make asan-test), else the repository's bin/.
root=$(cd -P "$(dirname "$0")/../.." && pwd)
bin=${OUTBOX_BIN:-bin}
case $bin in /*) ;; *) bin=$root/$bin ;; esac
exec "$bin/outbox-node" "$@" --knob prefetch=7
