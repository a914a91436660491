#!/usr/bin/env bash
# tests/system/mutate.sh: the smoke test of `make mutate` (scripts/mutate.py).
# (tidy: not a file) the bad-input case's lib/nope.c is made up.
# Four mutants of lib/retry.c through the scenario stage: one known to be killable (linear
# retry taken for exponential: the dead-letter scenarios no longer go DEAD in time) is
# killed; the report has its format; lib/ is left as it was; a run stopped by SIGTERM
# leaves no scratch folder behind; bad flags exit 2 with one line.
source "$(dirname "$0")/lib.bash"
# Mutants are linked with the plain build's objects (build/, bin/): under another build
# (asan-test's BUILD=build-asan) there is nothing to link them with, so nothing to test.
if [ "${BUILD:-build}" != build ]; then
  skip "make mutate: skipped for BUILD=$BUILD (mutants link with the plain build in build/)"
  exit 0
fi
M=scripts/mutate.py
lib_sum() { cat lib/*.c lib/*.h | sha256sum; }
before=$(lib_sum)
mkdir -p "$OUT/tmp"

# The mutants, found by their text (not their line numbers, which move with the code).
"$M" --list --files lib/retry.c >"$OUT/list" 2>"$OUT/list.err"
check "--list prints the mutants of lib/retry.c" test -s "$OUT/list"
check "the same source gives the same mutants in the same order" \
  bash -c "'$M' --list --files lib/retry.c | cmp -s - '$OUT/list'"
known=$(awk -F'\t' '$1 ~ /:ror$/ && $3 ~ /c->retry != OX_RETRY_LINEAR/ {print $1}' "$OUT/list")
others=$(awk -F'\t' '$1 ~ /:(const\+1|retval|negcond)$/ {print $1}' "$OUT/list" | head -n 3 |
  paste -sd, -)
check "the known-killable mutant is generated" test -n "$known"

TMPDIR=$OUT/tmp "$M" --files lib/retry.c --only "$known,$others" --stage scenarios \
  --no-cache --report "$OUT/report.md" >"$OUT/out" 2>"$OUT/err"
rc=$?
check "mutate.py exits 0" test $rc -eq 0
check "the known-killable mutant is killed" grep -q "$known killed" "$OUT/err"
check "4 mutants were taken" grep -q '^- mutants: [0-9]* generated, 4 taken' "$OUT/report.md"
check "the report gives the scenario library's kill rate" \
  grep -Eq '^- killed by the scenario library alone: [0-9]+ of [0-9]+ \([0-9.]+%\)' \
  "$OUT/report.md"
check "the report lists the survivors by file, in a table" \
  bash -c "grep -q '^## Survivors of the scenario library' '$OUT/report.md' &&
    ! grep -q '^| [0-9]* | ror | .*c->retry != OX_RETRY_LINEAR' '$OUT/report.md'"
survivors=$(grep -c "^| [0-9]" "$OUT/report.md")
judged=$(sed -n "s/^- mutants: .* \([0-9]*\) judged$/\1/p" "$OUT/report.md")
killed=$(sed -n 's/^- killed by the scenario library alone: \([0-9]*\) of \([0-9]*\).*/\1 \2/p' \
  "$OUT/report.md")
check "killed + listed survivors = judged mutants ($killed, $survivors listed, $judged)" \
  test "$(( ${killed% *} + survivors ))" -eq "$judged"
check "lib/ is left as it was" test "$(lib_sum)" = "$before"
check "git sees no change in lib/" test -z "$(git status --porcelain lib/)"
check "no scratch folder is left behind" bash -c "! ls -d '$OUT'/tmp/outbox-mutate.* 2>/dev/null"

# Stopped in the middle: the scratch folders go too, and lib/ is untouched.
TMPDIR=$OUT/tmp "$M" --files lib/retry.c --stage scenarios --no-cache \
  --report "$OUT/stopped.md" >/dev/null 2>"$OUT/stopped.err" &
pid=$!
for _ in $(seq 1 100); do ls -d "$OUT"/tmp/outbox-mutate.* >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1
kill -TERM "$pid"; wait "$pid"
check "SIGTERM ends it with 143" test $? -eq 143
for _ in $(seq 1 100); do ls -d "$OUT"/tmp/outbox-mutate.* >/dev/null 2>&1 || break; sleep 0.1; done
check "a stopped run leaves no scratch folder" bash -c "! ls -d '$OUT'/tmp/outbox-mutate.* 2>/dev/null"
check "a stopped run leaves lib/ as it was" test "$(lib_sum)" = "$before"

# Every equivalent mutant argued in mutate/equivalent.txt is still generated (an entry
# whose code changed must be argued again, not left to mark nothing).
check "every entry of mutate/equivalent.txt names a mutant the source still gives" python3 -c '
import subprocess, sys
for line in open("mutate/equivalent.txt"):
    if line.startswith("#") or not line.strip():
        continue
    f, op, before, after, why = line.rstrip("\n").split("\t")
    f = f.split(":")[0]   # FILE:FUNCTION narrows an entry to one function of FILE
    out = subprocess.run(["scripts/mutate.py", "--list", "--files", f], capture_output=True,
                         text=True).stdout
    if not any(l.split("\t")[0].endswith(":" + op) and l.split("\t")[1:] == [before, after]
               for l in out.splitlines()):
        sys.exit("# stale: %s %s %s" % (f, op, after))
'

# A mutant's run may print bytes that are not UTF-8 (a reason formatted from a buffer
# nobody filled): the run's verdict is still read, and the whole run goes on.
check "a child's output that is not UTF-8 is read, not fatal" python3 -c '
import importlib.util, sys
spec = importlib.util.spec_from_file_location("mutate", "scripts/mutate.py")
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
r = m.run(["printf", "reject: frame from broker: \\017\\377\\n  verdict    FAIL\\n"],
          capture_output=True, text=True)
sys.exit(0 if r.returncode == 0 and "verdict    FAIL" in r.stdout else 1)
'

# The catalogue is documented; bad flags are one line and exit 2.
check "mutate/operators.md names every operator" bash -c "
  '$M' --operators | cut -f1 | while read -r op; do
    grep -q \"^| \\\`\$op\\\` |\" mutate/operators.md || { echo \"missing \$op\"; exit 1; }
  done"
"$M" --files lib/nope.c --list >/dev/null 2>"$OUT/bad.err"
check "an unknown file exits 2" test $? -eq 2
check "with one line naming it" bash -c "[ \$(wc -l <'$OUT/bad.err') -eq 1 ] &&
  grep -q 'lib/nope.c' '$OUT/bad.err'"
"$M" --only lib/retry.c:1:1:ror --files lib/retry.c >/dev/null 2>"$OUT/bad2.err"
check "an unknown mutant id exits 2" test $? -eq 2
check "no run left a process or a temp file behind" leftovers "$OUT/tmp"
check "nothing is left in the scratch TMPDIR" test -z "$(ls -A "$OUT/tmp")"
