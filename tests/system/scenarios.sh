#!/usr/bin/env bash
# Every scenario in scenarios/ meets its expectations under several seeds.
source "$(dirname "$0")/lib.bash"
SEEDS=${SEEDS:-"1 2 3"}
for sc in scenarios/*.lua; do
  for seed in $SEEDS; do
    sim run "$sc" --seed "$seed" --out "$OUT/runs" --quiet
    rc=$?
    if [ $rc -eq 0 ]; then ok "$sc seed $seed"
    else notok "$sc seed $seed exited $rc"; sed 's/^/#   /' "$OUT/last.err" | head -n 5
      slug=$(basename "$sc" .lua)
      grep -o '"why": "[^"]*"' "$OUT/runs/$slug/$seed/summary.json" 2>/dev/null | sed 's/^/#   /'
    fi
  done
done
check "no process, shm file or temp dir left behind" leftovers "$OUT/runs"
