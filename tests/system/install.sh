#!/usr/bin/env bash
# tests/system/install.sh: `make install` into a temporary PREFIX, then runs from the
# installed tree alone: outside the repository, with the repository's bin/ not on the
# PATH.  outbox-sim must find outbox-node (and a scenario's ctl() outbox-ctl) beside
# itself and `matrix` the installed scenario library; `make uninstall` removes every
# file it installed.  A staged install (DESTDIR) puts the same tree under the stage.
source "$(dirname "$0")/lib.bash"

if [ "${OUTBOX_BIN:-bin}" != bin ]; then
  # make install installs $(BIN) after building it: under another build (asan) it
  # would relink bin/ instead of testing those binaries.
  skip "install: skipped for OUTBOX_BIN=$OUTBOX_BIN (make install installs bin/)"; exit 0
fi
P=$OUT/prefix
make --no-print-directory -s install PREFIX="$P" >"$OUT/install.out" 2>&1
rc=$?
check "make install PREFIX=...: exit 0" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$OUT/install.out" | tail -n 5
for b in outbox-sim outbox-node outbox-ctl libox-disk.so; do check "installed bin/$b" test -x "$P/bin/$b"; done
nsc=$(ls scenarios/*.lua | wc -l)
check "installed the scenario library ($nsc scenarios and its README)" \
  test "$(ls "$P/share/outbox-lab/scenarios/"*.lua | wc -l)" -eq "$nsc" -a -f "$P/share/outbox-lab/scenarios/README.md"
check "installed the report parts and uPlot's licence" test -f "$P/share/outbox-lab/report/uPlot.LICENSE"
check "installed the kept matrix" cmp -s tests/matrix.expected "$P/share/outbox-lab/matrix.expected"

# The installed tree, alone: elsewhere, with only it and the system on the PATH.
away=$OUT/elsewhere
mkdir -p "$away"
inst() { (cd "$away" && env -u OUTBOX_NODE -u OUTBOX_BIN PATH="$P/bin:/usr/bin:/bin" "$@"); }
check "the PATH finds the installed outbox-sim" test "$(inst sh -c 'command -v outbox-sim')" = "$P/bin/outbox-sim"
S=$P/share/outbox-lab/scenarios
inst outbox-sim run "$S/clean.lua" --seed 1 --quiet >"$OUT/run.out" 2>&1
rc=$?
check "installed outbox-sim runs an installed scenario outside the repository: exit 0" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$OUT/run.out" | tail -n 5
check "... writing its run under the current directory" test -f "$away/reports/runs/clean/1/report.html"
inst outbox-ctl --db reports/runs/clean/1/payment.db stats >"$OUT/ctl.out" 2>&1
check "installed outbox-ctl reads the run's database" grep -q '^  CONSUMED ' "$OUT/ctl.out"
inst outbox-sim run "$S/dead-letter-requeue.lua" --seed 1 --quiet >"$OUT/ctlrun.out" 2>&1
check "a scenario's ctl() finds the installed outbox-ctl: exit 0" test $? -eq 0
check "the installed matrix defaults to the installed library" \
  grep -qx "Default scenarios: $P/bin/../share/outbox-lab/scenarios/\*.lua" <(inst outbox-sim matrix --help)
inst outbox-sim sweep "$S/pay-queue-loss.lua" --seeds 1 --design direct --out sweep >"$OUT/sweep.out" 2>&1
check "installed sweep of a weak design: exit 1" test $? -eq 1
cmd=$(sed -n 's/^ *reproduce: //p' "$OUT/sweep.out" | head -n 1)
check "... its reproduce line runs the installed tree's files" test "$cmd" = "outbox-sim run $S/pay-queue-loss.lua --seed 1 --design direct"
# shellcheck disable=SC2086   # the printed command is meant to be word-split
inst $cmd --out repro --quiet >/dev/null 2>&1
check "... and, run as printed, fails the same way (exit 1)" test $? -eq 1
# Proof that the node came from the installed tree, not from anywhere else: without
# it the installed outbox-sim cannot run.
mv "$P/bin/outbox-node" "$P/bin/outbox-node.away"
inst outbox-sim run "$S/clean.lua" --seed 2 --quiet >"$OUT/nonode.out" 2>&1
rc=$?
mv "$P/bin/outbox-node.away" "$P/bin/outbox-node"
check "without the installed outbox-node it cannot run (exit 3)" test $rc -eq 3
check "... and names where it looked" grep -q "$P/bin/outbox-node" "$OUT/nonode.out"

make --no-print-directory -s uninstall PREFIX="$P" >"$OUT/uninstall.out" 2>&1
check "make uninstall: exit 0" test $? -eq 0
check "make uninstall removes every file it installed" test -z "$(find "$P" -type f)"

# A staged install, as a package build does it.
make --no-print-directory -s install DESTDIR="$OUT/stage" PREFIX=/usr >/dev/null 2>&1
check "DESTDIR: the tree lands under the stage" test -x "$OUT/stage/usr/bin/outbox-sim" -a -f "$OUT/stage/usr/share/outbox-lab/scenarios/clean.lua"
