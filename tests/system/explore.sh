#!/usr/bin/env bash
# tests/system/explore.sh: `outbox-sim explore` crashes every failpoint hit and loses and
# duplicates every frame of a tiny scenario: the seed's design survives all of it, a weak
# design is caught with a variant that reproduces; --power cuts the power at every hit
# instead (a phantom under synchronous=normal, nothing under full), --sync-points also
# right after every sync of a node's simulated disk; SIGINT leaves nothing behind; with
# topology{} each instance's failpoint passes are crashed one by one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

TINY=$OUT/tiny.lua
cat >"$TINY" <<'EOF'
-- three payments, no faults: explore adds them, one variant at a time
scenario {
  name     = "three payments",
  workload = { payments = 3, rate = 10 },
  run      = 2,
  settle   = 30,
}
EOF

# The seed's design: every variant keeps every invariant.
sim explore "$TINY" -j 2 --out "$OUT/ok"
check "explore of design outbox exits 0" test $? -eq 0
check "... and says that no variant broke" grep -q 'broke      0 crash, 0 drop, 0 duplicate, 0 pair = 0' "$OUT/last.out"
check "... and writes explore.txt" cmp -s "$OUT/last.out" "$OUT/ok/explore.txt"
check "... and keeps no variant file" test -z "$(ls "$OUT/ok/variants")"

# The failpoint list: every failpoint the services define is either reached (with its
# hits before healing) or listed as never reached, and the crash variants are exactly
# the failpoint hits of the baseline run before healing.
base=$OUT/ok/runs/tiny/1/trace.jsonl
hits=$(awk '/"ev":"heal"/{exit} /"ev":"failpoint"/{n++} END{print n+0}' "$base")
frames=$(awk '/"ev":"heal"/{exit} /"ev":"send"/ && !/"fate"/{n++} END{print n+0}' "$base")
check "one crash variant per failpoint hit ($hits) and one drop and one duplicate per frame ($frames)" \
  grep -q "variants   $hits crash, $frames drop, $frames duplicate, 0 pair" "$OUT/last.out"
missing=0
for fp in $("$SIM" failpoints); do
  if grep -q "^  failpoints.* $fp [0-9]" "$OUT/last.out"; then
    n=$(awk -v fp="$fp" '/"ev":"heal"/{exit} index($0, "\"name\":\"" fp "\"") && /"ev":"failpoint"/{n++} END{print n+0}' "$base")
    grep -q "^  failpoints.* $fp $n[,( ]" "$OUT/last.out" || { echo "# $fp: hits differ from the trace ($n)"; missing=1; }
  elif ! grep -q "never reached: failpoint $fp " "$OUT/last.out"; then
    echo "# failpoint $fp neither reached nor listed as never reached"; missing=1
  fi
done
check "the failpoint list matches outbox-sim failpoints and the baseline trace" test $missing -eq 0
check "a failpoint without hits is listed as never reached" grep -q "never reached: failpoint payment.before_commit" "$OUT/last.out"
check "a frame never sent is listed as never reached" grep -q "never reached: frame accounting->broker PUBLISH CONSUME_FAILED" "$OUT/last.out"

# On a terminal (script(1) gives it one) a progress line is rewritten in place while the
# variants run, and cleared before the report; piped, the output has no such line.
check "piped: no progress line" sh -c "! grep -q \$'\\r' '$OUT/last.out'"
if command -v script >/dev/null; then
  timeout -k 5 300 script -qfec "$SIM explore $TINY -j 2 --out $OUT/tty" /dev/null >"$OUT/tty.out" 2>&1
  check "on a terminal: a progress line of variants done, broke and time left" \
    grep -Eq $'\r\033\\[Kexplore: [0-9]+/[0-9]+ variants, 0 broke, [0-9.]+ runs/s' "$OUT/tty.out"
  check "on a terminal: the line is cleared before the report" \
    grep -q $'\r\033\\[Kexplore: .*tiny.lua, seed 1, design outbox, depth 1' "$OUT/tty.out"
fi

