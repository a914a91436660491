#!/usr/bin/env bash
# tests/system/conform.sh: `outbox-sim conform --node ROLE=COMMAND` (sim/tools/conform.h),
# the conformance suite of one role (docs/protocol.md, "Conformance").
#
#   - docs/protocol.md's table of clauses is `conform --list`, row for row;
#   - this project's node passes every clause of every role (payment, broker, accounting,
#     relay): one summary line, exit 0, no run directory kept; so does an installed
#     outbox-sim, outside the repository;
#   - broken nodes, all real processes, fail exactly the clauses they break (the lines'
#     clause names compared whole), exit 1, and the failing runs are kept:
#       a wrapper that empties the node's database at every start (payment, accounting:
#       restart-keeps-commits, restart_state ...);
#       a wrapper that takes libfaketime away, so the node reads the machine's clock
#       (accounting: clock-from-step);
#       a program that exits at once (payment: protocol-answers, the rest not judged);
#       mutant outbox-node builds: a misnamed reject note (lib/svc.c; the broker:
#       protocol-reject), accounting's purge TIMER step answered with the next step's seq
#       (node/simhost.c: protocol-seq), its purge TIMER effect sent with an unknown type
#       (proto/step.c: protocol-effects), a file stamped with another application_id
#       (lib/store.c: database-contract), accounting without its inbox check
#       (lib/accounting.c: exactly_once, dedupe_same_answer, idempotent-frames ...);
#   - bad usage (no --node, two roles, an unknown role, an unknown flag, -j 0) is one line
#     and exit 2, with nothing written.
# The mutants are built as `make mutate` builds its own (scripts/mutate.py): the changed
# file compiled alone with make's compile line, linked with the plain build's objects.
source "$(dirname "$0")/lib.bash"

NODE=$(cd "$(dirname "${OUTBOX_BIN:-bin}/outbox-node")" && pwd)/outbox-node
W=$OUT/nodes
mkdir -p "$W"

# conform ROLE COMMAND NAME: runs the suite into $OUT/NAME; the clause names that failed,
# in order, in $OUT/NAME.clauses; the exit code in $rc.
conform() {
  timeout -k 5 600 "$SIM" conform --node "$1=$2" -j 2 --out "$OUT/$3" \
    >"$OUT/$3.out" 2>"$OUT/$3.err"
  rc=$?
  sed -n "s/^conform: $1: \([a-z_-]*\): .*/\1/p" "$OUT/$3.out" | paste -sd' ' >"$OUT/$3.clauses"
}
clauses() { cat "$OUT/$1.clauses"; }

# ---- docs/protocol.md's table of clauses is the suite's ---------------------------------
"$SIM" conform --list >"$OUT/list" 2>"$OUT/list.err"
check "conform --list exits 0 and prints the clauses" [ $? = 0 -a -s "$OUT/list" ]
awk '/^<!-- conform: clauses -->$/ { on = 1; next } on && !NF { exit }
  on && /^\| `/ { gsub(/`/, ""); split($0, f, " *\\| *"); gsub(/, /, ",", f[3]);
  print f[2], f[3], f[4] }' docs/protocol.md >"$OUT/doc-list"
check "docs/protocol.md's clause table is conform --list, row for row" \
  diff <(grep -v ' \*$' "$OUT/list") "$OUT/doc-list"
for c in $(awk '$3 == "*" { print $1 }' "$OUT/list"); do
  check "docs/protocol.md explains the clause $c" grep -q "^| \`$c\` | " docs/protocol.md
done

