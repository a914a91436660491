#!/usr/bin/env bash
# tests/system/docs.sh: docs/design.md stays true to the code.
#
#   - every command in its ```sh blocks runs, in a scratch directory that holds links to
#     bin/ and scenarios/, exits 0 and shows one fact the page states (a command this
#     test has no fact for is a failure: add one below when you add a command);
#   - the trace lines its payment walk-through cites say what the page says they say;
#   - the facts it states about the dead-letter and refusal scenarios hold;
#   - every code name it quotes (`ox_payment_pay`, `EV_PAY`, ...) is still a word of the
#     sources, so a rename elsewhere shows up here;
#   - every section the code cites ('docs/design.md, "Exit codes"') is a heading of it.
source "$(dirname "$0")/lib.bash"

DOC=docs/design.md
[ -f "$DOC" ] || { notok "$DOC is missing"; exit 0; }
WORK="$OUT/docs"
# The runs below start in $WORK: the simulator by an absolute path (OUTBOX_BIN may be relative).
case $SIM in /*) ABS_SIM=$SIM ;; *) ABS_SIM=$PWD/$SIM ;; esac
mkdir -p "$WORK"
bindir=${OUTBOX_BIN:-bin}
case "$bindir" in /*) ;; *) bindir="$PWD/$bindir" ;; esac
ln -sfn "$bindir" "$WORK/bin"
ln -sfn "$PWD/scenarios" "$WORK/scenarios"

# ---- the commands ------------------------------------------------------------------

awk '/^```sh$/ { sh = 1; next } /^```/ { sh = 0; next } sh && NF { print NR ": " $0 }' \
  "$DOC" >"$OUT/commands"
n=$(wc -l <"$OUT/commands")
check "$DOC shows a few commands (found $n)" [ "$n" -ge 1 ]
# What the page says the query prints: the first `...|...` after "the query prints".
printed=$(awk '/the query prints/ { on = 1 } on' "$DOC" | grep -o '`[^`]*|[^`]*`' | head -n 1 \
  | tr -d '`')
check "$DOC says what its sqlite3 query prints" [ -n "$printed" ]

while IFS= read -r entry; do
  line=${entry%%: *}
  cmd=${entry#*: }
  (cd "$WORK" && timeout -k 5 300 bash -c "$cmd" >"$OUT/cmd.out" 2>"$OUT/cmd.err")
  rc=$?
  check "$DOC:$line exits 0: $cmd" [ "$rc" -eq 0 ]
  [ "$rc" -eq 0 ] || sed 's/^/#   /' "$OUT/cmd.err" | head -n 5
  case "$cmd" in
    "bin/outbox-sim run scenarios/clean.lua --seed 1")
      check "$DOC:$line: the run passes" grep -q 'PASS: expectations met' "$OUT/cmd.out" ;;
    "grep -n '\"pay\":1[,}]' reports/runs/clean/1/trace.jsonl")
      check "$DOC:$line: the trace shows payment 1 marked CONSUMED" \
        grep -q '"kind":"consumed","pay":1,' "$OUT/cmd.out" ;;
    "sqlite3 reports/runs/clean/1/payment.db "*)
      check "$DOC:$line: the query prints what the page says ($printed)" \
        [ "$(cat "$OUT/cmd.out")" = "$printed" ] ;;
    *)
      notok "$DOC:$line: tests/system/docs.sh has no fact to check for: $cmd" ;;
  esac
done <"$OUT/commands"

# ---- the walk-through's trace lines -------------------------------------------------

TRACE="$WORK/reports/runs/clean/1/trace.jsonl"
# Rows "| N | `fragment` | ..." of the section "One payment, end to end".
awk '/^## One payment, end to end/ { on = 1; next } /^## / { on = 0 } on' "$DOC" \
  | sed -n 's/^| \([0-9][0-9]*\) | `\([^`]*\)` |.*/\1 \2/p' >"$OUT/rows"
rows=$(wc -l <"$OUT/rows")
check "the walk-through cites at least 15 trace lines (found $rows)" [ "$rows" -ge 15 ]
while read -r num frag; do
  check "trace line $num holds $frag" bash -c 'sed -n "$1p" "$2" | grep -qF -- "$3"' _ \
    "$num" "$TRACE" "$frag"