# A weak design the history checks catch as given (answer_after_commit): nothing to explore.
sim explore "$TINY" -j 2 --design ack-before-apply --out "$OUT/asis"
check "explore of design ack-before-apply exits 1: its baseline fails" test $? -eq 1
check "... and says so" grep -q "the scenario fails as given" "$OUT/last.err"
# A weak design that passes as given: the row is marked done when published, so a
# broker crash after accepting it loses the message for good.
sim explore "$TINY" -j 2 --design mark-on-publish --out "$OUT/weak"
check "explore of design mark-on-publish exits 1" test $? -eq 1
check "... and names the broken invariant with a crash variant" grep -Eq '^  eventual_consistency +[0-9]{4}  crash at broker\.' "$OUT/last.out"
cmd=$(grep -m1 -Eo "$SIM run $OUT/weak/variants/[0-9]{4}-[a-z]+\.lua --seed 1 --design mark-on-publish" "$OUT/last.out")
check "... with a reproduction command" test -n "$cmd"
broke=$(sed -n 's/^  broke .*= \([0-9]*\)$/\1/p' "$OUT/last.out")
check "... keeping exactly the $broke variants that broke" test "$(ls "$OUT/weak/variants" | wc -l)" -eq "${broke:-0}"
if [ -n "$cmd" ]; then
  timeout -k 5 120 $cmd --out "$OUT/repro" --quiet >/dev/null 2>&1
  check "the reproduction command fails again (exit 1)" test $? -eq 1
fi
sim explore "$TINY" -j 1 --design mark-on-publish --out "$OUT/weak1"
check "-j 1 finds the same variants as -j 2" diff <(grep -v '^  ran ' "$OUT/weak/explore.txt" | sed "s#$OUT/weak1\?/##g") \
                                                <(grep -v '^  ran ' "$OUT/weak1/explore.txt" | sed "s#$OUT/weak1\?/##g")

# Depth 2, bounded: pairs drawn from the seed, no more variants than asked.
sim explore "$TINY" -j 2 --depth 2 --max-variants 70 --design outbox-no-dedupe --out "$OUT/pairs"
rc=$?
check "depth 2 with a weak design exits 1" test $rc -eq 1
check "... runs at most --max-variants variants, pairs included" grep -Eq '^  variants .*, [0-9]+ pair = (70|6[0-9])( |$)' "$OUT/last.out"
check "... and finds exactly_once broken" grep -q '^  exactly_once ' "$OUT/last.out"

# --power: every crash variant becomes a power cut at the same (failpoint, hit).  Under
# SQLite's default synchronous=normal a cut takes back commits whose message already left:
# accounting keeps vouchers for payments that no longer exist (no_phantom, as
# scenarios/power-payment-normal.lua shows); under synchronous=full a cut takes back
# nothing any other node saw, and every variant holds.
sim explore "$TINY" -j 2 --power --out "$OUT/power"
check "explore --power under synchronous=normal exits 1" test $? -eq 1
check "... says the variants are power cuts keeping none" \
  grep -q "^explore: .*tiny.lua, seed 1, design outbox, depth 1, power cuts keep none" "$OUT/last.out"
check "... one power cut variant per failpoint hit ($hits), no crash variant" \
  grep -q "variants   $hits power cut, $frames drop, $frames duplicate, 0 pair" "$OUT/last.out"
check "... and finds the phantom with a power cut at a payment failpoint" \
  grep -Eq '^  no_phantom +[0-9]{4}  power cut at payment\.[a-z_]+, hit [0-9]+ ' "$OUT/last.out"
check "... no line of the list says crash" sh -c "! grep -Eq '^  [a-z_]+ +[0-9]{4}  crash' '$OUT/last.out'"
check "... every power cut acted" sh -c "! grep -q 'never reached: variant' '$OUT/last.out'"
pv=$(grep -m1 -Eo "$OUT/power/variants/[0-9]{4}-power\.lua" "$OUT/last.out")
check "... the variant file appends a power_loss line keeping none" \
  grep -Eq '^power_loss \{ at_failpoint = "payment\.[a-z_]+", hit = [0-9]+, keep = "none", restart_after = 1 \}$' "$pv"