# ---- this project's node: every role passes ---------------------------------------------
for role in payment broker accounting relay; do
  conform "$role" "$NODE" "ok-$role"
  check "$role: this project's node passes every clause (exit 0)" [ "$rc" = 0 ]
  check "$role: one line, the summary" \
    grep -qx "conform: $role: 0 of [0-9]* clauses failed ([0-9]* runs, .*)" "$OUT/ok-$role.out"
  check "$role: ... and nothing else" [ "$(wc -l <"$OUT/ok-$role.out")" = 1 ]
  check "$role: no run directory kept" [ -z "$(ls -A "$OUT/ok-$role")" ]
  check "$role: nothing on stderr" [ ! -s "$OUT/ok-$role.err" ]
done

# ---- from an installed tree: the conform scenarios are installed with the library -------
if [ "${OUTBOX_BIN:-bin}" = bin ]; then
  P=$OUT/prefix
  make --no-print-directory -s install PREFIX="$P" >"$OUT/install.out" 2>&1
  check "make install PREFIX=...: exit 0" [ $? = 0 ]
  mkdir -p "$OUT/away"
  (cd "$OUT/away" && env PATH="$P/bin:/usr/bin:/bin" outbox-sim conform -j 2 \
    --node "accounting=$P/bin/outbox-node" >"$OUT/inst.out" 2>&1)
  check "an installed outbox-sim conform runs outside the repository: exit 0" [ $? = 0 ]
  check "... every clause passed" grep -q "^conform: accounting: 0 of" "$OUT/inst.out"
  make --no-print-directory -s uninstall PREFIX="$P" >/dev/null 2>&1
  check "make uninstall leaves nothing of it" [ -z "$(find "$P" -type f)" ]
fi

# ---- a node that loses its database at every start --------------------------------------
# The simulator may keep the file on tmpfs behind a link: empty what the link points to.
cat >"$W/wipe" <<EOF
#!/bin/sh
db=; prev=
for a in "\$@"; do [ "\$prev" = --db ] && db=\$a; prev=\$a; done
real=\$(readlink -f "\$db")
[ -e "\$real" ] && : >"\$real"
rm -f "\$real-wal" "\$real-shm" "\$real-journal"
exec "$NODE" "\$@"
EOF
chmod +x "$W/wipe"
conform payment "$W/wipe" wipe-payment
check "payment losing its database: exit 1" [ "$rc" = 1 ]
check "... fails the clauses a lost commit breaks ($(clauses wipe-payment))" [ "$(clauses wipe-payment)" = \
  "restart-keeps-commits idempotent-pay durability eventual_consistency restart_state" ]
check "... the line says what broke and where" grep -qx "conform: payment: durability: broken [0-9]* times, in scenarios/crash-after-commit.lua seed 1 ($OUT/wipe-payment/crash-after-commit/1/)" "$OUT/wipe-payment.out"
check "... the summary counts them" \
  grep -q "^conform: payment: 5 of [0-9]* clauses failed" "$OUT/wipe-payment.out"
check "... the failing run is kept, with its trace" \
  [ -s "$OUT/wipe-payment/crash-after-commit/1/trace.jsonl" ]
check "... a passing run is not" [ ! -e "$OUT/wipe-payment/dead-letters" ]
conform accounting "$W/wipe" wipe-accounting
check "accounting losing its database: exit 1" [ "$rc" = 1 ]
check "... fails the clauses a lost voucher breaks ($(clauses wipe-accounting))" [ \
  "$(clauses wipe-accounting)" = \
  "restart-keeps-commits eventual_consistency dedupe_same_answer restart_state" ]

# ---- a node that reads the machine's clock ----------------------------------------------
printf '#!/bin/sh\nexec env -u LD_PRELOAD "%s" "$@"\n' "$NODE" >"$W/realclock"
chmod +x "$W/realclock"
conform accounting "$W/realclock" clock
check "accounting on the machine's clock: exit 1" [ "$rc" = 1 ]
check "... fails clock-from-step alone ($(clauses clock))" [ "$(clauses clock)" = clock-from-step ]
check "... because its vouchers carry the machine's time" \
  grep -q "^conform: accounting: clock-from-step: accounting's rows carry times .*, not of the step's clock (1699913540000\.\.1699917200000)" \
  "$OUT/clock.out"

