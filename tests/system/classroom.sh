#!/usr/bin/env bash
# tests/system/classroom.sh: every command of docs/classroom.md, run as a student would.
#
# A command is a line in a ```sh block that starts with bin/; its expected exit code is
# the "# exits N" at the end of the line (a command without one is a failure of the
# doc).  The commands run in a scratch directory that holds links to bin/ and
# scenarios/, so their reports/ do not land in the repository; afterwards every report
# the doc tells the student to open ("Open `...report.html`") must exist.
source "$(dirname "$0")/lib.bash"

DOC=docs/classroom.md
[ -f "$DOC" ] || { notok "$DOC is missing"; exit 0; }
WORK="$OUT/class"
mkdir -p "$WORK"
bindir=${OUTBOX_BIN:-bin}
case "$bindir" in /*) ;; *) bindir="$PWD/$bindir" ;; esac
ln -sfn "$bindir" "$WORK/bin"
ln -sfn "$PWD/scenarios" "$WORK/scenarios"

# The ```sh blocks' lines that start with bin/, with their line numbers.
awk '/^```sh$/ { sh = 1; next } /^```/ { sh = 0; next } sh && /^bin\// { print NR ": " $0 }' "$DOC" >"$OUT/commands"
n=$(wc -l <"$OUT/commands")
check "$DOC has at least 9 lesson commands (found $n)" [ "$n" -ge 9 ]

while IFS= read -r entry; do
  line=${entry%%: *}
  cmd=${entry#*: }
  want=$(sed -n 's/.*# exits \([0-9]\)$/\1/p' <<<"$cmd")
  cmd=${cmd%%#*}
  cmd=${cmd%"${cmd##*[![:space:]]}"}
  if [ -z "$want" ]; then notok "$DOC:$line: no '# exits N' on: $cmd"; continue; fi
  # Word splitting is what the student's shell does with these plain commands.
  # shellcheck disable=SC2086
  (cd "$WORK" && timeout -k 5 300 $cmd >"$OUT/lesson.out" 2>"$OUT/lesson.err")
  got=$?
  if [ "$got" = "$want" ]; then
    ok "$DOC:$line exits $want: $cmd"
  else
    notok "$DOC:$line exits $got, the lesson says $want: $cmd"
    sed 's/^/#   /' "$OUT/lesson.err" | head -n 5
  fi
done <"$OUT/commands"

# Every report the lessons point at exists.
grep -o 'Open `[^`]*report\.html`' "$DOC" | sed 's/^Open `//; s/`$//' >"$OUT/reports"
while IFS= read -r path; do
  check "the report lesson text points at exists: $path" [ -s "$WORK/$path" ]
done <"$OUT/reports"
check "no leftovers" leftovers "$WORK/reports"