# Until its cut, a variant is the baseline byte for byte (the first line names the file).
vt=$OUT/power/runs/$(basename "$pv" .lua)/1/trace.jsonl
bt=$OUT/power/runs/tiny/1/trace.jsonl
cut_at=$(grep -n -m1 '"ev":"fault","fault":1,"kind":"power_loss"' "$vt" | cut -d: -f1)
check "... its trace has the power_loss fault line" test -n "$cut_at"
check "... and is the baseline's up to it" \
  cmp -s <(sed -n "2,$((${cut_at:-2} - 1))p" "$vt") <(sed -n "2,$((${cut_at:-2} - 1))p" "$bt")
check "... and then cuts the power" grep -q '"ev":"power_cut","node":"payment"' "$vt"
for r in 1 2; do
  timeout -k 5 120 "$SIM" run "$pv" --seed 1 --out "$OUT/prerun$r" --quiet >/dev/null 2>&1
  check "a power cut variant fails when run again (run $r, exit 1)" test $? -eq 1
done
check "... byte-identical traces on a rerun" \
  cmp -s "$OUT/prerun1/$(basename "$pv" .lua)/1/trace.jsonl" "$OUT/prerun2/$(basename "$pv" .lua)/1/trace.jsonl"

FULL=$OUT/full.lua
sed 's/^  run      = 2,$/  knobs    = { synchronous = "full" },\n  run      = 2,/' "$TINY" >"$FULL"
check "the synchronous=full copy sets the knob" grep -q 'synchronous = "full"' "$FULL"
sim explore "$FULL" -j 2 --power --out "$OUT/powerfull"
check "explore --power under synchronous=full exits 0" test $? -eq 0
check "... with $hits power cuts and none broke" \
  grep -q "broke      0 power cut, 0 drop, 0 duplicate, 0 pair = 0" "$OUT/last.out"
check "... and every power cut acted" sh -c "! grep -q 'never reached: variant' '$OUT/last.out'"

# --power KEEP: the cuts keep what KEEP says of the unsynced writes.
sim explore "$TINY" -j 2 --power torn --max-variants 12 --out "$OUT/torn"
check "explore --power torn says so" grep -q ", power cuts keep torn$" "$OUT/last.out"
tv=$(ls "$OUT/torn/variants/"*-power.lua 2>/dev/null | head -1)
check "... and its variants keep torn" grep -q 'keep = "torn"' "${tv:-/nonexistent}"

# --sync-points: every node on the simulated disk passes "<node>.after_sync" right after
# each sync its VFS records, so a power cut right after each sync is a variant too.  A
# run without it reports none (the step 1 variant above ran on the simulated disk).
check "without --sync-points a run on the simulated disk passes no sync point" \
  sh -c "! grep -q 'after_sync' '$OUT/prerun1/$(basename "$pv" .lua)/1/trace.jsonl'"
sim explore "$FULL" -j 2 --power --sync-points --out "$OUT/sync"
rc=$?
st=$OUT/sync/runs/full/1/trace.jsonl
shits=$(awk '/"ev":"heal"/{exit} /"ev":"failpoint"/{n++} END{print n+0}' "$st")
syncs=$(awk '/"ev":"heal"/{exit} /"ev":"failpoint".*after_sync/{n++} END{print n+0}' "$st")
psyncs=$(awk '/"ev":"heal"/{exit} /"ev":"failpoint".*"payment\.after_sync"/{n++} END{print n+0}' "$st")
check "explore --sync-points says so" grep -q ", power cuts keep none, sync points$" "$OUT/last.out"
check "... its baseline passes sync points of each node ($syncs, payment $psyncs)" \
  test "$psyncs" -gt 0 -a "$(grep -c '"name":"accounting.after_sync"' "$st")" -gt 0 \
       -a "$(grep -c '"name":"broker.after_sync"' "$st")" -gt 0
check "... one power cut per failpoint hit, sync points included ($shits)" \
  grep -q "variants   $shits power cut, $frames drop, $frames duplicate, 0 pair" "$OUT/last.out"
