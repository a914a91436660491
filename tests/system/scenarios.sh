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
# This project's services word every note the history checks read as they parse it
# (sim/check/history.h): a note they could not read would be judged as if absent.
unread=$(grep -l '"unreadable_notes"' "$OUT"/runs/*/*/summary.json 2>/dev/null)
check "the history checks read every note of every run (no unreadable_notes)" test -z "$unread"
for f in $unread; do grep -o '"first": "[^"]*"' "$f" | sed "s|^|#   $f: |"; done
check "no process, shm file or temp dir left behind" leftovers "$OUT/runs"
