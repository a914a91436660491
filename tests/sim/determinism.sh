#!/usr/bin/env bash
# The same scenario and seed give byte-identical traces; another seed another trace.
source "$(dirname "$0")/lib.bash"
sc=scenarios/showcase.lua
for run in a b; do sim run "$sc" --seed 7 --out "$OUT/$run" --quiet; done
sim run "$sc" --seed 8 --out "$OUT/c" --quiet
A=$OUT/a/showcase/7 B=$OUT/b/showcase/7 C=$OUT/c/showcase/8
check "trace exists and is not trivial" test "$(wc -l <"$A/trace.jsonl")" -gt 100
check "same seed: byte-identical trace.jsonl" cmp -s "$A/trace.jsonl" "$B/trace.jsonl"
h() { grep -o '"hash": "[^"]*"' "$1/summary.json"; }
check "same seed: same trace hash in summary.json" test "$(h "$A")" = "$(h "$B")"
check "another seed: a different trace" bash -c "! cmp -s '$A/trace.jsonl' '$C/trace.jsonl'"
for db in payment accounting; do
  check "same seed: same $db rows" test "$(sqlite3 "$A/$db.db" .dump | md5sum)" = "$(sqlite3 "$B/$db.db" .dump | md5sum)"
done
