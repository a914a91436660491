#!/usr/bin/env bash
# tests/system/ci.sh: docs/ci.md and the workflow it shows stay true.
#   - .github/workflows/outbox-lab.yml parses as YAML and is exactly the ```yaml block
#     of docs/ci.md (the page shows the real file);
#   - every `make` target a step runs exists; every flag its sweep passes is one that
#     `outbox-sim sweep --help` lists; the sweep step runs for real (its GitHub
#     expressions filled in: shard 1, a nightly run) with each seed range cut to one seed;
#   - the `installed` job's steps run for real, with PREFIX in a temp dir;
#   - every command in the page's ```sh blocks runs: sweeps with their seeds cut to
#     two, `make install` into a temp prefix, docker ones only where a container
#     runtime works (OUTBOX_TEST_CONTAINER=1: scripts/container-test.sh runs them); a
#     command this test does not know is a failure, so a new one gets a rule here.
source "$(dirname "$0")/lib.bash"

W=.github/workflows/outbox-lab.yml
DOC=docs/ci.md
bindir=${OUTBOX_BIN:-bin}
case "$bindir" in /*) ;; *) bindir="$PWD/$bindir" ;; esac
check "the workflow file exists" test -f "$W"
yaml_ok() { python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); assert d["jobs"]' "$1"; }
if python3 -c 'import yaml' 2>/dev/null; then check "the workflow parses as YAML, with jobs" yaml_ok "$W"
else ok "the workflow's YAML: not checked (no python3 yaml here)"; fi
awk '/^```yaml$/ { on = 1; next } on && /^```$/ { exit } on' "$DOC" >"$OUT/doc.yml"
check "docs/ci.md shows the workflow file byte for byte" cmp -s "$W" "$OUT/doc.yml"

# The steps' scripts, one file per step: "<job> <n>" then the script.
python3 - "$W" "$OUT/steps" <<'PY' || notok "cannot read the workflow's steps"
import os, sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
os.makedirs(sys.argv[2], exist_ok=True)
for job, spec in w["jobs"].items():
    for n, step in enumerate(spec.get("steps", [])):
        if "run" in step:
            with open(os.path.join(sys.argv[2], f"{job}.{n}.sh"), "w") as f:
                f.write(step["run"].rstrip("\n") + "\n")
        with open(os.path.join(sys.argv[2], f"{job}.env"), "w") as f:
            for k, v in (spec.get("env") or {}).items():
                f.write(f"export {k}={v}\n")
PY
# GitHub's expressions, as a nightly run of shard 1 would see them.
fill() { sed -e 's/\${{ matrix.shard }}/1/g' -e 's/\${{ github.event_name }}/schedule/g' \
             -e 's/\${{ github.run_number }}/7/g' "$1"; }
# make [VAR=value...] [target]: the target, "all" when none is named.
targets=$(cat "$OUT"/steps/*.sh | grep -oE '(^|&& )make( [^ &|;]+)*' \
          | awk '{ t = "all"; for (i = 2; i <= NF; i++) if ($i !~ /=/ && $i !~ /^-/) t = $i; print t }' \
          | sort -u)
check "the workflow runs make targets (found: $(echo $targets))" test -n "$targets"
target_exists() { make -n "$1" PREFIX="$OUT/n" >/dev/null 2>&1; }
for t in $targets; do check "the workflow's make target '$t' exists" target_exists "$t"; done
help=$("$bindir/outbox-sim" sweep --help)
flags=$(cat "$OUT"/steps/*.sh | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta' | grep 'outbox-sim"\? sweep' \
        | grep -oE ' --[a-z-]+| -j' | sort -u)
check "the workflow's sweeps pass flags (found: $(echo $flags))" test -n "$flags"
for f in $flags; do
  check "the workflow's sweep flag $f is one outbox-sim sweep knows" grep -q -- "^ *$f " <<<"$help"
done

# The sweep step, for real: a nightly shard 1, each --seeds cut to its first seed.
W1=$OUT/work && mkdir -p "$W1" && ln -sfn "$bindir" "$W1/bin" && ln -sfn "$PWD/scenarios" "$W1/scenarios"
sweep_step=$(grep -l 'outbox-sim sweep' "$OUT"/steps/sweep.*.sh | head -n 1)
cat >"$OUT/shim" <<SHIM
#!/usr/bin/env bash
# Records the sweep's arguments, then runs it with one seed.
printf '%s\n' "\$*" >>"$OUT/sweep-args"
args=(); cut=0
for a in "\$@"; do
  if [ \$cut = 1 ]; then a=\${a%%..*}; cut=0; fi
  [ "\$a" = --seeds ] && cut=1
  args+=("\$a")
done
exec "$bindir/outbox-sim" "\${args[@]}"
SHIM
chmod +x "$OUT/shim"
(cd "$W1" && fill "$sweep_step" | sed "s#bin/outbox-sim#$OUT/shim#" | timeout -k 5 600 bash -e) >"$OUT/sweep.out" 2>&1
rc=$?
check "the sweep step runs (shard 1 of a nightly run, one seed): exit 0" test $rc -eq 0
[ $rc -eq 0 ] || tail -n 5 "$OUT/sweep.out" | sed 's/^/# /'
check "... the nightly seeds are fresh ones (7001..8000)" grep -q -- '--seeds 7001..8000 --shard 1/2' "$OUT/sweep-args"
check "... it writes the files the upload step takes" test -s "$W1/reports/sweep-1.xml" -a -s "$W1/reports/sweep-1.json"

# The installed job, for real, with its PREFIX in a temp dir and /tmp/elsewhere below $OUT.
if [ "${OUTBOX_BIN:-bin}" = bin ]; then
  for s in "$OUT"/steps/installed.*.sh; do
    grep -q 'apt-get' "$s" && continue
    (cd "$PWD" && source "$OUT/steps/installed.env" && export PREFIX="$OUT/opt" &&
      sed "s#/tmp/elsewhere#$OUT/elsewhere#g" "$s" | timeout -k 5 600 bash -e) >"$OUT/inst.out" 2>&1
    rc=$?
    check "the installed job's step $(basename "$s" .sh) runs: exit 0" test $rc -eq 0
    [ $rc -eq 0 ] || tail -n 5 "$OUT/inst.out" | sed 's/^/# /'
  done
  check "... and it swept from outside the checkout" test -s "$OUT/elsewhere/reports/sweep.xml"
else
  skip "the installed job: skipped for OUTBOX_BIN=$OUTBOX_BIN (make install installs bin/)"
fi

# The page's commands.
awk '/^```sh$/ { on = 1; next } on && /^```$/ { on = 0; next } on' "$DOC" \
  | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta' >"$OUT/commands"
check "docs/ci.md shows commands (found $(wc -l <"$OUT/commands"))" test -s "$OUT/commands"
W2=$OUT/page && mkdir -p "$W2" && ln -sfn "$bindir" "$W2/bin" && ln -sfn "$PWD/scenarios" "$W2/scenarios"
while IFS= read -r cmd; do
  case $cmd in
    "bin/outbox-sim sweep "*)
      c=$(sed -E 's/--seeds ([0-9]+)\.\.[0-9]+/--seeds \1..\1/' <<<"$cmd")
      (cd "$W2" && timeout -k 5 600 bash -c "$c") >"$OUT/cmd.out" 2>&1
      check "docs/ci.md: $cmd (one seed): exit 0" test $? -eq 0 ;;
    "make install PREFIX=/opt/outbox-lab")
      if [ "${OUTBOX_BIN:-bin}" = bin ]; then
        make --no-print-directory -s install PREFIX=/opt/outbox-lab DESTDIR="$OUT/dest" >"$OUT/cmd.out" 2>&1
        check "docs/ci.md: $cmd (DESTDIR=\$OUT/dest): exit 0" test $? -eq 0
      else ok "docs/ci.md: $cmd: skipped for OUTBOX_BIN=$OUTBOX_BIN"; fi ;;
    "cd /tmp && /opt/outbox-lab/bin/outbox-sim "*)
      if [ "${OUTBOX_BIN:-bin}" = bin ]; then
        c=$(sed -e "s#cd /tmp#mkdir -p $OUT/tmp \&\& cd $OUT/tmp#" -e "s#/opt/outbox-lab#$OUT/dest/opt/outbox-lab#g" <<<"$cmd")
        (PATH=/usr/bin:/bin timeout -k 5 600 bash -c "$c") >"$OUT/cmd.out" 2>&1
        check "docs/ci.md: $cmd (the staged tree, outside the repository): exit 0" test $? -eq 0
        check "... it wrote its JUnit there" test -s "$OUT/tmp/reports/sweep.xml"
      else ok "docs/ci.md: $cmd: skipped for OUTBOX_BIN=$OUTBOX_BIN"; fi ;;
    "docker build "*|"docker run "*)
      if [ "${OUTBOX_TEST_CONTAINER:-}" = 1 ]; then
        ok "docs/ci.md: $cmd: run by scripts/container-test.sh (tests/system/dockerfile.sh)"
      else
        skip "docs/ci.md: $cmd: not run here (OUTBOX_TEST_CONTAINER=1 runs scripts/container-test.sh)"
      fi ;;
    *) notok "docs/ci.md: no rule runs this command (add one to tests/system/ci.sh): $cmd" ;;
  esac
done <"$OUT/commands"
check "the docker commands are the ones scripts/container-test.sh runs" \
  sh -c "grep -q 'run --rm \"\$img\" run \"\$scen\" --seed 1' scripts/container-test.sh && grep -q '^scen=/opt/outbox-lab/share/outbox-lab/scenarios/' scripts/container-test.sh"
