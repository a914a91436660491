#!/usr/bin/env bash
# tests/system/tracelock.sh: the trace lock.  Every scenario of the library under seeds
# 1-3, and bench/standard.lua, must give the trace recorded in tests/trace-hashes.expected,
# byte for byte: a refactoring changes no behaviour.  A change that means to change
# behaviour rewrites the file with `make trace-lock-update` and says why in its commit.
source "$(dirname "$0")/lib.bash"
scripts/trace-hashes.sh 2 >"$OUT/hashes"
exp=tests/trace-hashes.expected
scen=$(ls scenarios/*.lua | wc -l)
check "the lock covers every scenario x 3 seeds and bench/standard.lua" \
  test "$(wc -l <"$exp")" -eq $((scen * 3 + 1))
check "no run of the lock failed" bash -c "! grep -q ' error ' '$OUT/hashes'"
check "every run's trace is its own (the hash is not constant)" \
  test "$(awk '{print $3}' "$OUT/hashes" | sort -u | wc -l)" -eq "$(wc -l <"$OUT/hashes")"
if diff "$exp" "$OUT/hashes" >"$OUT/diff"; then
  ok "every trace byte for byte as recorded"
else
  notok "every trace byte for byte as recorded"
  grep '^[<>]' "$OUT/diff" | head -n 20 | sed 's/^/# /'
fi
