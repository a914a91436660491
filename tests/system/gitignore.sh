#!/usr/bin/env bash
# tests/system/gitignore.sh: everything the tools write by default is ignored by git.
# The list is not kept by hand: it is every "reports/<name>" path the sources, scripts
# and makefiles name (a default --out, a report file), so a tool that gains a new
# default output directory fails here until .gitignore covers it.
source "$(dirname "$0")/lib.bash"

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  skip "not a git checkout: nothing to ignore"; exit 0
fi
grep -rhoE 'reports/[A-Za-z0-9_.-]+' sim scripts mk Makefile | sed 's/[.]*$//' | sort -u >"$OUT/paths"
check "the sources name their default outputs (found $(wc -l <"$OUT/paths"))" test "$(wc -l <"$OUT/paths")" -ge 5
check "... among them explore's reports/explore" grep -qx 'reports/explore' "$OUT/paths"
while read -r p; do
  case $p in
    *.*) probe=$p ;;               # a file: reports/bench.json
    *) probe=$p/x/summary.json ;;  # a directory: anything inside it
  esac
  check "git ignores $probe" git check-ignore -q --no-index "$probe"
done <"$OUT/paths"