# ---- a program that does not speak the protocol -----------------------------------------
printf '#!/bin/sh\nexit 0\n' >"$W/mute"
chmod +x "$W/mute"
conform payment "$W/mute" mute
check "a payment that exits at once: exit 1, not 3" [ "$rc" = 1 ]
check "... the first line is protocol-answers, quoting the simulator" grep -qx \
  "conform: payment: protocol-answers: payment exited with status 0 unexpectedly, before it could take a step (see .*; a node speaking JSON lines is named --node payment=json:COMMAND), in scenarios/conform/steps.lua seed 1 (.*)" \
  <(head -n 1 "$OUT/mute.out")
# (all but the six judged over every run: four protocol clauses, notes-readable and
# expectations, which a run that ended in a harness error does not reach)
check "... every other clause of payment is not judged, and says why" [ "$(grep -c \
  "^conform: payment: [a-z_-]*: not judged: the run ended in a harness error (protocol-answers)" \
  "$OUT/mute.out")" = "$(($(grep -o "of [0-9]* clauses" "$OUT/mute.out" | tr -dc 0-9) - 6))" ]

# ---- mutant nodes -----------------------------------------------------------------------
# Mutants link with the plain build's objects (build/): under another build there is
# nothing to link them with.
if [ "${BUILD:-build}" != build ]; then
  skip "conform: the mutant nodes are skipped for BUILD=$BUILD"
  exit 0