check "... the failpoint list counts payment's syncs as the trace does" \
  grep -Eq "^  failpoints .* payment\.after_sync $psyncs[,( ]" "$OUT/last.out"
check "... every power cut after a sync acted" sh -c "! grep -q 'never reached: variant' '$OUT/last.out'"
# Under synchronous=full the WAL's sync is the commit: a cut right after it, before
# COMMIT returns, leaves a transaction durable that the service never saw commit.  The
# history checks count such a transaction as possibly committed (hproducer.h,
# hconsumer.c: like an indefinite answer), so under full nothing breaks.
check "... and under synchronous=full no cut right after a sync breaks anything (exit $rc)" \
  test "$rc" -eq 0
check "... it says none broke" grep -q "broke      0 power cut, 0 drop, 0 duplicate, 0 pair = 0" "$OUT/last.out"
# Under the default (normal) the same exploration finds the phantoms: cuts at payment's
# failpoints take back commits no sync covered (a cut right after a sync takes nothing).
sim explore "$TINY" -j 2 --power --sync-points --out "$OUT/syncn"
check "under synchronous=normal, with sync points, power cuts break no_phantom (exit $?)" \
  grep -Eq '^  no_phantom +[0-9]{4}  power cut at payment\.[a-z_]+, hit [0-9]+ +OUTBOX_SIM_DISK=simulated OUTBOX_SYNC_POINTS=1 ' "$OUT/last.out"
scmd=$(grep '^  no_phantom ' "$OUT/last.out" | grep -m1 -Eo "OUTBOX_SIM_DISK=simulated OUTBOX_SYNC_POINTS=1 $SIM run $OUT/syncn/variants/[0-9]{4}-power\.lua --seed 1")
check "... with a reproduction command naming the environment" test -n "$scmd"
for r in 1 2; do
  timeout -k 5 120 env ${scmd:-false} --out "$OUT/srerun$r" --quiet >/dev/null 2>&1
  check "a sync point variant fails again when reproduced (run $r, exit 1)" test $? -eq 1
done
sv=$(basename "$(echo "$scmd" | grep -Eo '[0-9]{4}-power')" .lua)
check "... byte-identical traces on a rerun" \
  cmp -s "$OUT/srerun1/$sv/1/trace.jsonl" "$OUT/srerun2/$sv/1/trace.jsonl"
check "... which cut payment's power, its run passing sync points" \
  sh -c "grep -q '\"ev\":\"crash\",\"node\":\"payment\",\"life\":1' '$OUT/srerun1/$sv/1/trace.jsonl' &&
         grep -q '\"name\":\"payment.after_sync\"' '$OUT/srerun1/$sv/1/trace.jsonl'"
printf 'scenario { name = "bad", workload = { payments = 1 }, run = 1 }\ncrash { at_failpoint = "disk.after_sync" }\n' >"$OUT/badsync.lua"
sim run "$OUT/badsync.lua" --out "$OUT/badsync"
check "a sync point of no node is refused (exit 2)" test $? -eq 2
check "... in one line naming the file and line" grep -q "badsync.lua:2: .*unknown failpoint 'disk.after_sync'" "$OUT/last.err"
sed -i 's/"disk.after_sync"/"payment.after_sync"/' "$OUT/badsync.lua"
sim run "$OUT/badsync.lua" --out "$OUT/badsync"
check "a sync point without OUTBOX_SYNC_POINTS=1 is refused, not left to never fire (exit 2)" test $? -eq 2
check "... in one line saying what it needs" \
  grep -q "badsync.lua:2: crash: failpoint 'payment.after_sync' is a sync point, passed only with OUTBOX_SIM_DISK=simulated OUTBOX_SYNC_POINTS=1" "$OUT/last.err"

