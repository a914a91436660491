#!/usr/bin/env bash
# Bad input: one clear line naming the problem and where, the documented exit code,
# and nothing left behind.
source "$(dirname "$0")/lib.bash"
expect_error() {   # what code pattern args...
  local what=$1 code=$2 pattern=$3; shift 3
  sim "$@"
  local rc=$?
  check "$what: exit $code" test $rc -eq "$code"
  check "$what: says '$pattern'" grep -q -- "$pattern" "$OUT/last.err"
}
mk() { printf '%s\n' "$2" >"$OUT/$1.lua"; }
mk syntax 'scenario { name = "x", workload = { payments = 1, rate = 1 }, run = 5, settle = 5 '
mk unknown_node 'scenario { name = "x", workload = { payments = 1, rate = 1 }, run = 5, settle = 5 }
drop { link = "paymnt->broker", p = 0.5 }'
mk callback 'scenario { name = "x", workload = { payments = 2, rate = 1 }, run = 5, settle = 5 }
at(1, function()
  local t = nil
  return t.field
end)'
mk rate 'scenario { name = "x", workload = { payments = 1, rate = -5 }, run = 5, settle = 5 }'
mk io 'io.open("/etc/passwd")'
expect_error "missing scenario" 2 "nope.lua" run "$OUT/nope.lua"
expect_error "syntax error" 2 "syntax.lua:" run "$OUT/syntax.lua"
expect_error "unknown node" 2 "unknown_node.lua:2:" run "$OUT/unknown_node.lua"
expect_error "runtime error in a callback" 2 "callback.lua:4:" run "$OUT/callback.lua" --out "$OUT/runs"
expect_error "negative rate" 2 "rate.lua:1:" run "$OUT/rate.lua"
expect_error "sandbox: no io" 2 "io.lua:1:" run "$OUT/io.lua"
expect_error "unknown flag" 2 "unknown flag '--sed'" run scenarios/clean.lua --sed 3
expect_error "bad seed" 2 "--seed" run scenarios/clean.lua --seed -1
expect_error "unknown design" 2 "unknown design 'outbx'" run scenarios/clean.lua --design outbx
expect_error "unknown command" 2 "unknown command" frobnicate
check "nothing left behind" leftovers "$OUT"
