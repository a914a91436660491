#!/usr/bin/env bash
# tests/system/doccmds.sh: every command the docs show is run, so a doc cannot show a
# command that fails, names a file that is gone or prints something else.
# (tidy: not a file) names in its own examples (tests/system/X.sh, no-such.*) are made up.
#
# The docs: every Markdown file of the repository (README.md, scenarios/README.md,
# docs/*.md, ...).  Every fenced block in them
# says what it holds (```sh for commands, ```text for output, ```lua, ...): an untagged
# block is a failure, since nobody could tell a command from its output.  Each command
# of a ```sh (bash, shell, console) block, a line or a `{ ... }`, `|` or `\` continued
# group of lines, is, by the comment at the end of its last line:
#
#   (plain)                        run; it must exit 0
#   ... exits N / exit N           run; it must exit N
#   ... (the tests run: CMD)       CMD is run in its place (a shorter form of a long
#                                  command, said on the page)
#   ... (run by tests/system/X.sh) another test runs it: X.sh must exist and set every
#                                  VAR= the command sets
#   ... (not run by the tests: WHY)  interactive, or the test suite itself
#
# Each doc's commands run in order, in one shell (a variable set in one line is there for
# the next), in a scratch directory holding links to bin/, scenarios/, scripts/ and py/, so
# their reports stay out of the repository.  Output a page shows (a ```text block right
# after a ```sh block) must come from it: its first line is a line of what the block's
# commands printed.  Two docs are run by tests of their own: docs/design.md by
# tests/system/docs.sh (which fails on a command it has no fact for) and the bin/ lines
# of docs/classroom.md by tests/system/classroom.sh (each says "# exits N"); the
# rest of docs/classroom.md is run here.  docs/ci.md and docs/live.md are left to their
# own test (EXCLUDED below).
source "$(dirname "$0")/lib.bash"

