#!/bin/sh
# prefetch-baked-in.sh: the broker as a deployment that gets its knobs wrong.  The image's
# entrypoint appends a prefetch of its own after the operator's knobs, and the last knob
# wins: the broker runs with prefetch=7 whatever the scenario says.  knobs_applied catches
# it at the broker's first START (README, "Invariants"):
#   bin/outbox-sim run scenarios/duplicate-delivery.lua --node broker=tests/nodes/prefetch-baked-in.sh
exec "$(dirname "$0")/../../bin/outbox-node" "$@" --knob prefetch=7
