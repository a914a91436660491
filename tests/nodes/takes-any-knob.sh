#!/bin/sh
# takes-any-knob.sh: the payment service as a deployment that never refuses its config.
# Its entrypoint drops every --knob it does not like instead of failing (a "lenient"
# config loader): here, any knob whose value holds a blank or is empty.  The service then
# starts on a configuration nobody chose, and a bad deploy goes out instead of being
# stopped.  knobs_applied catches it (scenarios/README.md, "misconfig"):
#   bin/outbox-sim run scenarios/bad-deploy.lua --node payment=tests/nodes/takes-any-knob.sh
# The node the tests run (OUTBOX_BIN, relative to the repository: build-asan/bin under
# make asan-test), else the repository's bin/.
root=$(cd -P "$(dirname "$0")/../.." && pwd)
bin=${OUTBOX_BIN:-bin}
case $bin in /*) ;; *) bin=$root/$bin ;; esac
node=$bin/outbox-node
skip=0
for a in "$@"; do
  shift
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  if [ "$a" = --knob ]; then
    case "$1" in *" "*|*=) skip=1; continue ;; esac
  fi
  set -- "$@" "$a"
done
exec "$node" "$@"