EXCLUDED="docs/ci.md docs/live.md"
bindir=${OUTBOX_BIN:-bin}
case "$bindir" in /*) ;; *) bindir="$PWD/$bindir" ;; esac

# plan DOC DIR: one line per command, TAB-separated: line, kind (run|skip|by|error),
# the expected exit code, a note (why skipped, by whom, what is wrong) and the command's
# first line; the command itself goes to DIR/LINE.cmd.  And "out" lines: the line of a
# shown output, the line of the block it follows; the output itself in DIR/LINE.shown.
plan() {
  python3 - "$1" "$2" <<'PY'
import os, re, sys
doc, outdir = sys.argv[1], sys.argv[2]
SHELL = {"sh", "bash", "shell", "console"}
OTHER = {"text", "lua", "yaml", "xml", "json", "c", "diff"}
lines = open(doc, encoding="utf-8").read().split("\n")

def split_comment(s):
    """(code, comment) of a shell line: the comment starts at the first # outside quotes
    that begins a word; in code, quoted strings are emptied so that braces and pipes
    inside them do not count."""
    code, q, k = [], None, 0
    while k < len(s):
        ch = s[k]
        if q:
            if ch == q:
                q = None
                code.append(ch)
            elif ch == "\\" and q == '"':
                k += 1
        elif ch in "'\"":
            q = ch
            code.append(ch)
        elif ch == "#" and (k == 0 or s[k - 1].isspace()):
            return "".join(code).rstrip(), s[k + 1:]
        else:
            code.append(ch)
        k += 1
    return "".join(code).rstrip(), ""

def emit(line, kind, want, text, note):
    if kind == "run":
        with open(os.path.join(outdir, "%d.cmd" % line), "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print("\t".join(str(x).replace("\t", " ")
                    for x in (line, kind, want, note, text.split("\n")[0])))

i, n = 0, len(lines)
while i < n:
    m = re.match(r"^\s*```(\S*)\s*$", lines[i])
    if not m:
        i += 1
        continue
    tag, start = m.group(1), i + 1
    j = i + 1
    while j < n and not re.match(r"^\s*```\s*$", lines[j]):
        j += 1
    body = lines[i + 1:j]
    if tag == "":
        emit(start, "error", 0, lines[i].strip(),
             "an untagged block: say ```sh for commands, ```text for output")
    elif tag in SHELL:
        # The commands: (first line, text, comment of its last line and of the comment-
        # only lines right under it, which go on saying what it does).
        cmds, cmd, first, depth, last = [], [], None, 0, None
        for k, raw in enumerate(body):
            if not cmd:
                if raw.strip().startswith("#") and last is not None:
                    cmds[last][2] += " " + raw.strip()[1:]
                    continue
                if not raw.strip() or raw.strip().startswith("#"):
                    last = None
                    continue
                first = start + 1 + k
            cmd.append(raw)
            u, c = split_comment(raw)
            depth += len(re.findall(r"(^|[\s;])[{(](\s|$)", u)) - \
                len(re.findall(r"(^|[\s;])[})]", u))
            if depth > 0 or u.endswith(("\\", "|", "&&", "||")):
                continue
            cmds.append([first, "\n".join(cmd), c])
            last, cmd, depth = len(cmds) - 1, [], 0
        if cmd:
            emit(first, "error", 0, "\n".join(cmd), "an unfinished command at the block's end")
        for first, text, c in cmds:
            ran = re.search(r"\(the tests run: ([^)]*)\)", c)
            by = re.search(r"\(run by (tests/system/[A-Za-z0-9_.-]+\.sh)\)", c)
            no = re.search(r"\(not run by the tests: ([^)]*)\)", c)
            want = re.findall(r"\bexits? ([0-9]+)\b", c)
            want = int(want[-1]) if want else 0
            if doc == "docs/classroom.md" and text.startswith("bin/"):
                emit(first, "by", 0, text, "tests/system/classroom.sh")
            elif no:
                emit(first, "skip", 0, text, no.group(1))
            elif by:
                emit(first, "by", 0, text, by.group(1))
            elif ran:
                emit(first, "run", want, ran.group(1), "the page's shorter form")
            else:
                emit(first, "run", want, text, "-")
        # Shown output: a ```text block after this one, only blank lines between.
        k = j + 1
        while k < n and not lines[k].strip():
            k += 1
        if k < n and re.match(r"^\s*```text\s*$", lines[k]):
            e = k + 1
            while e < n and not re.match(r"^\s*```\s*$", lines[e]):
                e += 1
            with open(os.path.join(outdir, "%d.shown" % (k + 2)), "w", encoding="utf-8") as f:
                f.write("\n".join(lines[k + 1:e]) + "\n")
            print("%d\tout\t0\t%d\t%s" % (k + 2, start, lines[k + 1].rstrip()))
    elif tag not in OTHER:
        emit(start, "error", 0, lines[i].strip(),
             "block tag '%s': use sh for commands, text for output" % tag)
    i = j + 1
PY
}

# run_doc DOC: plans DOC's commands, runs them in a scratch directory of their own and
# checks each; adds the commands run to $total.
total=0
run_doc() {
  local doc=$1 name P WORK line kind want note shown vars miss v files
  name=$(tr '/.' '__' <<<"${doc#"$OUT"/}")
  P="$OUT/$name.plan"
  mkdir -p "$P"
  plan "$doc" "$P" >"$OUT/plan" || { notok "$doc: cannot be read"; return; }
  WORK="$OUT/$name"
  mkdir -p "$WORK"
  ln -sfn "$bindir" "$WORK/bin"
  ln -sfn "$PWD/scenarios" "$WORK/scenarios"
  ln -sfn "$PWD/scripts" "$WORK/scripts"
  ln -sfn "$PWD/py" "$WORK/py"
  mkdir -p "$WORK/tests"
  ln -sfn "$PWD/tests/nodes" "$WORK/tests/nodes"   # the misbehaving nodes the docs run
  # The doc's commands as one script: each in braces (so a variable it sets stays),
  # its output and exit code kept by its line number.
  : >"$OUT/$name.rc"
  { echo "cd '$WORK' || exit 3"
    while IFS=$'\t' read -r line kind want note shown; do
      [ "$kind" = run ] || continue
      echo "{"; cat "$P/$line.cmd"
      printf '} >%q 2>&1 </dev/null; echo "%s $?" >>%q\n' "$OUT/$name.$line.out" "$line" \
        "$OUT/$name.rc"
    done <"$OUT/plan"
  } >"$OUT/$name.sh"
  timeout -k 5 300 bash "$OUT/$name.sh" >/dev/null 2>&1
  while IFS=$'\t' read -r line kind want note shown; do
    case $kind in
      error) notok "$doc:$line: $note: $shown" ;;
      skip) ok "$doc:$line not run, as the page says ($note): $shown" ;;
      by)
        vars=$(printf '%s\n' "$shown" | grep -o '^\([A-Z_][A-Z0-9_]*=[^ ]* \)*' | grep -o '[A-Z_][A-Z0-9_]*=')
        miss=""
        for v in $vars; do grep -q "$v" "$note" 2>/dev/null || miss="$miss $v"; done
        check "$doc:$line is run by $note${miss:+ (which sets no$miss)}: $shown" \
          sh -c "[ -f '$note' ] && [ -z '$miss' ]" ;;
      run)
        total=$((total + 1))
        got=$(sed -n "s/^$line //p" "$OUT/$name.rc")
        if [ "$got" = "$want" ]; then
          ok "$doc:$line exits $want: $shown"
        else
          notok "$doc:$line exits ${got:-nothing (did not finish)}, the page says $want: $shown"
          sed 's/^/#   /' "$OUT/$name.$line.out" 2>/dev/null | tail -n 5
        fi ;;
      out)
        # Every line shown is a line the block's commands printed; only wall times
        # ("2.5 s", "in 3.3 s") may differ, so decimals before " s" are compared as N.
        files=$(awk -F'\t' -v b="$note" -v o="$line" '$2 == "run" && $1 > b && $1 < o {
          print $1 }' "$OUT/plan" | sed "s|.*|$OUT/$name.&.out|")
        norm() { sed 's/[0-9][0-9]*\.[0-9][0-9]* s\b/N s/g'; }
        # shellcheck disable=SC2086
        cat $files 2>/dev/null | norm | sort -u >"$OUT/printed"
        miss=$(norm <"$P/$line.shown" | sort -u | comm -23 - "$OUT/printed")
        check "$doc:$line: every line of the output shown is printed by the block at line $note" \
          [ -n "$files" -a -z "$miss" ]
        [ -z "$miss" ] || sed 's/^/#   not printed: /' <<<"$miss" | head -n 5 ;;
    esac
  done <"$OUT/plan"
  check "$doc: no leftovers" leftovers "$WORK/reports"
}

# Every Markdown file of the repository, so a new doc is covered from its first commit.
docs=$(git ls-files '*.md' 2>/dev/null)
[ -n "$docs" ] || docs=$(ls README.md scenarios/README.md docs/*.md)
for doc in $docs; do
  case " $EXCLUDED " in *" $doc "*) echo "# $doc: left to its own test"; continue ;; esac
  if [ "$doc" = docs/design.md ]; then
    check "$doc: run by tests/system/docs.sh" grep -q '^DOC=docs/design.md$' tests/system/docs.sh
    # Its blocks still say what they hold.
    mkdir -p "$OUT/design.plan"
    plan "$doc" "$OUT/design.plan" | awk -F'\t' '$2 == "error"' >"$OUT/design.errors"
    check "$doc: every block is tagged" [ ! -s "$OUT/design.errors" ]
    sed 's/^/#   /' "$OUT/design.errors"
    continue
  fi
  run_doc "$doc"
done
check "the docs show commands, and they ran (ran $total)" [ "$total" -ge 10 ]

# The test bites: a page with a command that fails, one whose exit code the page gets
# wrong, an untagged block, output the command did not print, a shorter form, a marker
# for a test that is not there, and a variable kept from one command to the next.
cat >"$OUT/bad.md" <<'MD'
```sh
bin/outbox-sim run scenarios/no-such.lua --seed 1
bin/outbox-sim failpoints      # exits 1
X=payment.after_commit
bin/outbox-sim failpoints | grep -q "$X"
bin/outbox-sim matrix      # (the tests run: true)
make bench      # (run by tests/system/no-such.sh)
```

```text
no such line
```

```
an untagged block
```
MD
total=0
run_doc "$OUT/bad.md" >"$OUT/bad.out" 2>&1
bites() { grep -q "^$1 - $OUT/bad.md:$2" "$OUT/bad.out"; }
check "a command that fails is a failure" bites 'not ok' '2 exits 2, the page says 0'
check "a wrong exit code on the page is a failure" bites 'not ok' '3 exits 0, the page says 1'
check "a variable set by one command is there for the next" bites ok '5 exits 0'
check "a shorter form is run in its place" bites ok '6 exits 0: true'
check "a marker naming a missing test is a failure" bites 'not ok' '7 is run by tests/system/no-such.sh'
check "output the commands did not print is a failure" bites 'not ok' '11: every line'
check "an untagged block is a failure" bites 'not ok' '14: an untagged block'
