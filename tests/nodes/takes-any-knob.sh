#!/bin/sh
# takes-any-knob.sh: the payment service as a deployment that never refuses its config.
# Its entrypoint drops every --knob it does not like instead of failing (a "lenient"
# config loader): here, any knob whose value holds a blank or is empty.  The service then
# starts on a configuration nobody chose, and a bad deploy goes out instead of being
# stopped.  knobs_applied catches it (scenarios/README.md, "misconfig"):
#   bin/outbox-sim run scenarios/bad-deploy.lua --node payment=tests/nodes/takes-any-knob.sh
node="$(dirname "$0")/../../bin/outbox-node"
for a in "$@"; do
  shift
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  if [ "$a" = --knob ]; then
    case "$1" in *" "*|*=) skip=1; continue ;; esac
  fi
  set -- "$@" "$a"
done
exec "$node" "$@"
