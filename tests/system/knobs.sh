#!/usr/bin/env bash
# knobs.sh: knobs_applied fires (sim/check/hknobs.h).  A service must run with the knobs
# it was given (its START's "config" note against what its arguments resolve to), and a
# bad deploy (misconfig{}, sim/core/misconf.h) must be refused with exit 2 and one line
# naming the knob.  Each way of breaking it is a real process that does it: a wrapper
# around bin/outbox-node, never an edited trace.
source "$(dirname "$0")/lib.bash"

# broken SLUG TEXT: the run exited 1 and knobs_applied's violation says TEXT
broken() {
  local s="$OUT/runs/$1/1/summary.json"
  check "$1: exits 1" test "$rc" -eq 1
  check "$1: knobs_applied broken: $2" bash -c "grep -A1 '\"knobs_applied\": {\"ok\": false' '$s' |
    grep -qF -- \"\$1\"" _ "$2"
}
held() {
  check "$1: exits 0" test "$rc" -eq 0
  check "$1: knobs_applied holds" grep -q '"knobs_applied": {"ok": true' "$OUT/runs/$1/1/summary.json"
}

# A node whose entrypoint overrides a knob: caught at its first START, with the knob.
sim run scenarios/duplicate-delivery.lua --node broker=tests/nodes/prefetch-baked-in.sh --out "$OUT/runs"
rc=$?
broken duplicate-delivery "broker runs with prefetch=7 where its knobs give prefetch=100"
check "the difference is traced once, at the broker's first START" \
  test "$(grep -c '"ev":"config_differs","node":"broker","life":1' "$OUT/runs/duplicate-delivery/1/trace.jsonl")" -eq 1

# The same run with the true broker: the note is not traced, so the trace is the one the
# trace lock knows (tests/trace-hashes.expected), and nothing differs.
sim run scenarios/clean.lua --out "$OUT/runs"
rc=$?
held clean
check "clean: no config line in the trace" bash -c "! grep -q 'config' '$OUT/runs/clean/1/trace.jsonl'"

# A bad deploy: every refusal is exit 2 and one line naming the knob.
sim run scenarios/bad-deploy.lua --out "$OUT/runs"
rc=$?
held bad-deploy
T=$OUT/runs/bad-deploy/1/trace.jsonl
check "bad-deploy: eight deploys, eight refusals" test "$(grep -c '"ev":"deploy_refused"' "$T")" -eq 8
check "bad-deploy: each refusal exited 2" test "$(grep -c '"ev":"deploy_refused".*"exit":2,' "$T")" -eq 8
check "bad-deploy: the refused life is followed by the rollback's restart" \
  grep -q '"ev":"restart","node":"payment","life":3,"why":"restart_after"' "$T"

# A node that takes a bad knob (its entrypoint drops what it does not like).
sim run scenarios/bad-deploy.lua --node payment=tests/nodes/takes-any-knob.sh --out "$OUT/runs"
rc=$?
broken bad-deploy "payment started with knob max_attempts= 5, which the configuration refuses"

# A refusal in two lines, and one with the wrong exit code, each a wrapper of its own.
nodebin=${OUTBOX_BIN:-bin}
case $nodebin in /*) ;; *) nodebin=$PWD/$nodebin ;; esac
mk_node() {   # NAME SHELL-LINES: a wrapper that runs the tests' outbox-node, then does LINES
  printf '#!/bin/sh\n"%s/outbox-node" "$@"\nrc=$?\n%s\nexit $rc\n' "$nodebin" "$2" >"$OUT/$1"
  chmod +x "$OUT/$1"
}
mk_node two-lines.sh '[ $rc -eq 2 ] && echo "see --help" >&2'
mk_node exit-three.sh '[ $rc -eq 2 ] && exit 3'
cat >"$OUT/one-deploy.lua" <<'LUA'
scenario { name = "one bad deploy", workload = { payments = 20, rate = 10 }, run = 4, settle = 20 }
misconfig { node = "broker", at = 1, knob = "prefetch=0", restart_after = 0.5 }
LUA
sim run "$OUT/one-deploy.lua" --node broker="$OUT/two-lines.sh" --out "$OUT/runs"
rc=$?
broken one-deploy "broker refused knob prefetch=0, but not in one line"
sim run "$OUT/one-deploy.lua" --node broker="$OUT/exit-three.sh" --out "$OUT/runs"
rc=$?
broken one-deploy "broker, given knob prefetch=0, exited with 3, not 2 (bad usage)"
sim run "$OUT/one-deploy.lua" --out "$OUT/runs"
rc=$?
held one-deploy

# A knob the node does not read may be taken (docs/protocol.md): the Python accounting
# ignores lease_skew, and its config note does not list it, so only knobs of no table and
# the ones it lists bind it.
cat >"$OUT/not-read.lua" <<'LUA'
scenario { name = "not read", workload = { payments = 20, rate = 10 }, run = 4, settle = 20 }
misconfig { node = "accounting", at = 1, knob = "lease_skew=3601", restart_after = 0.5 }
misconfig { node = "accounting", at = 2, knob = "lease_skw=1", restart_after = 0.5 }
LUA
if command -v python3 >/dev/null; then
  sim run "$OUT/not-read.lua" --node accounting=json:py/accounting.py --out "$OUT/runs"
  rc=$?
  held not-read
  check "not-read: the Python accounting took lease_skew, a knob it does not read" \
    grep -q '"ev":"deploy_accepted","node":"accounting".*"target":"lease_skew=3601","result":"not read"' \
    "$OUT/runs/not-read/1/trace.jsonl"
  check "not-read: and refused a knob of no table" \
    grep -q '"ev":"deploy_refused","node":"accounting".*"target":"lease_skw=1","exit":2' \
    "$OUT/runs/not-read/1/trace.jsonl"
  # The Python services say their config too, and are held to it: a payment whose note
  # says one more than the scan_batch it was given is caught (and the true one holds).
  cp scenarios/clean.lua "$OUT/pyclean.lua"
  sim run "$OUT/pyclean.lua" --seed 1 --node payment=json:py/payment.py --out "$OUT/runs"
  rc=$?
  held pyclean
  mkdir -p "$OUT/pylie"
  cp py/*.py "$OUT/pylie/"
  sed -i 's/("scan_batch", "%d" % cfg\["scan_batch"\])/("scan_batch", "%d" % (cfg["scan_batch"] + 1))/' \
    "$OUT/pylie/oxnode.py"
  check "pylie: the planted lie is in its config_text" grep -q 'cfg\["scan_batch"\] + 1' \
    "$OUT/pylie/oxnode.py"
  cp scenarios/clean.lua "$OUT/pylie.lua"
  sim run "$OUT/pylie.lua" --seed 1 --node "payment=json:$OUT/pylie/payment.py" --out "$OUT/runs"
  rc=$?
  broken pylie "payment runs with scan_batch=101 where its knobs give scan_batch=100"
else
  skip "python3 is not installed: the Python checks"
fi

# Bad input: a misconfig with a knob the configuration takes is a scenario error.
printf 'scenario { name = "x", run = 20 }\nmisconfig { node = "broker", at = 1, knob = "prefetch=5" }\n' \
  >"$OUT/good-knob.lua"
sim run "$OUT/good-knob.lua" --out "$OUT/runs"
rc=$?
check "a misconfig with a good knob: exit 2" test "$rc" -eq 2
check "... one line naming the file, its line and the knob" \
  grep -q "good-knob.lua:2: misconfig: knob 'prefetch=5' is one the configuration takes" "$OUT/last.out" "$OUT/last.err"

check "nothing left behind" leftovers "$OUT"