# Instances (topology{}): a failpoint is passed by every instance running its code, and a
# crash's hit counts the named instance's own passes, so each (failpoint, instance) gets
# its variants, `crash { node = "accounting-2", ... }`; every one of them acts.
ACC=$OUT/acc.lua
sed 's/^}$/}\ntopology { accounting = 2 }/; s/three payments"/three payments, two accounting instances"/' "$TINY" >"$ACC"
sim explore "$ACC" -j 2 --design dedupe-per-instance --out "$OUT/acc"
base=$OUT/acc/runs/acc/1/trace.jsonl
own=$(awk '/"ev":"heal"/{exit} /"ev":"failpoint","node":"accounting-2","name":"accounting.after_apply"/{n++} END{print n+0}' "$base")
check "instances: accounting-2 passed accounting.after_apply in the baseline ($own)" test "$own" -gt 0
check "... the failpoint line gives each instance's hits" \
  grep -q "^  failpoints.* accounting.after_apply [0-9]* (accounting [0-9]*, accounting-2 $own)" "$OUT/last.out"
hits=$(awk '/"ev":"heal"/{exit} /"ev":"failpoint"/{n++} END{print n+0}' "$base")
check "... still one crash variant per failpoint hit ($hits)" grep -q "variants   $hits crash," "$OUT/last.out"
check "... every variant acted (none never reached)" sh -c "! grep -q 'never reached: variant' '$OUT/last.out'"
row=$(grep -m1 "crash of accounting-2 at accounting.after_apply, hit $own " "$OUT/last.out")
check "dedupe-per-instance: a crash of accounting-2 after its apply breaks exactly_once" \
  grep -q "^  exactly_once .* crash of accounting-2 at accounting.after_apply, hit $own " <<<"$row"
vfile=$(grep -o '/[^ ]*variants/[0-9]*-crash.lua' <<<"$row")
check "... its variant file names the instance" \
  grep -q "^crash { node = \"accounting-2\", at_failpoint = \"accounting.after_apply\", hit = $own" "$vfile"
check "... a drop on accounting-2's link is a variant too" \
  grep -q "drop accounting-2->broker DACK #1 " "$OUT/last.out"
check "... and every variant loaded (no 'no frame travels broker->accounting-2')" \
  sh -c "! grep -q 'did not run' '$OUT/last.out'"

# A relay runs the scan's row code and passes payment.scan_after_publish: its crash
# variants crash the relay (the payment process runs no scan when relays do).
REL=$OUT/relay.lua
cat >"$REL" <<'EOF'
scenario {
  name     = "two relays republish what the first second lost",
  knobs    = { relay_rtt = 0.1 },
  workload = { payments = 4, rate = 4 },
  run      = 10,
  settle   = 30,
}
topology { relays = 2 }
drop { link = "payment->broker", queue = "PAY_QUEUE", label = "PUBLISH", p = 1, stop = 1 }
EOF
sim explore "$REL" -j 2 --out "$OUT/relay"
check "relays: explore of design outbox exits 0" test $? -eq 0
check "... scan_after_publish is reached, by the relays" \
  grep -Eq "^  failpoints.* payment.scan_after_publish [1-9][0-9]* \(relay-[12] [0-9]*" "$OUT/last.out"
check "... and every relay crash variant acted" sh -c "! grep -q 'never reached: variant' '$OUT/last.out'"

# Bad input: one line, exit 2, nothing touched.
mkdir -p "$OUT/mine" && touch "$OUT/mine/keep"
sim explore "$TINY" --out "$OUT/mine"
check "an --out directory that is not an exploration is refused (exit 2)" test $? -eq 2
check "... and left alone" test -e "$OUT/mine/keep" -a ! -e "$OUT/mine/variants"
sim explore "$TINY" --depth 3
check "--depth 3 is refused (exit 2)" test $? -eq 2
sim explore "$OUT/missing.lua"
check "a missing scenario is refused (exit 2)" test $? -eq 2

# SIGINT in the middle.
timeout -k 5 120 "$SIM" explore "$TINY" -j 2 --depth 2 --out "$OUT/int" >"$OUT/int.out" 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -n "$(ls "$OUT/int/variants" 2>/dev/null)" ] && break; sleep 0.02; done
kill -INT "$pid" 2>/dev/null
wait "$pid"
rc=$?
check "SIGINT stops explore with exit 3 (got $rc)" test $rc -eq 3
check "... removes the unfinished exploration" test ! -e "$OUT/int"
check "... and leaves no process, shm file or temp dir" leftovers "$OUT"
