#!/usr/bin/env bash
# tests/system/doctables.sh: the docs' tables of which design each scenario catches are
# the ones scripts/doc-tables.py generates from tests/matrix.expected (README.md,
# "Designs"; scenarios/README.md, "The scenarios here"), and that matrix names every
# scenario of scenarios/.  (The matrix itself is held to a fresh run by tests/system/
# matrix.sh here, and whole by `make matrix`.)
source "$(dirname "$0")/lib.bash"

sums() { cksum README.md scenarios/README.md; }
sums >"$OUT/sums.before"
python3 scripts/doc-tables.py --check >"$OUT/check.out" 2>&1
rc=$?
check "the docs' tables are what tests/matrix.expected gives (else: make doc-tables)" \
  [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$OUT/check.out" | head -n 30

# The matrix covers every scenario of the library, and names no other.
ls scenarios/*.lua | sed 's|scenarios/||; s|\.lua$||' | sort >"$OUT/files"
grep -v '^#' tests/matrix.expected | awk '{ print $2 }' | sort -u >"$OUT/matrix"
check "tests/matrix.expected has every scenario of scenarios/ and no other" \
  cmp -s "$OUT/files" "$OUT/matrix"
cmp -s "$OUT/files" "$OUT/matrix" || diff "$OUT/files" "$OUT/matrix" | sed 's/^/#   /'
check "each doc table has a row per scenario: $(wc -l <"$OUT/files")" \
  [ "$(grep -c '^| `[a-z0-9-]*\.lua` |' scenarios/README.md)" -eq "$(wc -l <"$OUT/files")" ]

# The check bites: one cell changed in a copy of the matrix makes both docs differ.
sed 's/^ack-before-apply crash-after-ack eventual_consistency$/ack-before-apply crash-after-ack pass/' \
  tests/matrix.expected >"$OUT/changed.expected"
check "the changed copy differs from the kept matrix" \
  sh -c "! cmp -s tests/matrix.expected '$OUT/changed.expected'"
python3 scripts/doc-tables.py --check --matrix "$OUT/changed.expected" >"$OUT/bite.out" 2>&1
rc=$?
check "a changed cell: --check exits 1" [ "$rc" -eq 1 ]
check "... and names both docs" \
  sh -c "grep -q '^--- README.md' '$OUT/bite.out' && grep -q '^--- scenarios/README.md' '$OUT/bite.out'"
check "... and says how to fix it" grep -q 'run `make doc-tables`' "$OUT/bite.out"

# A design the script cannot describe, and a malformed line, are errors, not tables.
{ cat tests/matrix.expected; echo "new-design clean pass"; } >"$OUT/newdesign.expected"
python3 scripts/doc-tables.py --check --matrix "$OUT/newdesign.expected" >"$OUT/nd.out" 2>&1
rc=$?
check "an undescribed design: exit 1 with its name" \
  sh -c "[ $rc -eq 1 ] && grep -q \"design 'new-design' of the matrix has no description\" '$OUT/nd.out'"
printf 'outbox clean\n' >"$OUT/bad.expected"
python3 scripts/doc-tables.py --check --matrix "$OUT/bad.expected" >"$OUT/bad.out" 2>&1
rc=$?
check "a malformed matrix line: exit 1, file and line named" \
  sh -c "[ $rc -eq 1 ] && grep -q 'bad.expected:1: expected' '$OUT/bad.out'"
check "--check wrote nothing" sh -c "sums() { cksum README.md scenarios/README.md; }; sums | cmp -s - '$OUT/sums.before'"

# Two sentences restate what tests decide, and --check holds them too: README.md's
# "Every history invariant but ... is broken by a design" against tests/history-breaks.txt,
# and docs/design.md's Designs table against the designs.  Each bites on a copy.
claim_root() {   # a copy of what doc-tables.py reads, in $OUT/$1
  mkdir -p "$OUT/$1/tests" "$OUT/$1/docs" "$OUT/$1/sim/util" "$OUT/$1/sim/scenario"
  cp -r README.md scenarios "$OUT/$1/"
  cp tests/matrix.expected tests/history-breaks.txt "$OUT/$1/tests/"
  cp docs/design.md "$OUT/$1/docs/"
  cp sim/util/invariant.c "$OUT/$1/sim/util/"
  cp sim/scenario/scenario.c "$OUT/$1/sim/scenario/"
  mkdir -p "$OUT/$1/sim/check"
  cp sim/check/history.h sim/check/h*.c "$OUT/$1/sim/check/"
}
bites() {   # bites NAME WHAT PATTERN SAYS: --check on the copy NAME exits 1, output has PATTERN
  python3 scripts/doc-tables.py --check --root "$OUT/$1" >"$OUT/$1.out" 2>&1
  local rc=$?
  check "$2: --check exits 1 and $4" sh -c "[ $rc -eq 1 ] && grep -q \"\$0\" '$OUT/$1.out'" "$3"
}
claim_root same
python3 scripts/doc-tables.py --check --root "$OUT/same" >/dev/null 2>&1
check "a copy of the docs passes --check" test $? -eq 0
claim_root nobreak
grep -v ' ordering$' tests/history-breaks.txt >"$OUT/nobreak/tests/history-breaks.txt"
bites nobreak "an invariant no longer shown broken" "breaks all but .*'ordering'" "names it"
claim_root notable
grep -v '^| `auto-ack` |' docs/design.md >"$OUT/notable/docs/design.md"
bites notable "a design missing from docs/design.md's table" \
  "Designs table lists .*differ: .*'auto-ack'" "names it"

# docs/design.md's "(caught by ...)" of a design against the matrix: a scenario named there
# that no longer catches the design, a design no cell shows broken, and a claim naming a
# scenario the matrix does not have are each named.
claim_root caughtcell
sed -i 's/^swallow-error completion-disk-eio errors_reported$/swallow-error completion-disk-eio pass/' \
  "$OUT/caughtcell/tests/matrix.expected"
bites caughtcell "a design's named scenario that no longer catches it" \
  "swallow-error is 'caught by errors_reported' on completion-disk-eio.lua; the matrix says swallow-error completion-disk-eio pass" \
  "names the cell"
claim_root caughtnone
sed -i 's/^\(cleanup-by-age [a-z0-9-]*\) cleanup_final_only$/\1 pass/' \
  "$OUT/caughtnone/tests/matrix.expected"
bites caughtnone "a design no cell breaks as its row says" \
  "cleanup-by-age is 'caught by cleanup_final_only'; no cell" "names it"
claim_root caughtscen
sed -i 's/caught by `errors_reported` on `completion-disk-eio.lua`/caught by `errors_reported` on `clean.lua`/' \
  "$OUT/caughtscen/docs/design.md"
bites caughtscen "a design row naming a scenario that does not catch it" \
  "on clean.lua; the matrix says swallow-error clean pass" "names it"

# README.md's table of invariants against sim/util/invariant.c's meanings: a row reworded
# on one side only is named.
claim_root meaning
sed -i 's/^| `no_phantom` | every voucher belongs to a committed payment, with the same amount and account, and the inbox row that booked it names that payment |$/| `no_phantom` | every voucher belongs to a committed payment, with the same amount |/' \
  "$OUT/meaning/README.md"
bites meaning "an invariant's meaning changed in README.md alone" \
  "invariants table says no_phantom means" "names it"
n=$(python3 -c "
import importlib.util
s = importlib.util.spec_from_file_location('dt', 'scripts/doc-tables.py')
m = importlib.util.module_from_spec(s); s.loader.exec_module(m)
print(len(m.invariant_meanings('.')))")
check "... and every invariant of sim/util/invariant.c is read ($n)" \
  test "$n" -eq "$(grep -cE '^    \{ "[a-z_]+",' sim/util/invariant.c)" -a "$n" -ge 26

# docs/design.md's table of history checks against what each file flags: a row that drops
# an invariant its file judges, and a file that stops flagging one its row names, are named.
claim_root checkrow
sed -i 's/| `answer_after_commit`, `dedupe_same_answer`, `business_rules` |/| `answer_after_commit`, `dedupe_same_answer` |/' \
  "$OUT/checkrow/docs/design.md"
bites checkrow "a history check's row missing an invariant its file flags" \
  "says hconsumer.c judges .*'dedupe_same_answer'\]; it flags .*'business_rules'" "names it"
claim_root checkfile
sed -i 's/HI_OWNED_SENT/HI_LEASE_HELD/g' "$OUT/checkfile/sim/check/hlease.c"
bites checkfile "a history check's file that no longer flags an invariant its row names" \
  "says hlease.c judges .*'owned_then_sent'\]; it flags \['lease_exclusive', 'lease_held'\]" \
  "names it"

# docs/design.md's table of node slots against SLOTS: a slot moved in the code, or a
# range that says one slot too many, is named.
claim_root slotmoved
sed -i 's/{ OX_ROLE_RELAY, 8, "relay-8", "payment" },/{ OX_ROLE_RELAY, 8, "relay-8", "broker" },/' \
  "$OUT/slotmoved/sim/scenario/scenario.c"
bites slotmoved "a slot whose database changed in SLOTS" \
  "slots table says .*'relay-8', 'relay', 'payment'.*SLOTS says .*'relay-8', 'relay', 'broker'" \
  "names it"
claim_root slotrange
sed -i 's/^| 3\.\.10 | `relay-1`\.\.`relay-8` |/| 3..11 | `relay-1`..`relay-8` |/' \
  "$OUT/slotrange/docs/design.md"
bites slotrange "a slots row whose range and names disagree" "9 slots, 8 names" "says so"