fi
make -Bn unit >"$OUT/make-n" 2>/dev/null
# mutant NAME FILE SED-EXPRESSION: $W/NAME, an outbox-node with FILE changed by the sed.
mutant() {
  local name=$1 file=$2 dir=$OUT/mut-$1 base obj cline link
  base=$(basename "$file")
  obj=build/${file%.c}.o
  mkdir -p "$dir"
  sed "$3" "$file" >"$dir/$base"
  if cmp -s "$file" "$dir/$base"; then echo "# mutant $name: the sed changed nothing"; return 1; fi
  cline=$(grep -E -- " -c $file -o " "$OUT/make-n" | sed "s| -c $file -o $obj| -c $base -o $base.o|")
  link=$(grep -E -- " -o bin/outbox-node$" "$OUT/make-n")
  case $file in
    lib/*) link=${link/build\/liboutbox.a/$dir/$base.o build/liboutbox.a} ;;
    proto/*) link=${link/build\/libproto.a/$dir/$base.o build/libproto.a} ;;
    *) link=${link/$obj/$dir/$base.o} ;;
  esac
  link=${link/-o bin\/outbox-node/-o $W/$name}
  local inc=$PWD/$(dirname "$file")
  (cd "$dir" && eval "$cline -iquote '$inc'") >"$dir/cc.log" 2>&1 &&
    eval "$link" >>"$dir/cc.log" 2>&1
}
mutant reject lib/svc.c 's/ox_svc_event(s, "reject", pay,/ox_svc_event(s, "rejected", pay,/'
check "mutant reject (lib/svc.c) builds" [ -x "$W/reject" ]
conform broker "$W/reject" reject
check "a broker that notes a damaged frame under another kind: exit 1" [ "$rc" = 1 ]
check "... fails protocol-reject alone ($(clauses reject))" [ "$(clauses reject)" = protocol-reject ]
check "... and says so" \
  grep -q "^conform: broker: protocol-reject: [0-9]* of [0-9]* damaged frames not rejected alone; the first: frame [0-9]* (damaged) was answered with a rejected note, not a reject note, in scenarios/corrupt-frames.lua" \
  "$OUT/reject.out"

mutant seq node/simhost.c \
  's/ox_reply_begin(&h->rb, h->buf, OX_REPLY_MAX, steps\[0\].seq);/ox_reply_begin(\&h->rb, h->buf, OX_REPLY_MAX, steps[0].seq + (steps[0].kind == OX_STEP_TIMER \&\& steps[0].timer_id == 3));/'
check "mutant seq (node/simhost.c) builds" [ -x "$W/seq" ]
conform accounting "$W/seq" seq
check "accounting answering its purge timer with another seq: exit 1, not 3" [ "$rc" = 1 ]
check "... fails protocol-seq and the clause whose run it ended ($(clauses seq))" \
  [ "$(clauses seq)" = "protocol-seq clock-from-step" ]
check "... the protocol line quotes the simulator" \
  grep -q "^conform: accounting: protocol-seq: accounting answered step [0-9]* with the reply to step [0-9]*" \
  "$OUT/seq.out"
check "... the other says it was not judged" \
  grep -q "^conform: accounting: clock-from-step: not judged: the run ended in a harness error (protocol-seq)" \
  "$OUT/seq.out"

mutant effects proto/step.c \
  's/    ox_put_u8(&w, e->type);/    ox_put_u8(\&w, e->type == OX_FX_TIMER \&\& e->timer_id == 3 ? 9 : e->type);/'
check "mutant effects (proto/step.c) builds" [ -x "$W/effects" ]
conform accounting "$W/effects" effects
check "accounting sending an effect of an unknown type: exit 1, not 3" [ "$rc" = 1 ]
check "... fails protocol-effects and the clause whose run it ended ($(clauses effects))" \
  [ "$(clauses effects)" = "protocol-effects clock-from-step" ]
check "... the protocol line quotes the simulator" \
  grep -q "^conform: accounting: protocol-effects: accounting sent a malformed reply: " \
  "$OUT/effects.out"

mutant dedupe lib/accounting.c 's/s->cfg.design != OX_DESIGN_OUTBOX_NO_DEDUPE/0/g'
check "mutant dedupe (lib/accounting.c) builds" [ -x "$W/dedupe" ]
conform accounting "$W/dedupe" dedupe
check "accounting applying every copy: exit 1" [ "$rc" = 1 ]
check "... fails the idempotency and invariant clauses it breaks ($(clauses dedupe))" \
  [ "$(clauses dedupe)" = "restart-keeps-commits idempotent-frames eventual_consistency exactly_once dedupe_same_answer" ]

mutant identity lib/store.c 's/"PRAGMA application_id=%d; PRAGMA/"PRAGMA application_id=7%d; PRAGMA/'
check "mutant identity (lib/store.c) builds" [ -x "$W/identity" ]
conform accounting "$W/identity" identity
check "accounting stamping its file with another application_id: exit 1" [ "$rc" = 1 ]
check "... the first line is database-contract, quoting the checker" grep -q \
  "^conform: accounting: database-contract: .*accounting.db: not an outbox-lab accounting database" \
  <(head -n 1 "$OUT/identity.out")

# ---- bad usage: one line, exit 2, nothing written ----------------------------------------
bad() {   # bad WHAT EXPECTED-WORDS ARGS...
  local what=$1 words=$2; shift 2
  timeout 60 "$SIM" conform --out "$OUT/bad" "$@" >"$OUT/b.out" 2>"$OUT/b.err"
  local brc=$?
  check "$what: exit 2" [ $brc = 2 ]
  check "$what: one line on stderr, saying '$words'" \
    bash -c "[ \$(wc -l <'$OUT/b.err') = 1 ] && grep -q -- '$words' '$OUT/b.err'"
  check "$what: nothing written" [ ! -e "$OUT/bad" ]
}
bad "no --node" "name the role to test"
bad "two roles" "tests one role at a time" --node "payment=$NODE" --node "broker=$NODE"
bad "an unknown role" "unknown role" --node "ledger=$NODE"
bad "an unknown flag" "unknown argument" --node "payment=$NODE" --seeds 1..2
bad "-j 0" "-j: expected 1..256" --node "payment=$NODE" -j 0