done <"$OUT/rows"

# ---- the failure paths' facts ---------------------------------------------------------

(cd "$WORK" && SIM=$ABS_SIM sim run scenarios/dead-letters.lua --seed 1 --quiet)
check "dead-letters.lua seed 1 meets its expectations" [ $? -eq 0 ]
D="$WORK/reports/runs/dead-letters/1"
pubs=$(grep '"kind":"publish","pay":1,' "$D/trace.jsonl" | sed 's/^{"t":\([0-9.]*\),.*/\1/' \
  | tr '\n' ' ')
check "payment 1 is published at 0.01, 3, 7 and 13 s (got: $pubs)" \
  [ "$pubs" = "0.010000 3.000000 7.000000 13.000000 " ]
check "payment 1 goes DEAD at 21 s" \
  grep -q '^{"t":21.000000,"ev":"note","node":"payment","kind":"dead","pay":1,' "$D/trace.jsonl"
q="SELECT status || ' ' || (SELECT count(*) FROM alert WHERE payment_id = 1)
   FROM outbox WHERE payment_id = 1"
check "payment 1's row is DEAD, with its alert" test "$(sqlite3 "$D/payment.db" "$q")" = "DEAD 1"

(cd "$WORK" && SIM=$ABS_SIM sim run scenarios/refusal-compensated.lua --seed 1 --quiet)
check "refusal-compensated.lua seed 1 meets its expectations" [ $? -eq 0 ]
R="$WORK/reports/runs/refusal-compensated/1"
q="SELECT o.status || ' ' || p.status || ' ' || (SELECT count(*) FROM refund WHERE payment_id = 3)
   FROM outbox o JOIN payment p ON p.id = o.payment_id WHERE o.payment_id = 3"
check "payment 3: row FAILED, payment REFUNDED, a refund row" \
  test "$(sqlite3 "$R/payment.db" "$q")" = "FAILED REFUNDED 1"
check "payment 3: no voucher" test \
  "$(sqlite3 "$R/accounting.db" "SELECT count(*) FROM voucher WHERE payment_id = 3")" = 0

# ---- the code names it quotes -----------------------------------------------------------

# Every word of the sources, once, and the names the page quotes from other projects
# (libc, SQLite, libfaketime); then every `name` or `name(...)` quoted in the page.
OUTSIDE="FAKETIME_FOLLOW_FILE FAKETIME_SHARED FAKETIME_TIMESTAMP_FILE NO_CACHE gettimeofday
integrity_check rand randomblob setenv"
{ git ls-files lib proto node ctl sim scenarios Makefile mk scripts \
    | xargs cat | grep -o '[A-Za-z_][A-Za-z0-9_]*'; tr ' ' '\n' <<<"$OUTSIDE"; } \
  | sort -u >"$OUT/words"
grep -o '`[A-Za-z_][A-Za-z0-9_]*\((\([^`]*\))\)\?`' "$DOC" | tr -d '`' | sed 's/(.*//' \
  | sort -u >"$OUT/names"
missing=$(comm -23 "$OUT/names" "$OUT/words" | tr '\n' ' ')
nnames=$(wc -l <"$OUT/names")
check "$DOC quotes $nnames code names, each a word of the sources${missing:+ (not: $missing)}" \
  [ -z "$missing" ]

# ---- the sections the code cites ---------------------------------------------------------

git ls-files | grep -v '^tests/system/docs.sh$' \
  | xargs grep -Iho 'design\.md`\?, "[^"]*"' 2>/dev/null \
  | sed 's/.*"\(.*\)"/\1/' | sort -u >"$OUT/cited"
check "the code cites sections of $DOC" [ -s "$OUT/cited" ]
while IFS= read -r section; do
  check "$DOC has the section \"$section\" the code cites" grep -qx "## $section" "$DOC"
done <"$OUT/cited"
check "$DOC keeps the heading \"The life of a row\"" grep -qx '## The life of a row' "$DOC"
check "no leftovers" leftovers "$WORK/reports"
