#!/usr/bin/env bash
# tests/system/tidy.sh: the house rules (scripts/tidy.py) hold on the whole tree, and each
# rule fires on a file that breaks it, so a rule that cannot fail is not counted as kept.
# (tidy: not a file: the scratch files below are made by the test)
source "$(dirname "$0")/lib.bash"
if python3 scripts/tidy.py >"$OUT/tidy" 2>&1; then
  ok "tidy: headers, 100 columns, 70-line functions, references to files of the repo"
else
  notok "tidy: headers, 100 columns, 70-line functions, references to files of the repo"
  head -n 20 "$OUT/tidy" | sed 's/^/# /'
fi

# A scratch repository with one file that breaks each rule.
R=$OUT/repo
mkdir -p "$R/sim/core" "$R/sim/report" "$R/docs" "$R/lib"
git -C "$R" init -q
long=$(printf 'x%.0s' $(seq 1 101))
{ echo "/*"; echo "** bad.c: breaks every rule"; echo "*/"; echo "int a; /* $long */"
  echo "/* see docs/missing.md and sim/gone.c */"
  echo "static int f(void) {"; for i in $(seq 1 70); do echo "    a++;"; done; echo "}"; } >"$R/sim/bad.c"
printf 'int b;\n/* ---------------- other style */\n' >"$R/sim/nohead.c"
printf '/*\n** up.c: climbs\n*/\n#include "../report/r.h"\n' >"$R/sim/core/up.c"
printf '/*\n** r.h: a report header\n*/\n#include "../core/up.h"\n' >"$R/sim/report/r.h"
printf '/*\n** up.h: a core header\n*/\n' >"$R/sim/core/up.h"
printf '/*\n** l.c: climbs\n*/\n#include "../sim/core/up.h"\n' >"$R/lib/l.c"
printf '# Doc\nSee `sim/bad.c` and `docs/nothere.md`.\n' >"$R/docs/x.md"
git -C "$R" add -A
(cd "$R" && python3 "$OLDPWD/scripts/tidy.py") >"$OUT/bad" 2>&1
rc=$?
check "tidy exits 1 on a tree that breaks its rules" test "$rc" -eq 1
check "tidy: a line over 100 columns" grep -q '^sim/bad.c:4: columns: ' "$OUT/bad"
check "tidy: a function over 70 lines" grep -q '^sim/bad.c:6: function: f() has 72 lines' "$OUT/bad"
check "tidy: a section marker of another style" grep -q '^sim/nohead.c:2: section: ' "$OUT/bad"
check "tidy: a C file without its header line" grep -q '^sim/nohead.c:1: header: ' "$OUT/bad"
check "tidy: a reference to a missing doc" grep -q "^docs/x.md:2: reference: 'docs/nothere.md'" "$OUT/bad"
check "tidy: a reference to a missing source" grep -q "^sim/bad.c:5: reference: 'sim/gone.c'" "$OUT/bad"
check "tidy: core including report climbs a layer" grep -q '^sim/core/up.c:4: layer: includes sim/report/r.h' "$OUT/bad"
check "tidy: lib including the simulator climbs" grep -q '^lib/l.c:4: layer: includes sim/core/up.h' "$OUT/bad"
check "tidy: report including core goes down: fine" bash -c "! grep -q '^sim/report/r.h:.*layer' '$OUT/bad'"
check "tidy: an existing file is a good reference" bash -c "! grep -q \"'sim/bad.c'\" '$OUT/bad'"
