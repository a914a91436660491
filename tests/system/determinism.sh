#!/usr/bin/env bash
# The same scenario and seed give byte-identical traces; another seed another trace.
source "$(dirname "$0")/lib.bash"
sc=scenarios/showcase.lua
for run in a b; do sim run "$sc" --seed 7 --out "$OUT/$run" --quiet; done
sim run "$sc" --seed 8 --out "$OUT/c" --quiet
A=$OUT/a/showcase/7 B=$OUT/b/showcase/7 C=$OUT/c/showcase/8
check "trace exists and is not trivial" test "$(wc -l <"$A/trace.jsonl")" -gt 100
check "same seed: byte-identical trace.jsonl" cmp -s "$A/trace.jsonl" "$B/trace.jsonl"
h() { grep -o '"hash": "[^"]*"' "$1/summary.json"; }
check "same seed: same trace hash in summary.json" test "$(h "$A")" = "$(h "$B")"
check "another seed: a different trace" bash -c "! cmp -s '$A/trace.jsonl' '$C/trace.jsonl'"
for db in payment accounting; do
  check "same seed: same $db rows" test "$(sqlite3 "$A/$db.db" .dump | md5sum)" = "$(sqlite3 "$B/$db.db" .dump | md5sum)"
done

# Batching (several events of one node in one round trip, proto/step.h) changes nothing
# but speed: each scenario batched and stepped one event at a time gives the same trace
# byte for byte and the same databases, and the batched run really batched (relays-lease:
# six processes, four of them on one database).
for s in showcase duplicate-delivery slow-consumer crash-after-publish clock-skew knobs-tour lease-shorter-than-work \
         relays-lease consumers-crash; do
  OUTBOX_SIM_BATCH=1 sim run "scenarios/$s.lua" --seed 5 --out "$OUT/one" --quiet
  sim run "scenarios/$s.lua" --seed 5 --out "$OUT/batched" --quiet
  O=$OUT/one/$s/5 Bt=$OUT/batched/$s/5
  check "$s: batched and one event per step: byte-identical traces" cmp -s "$O/trace.jsonl" "$Bt/trace.jsonl"
  for db in payment accounting; do
    check "$s: batched and one event per step: same $db rows" \
      test "$(sqlite3 "$O/$db.db" .dump | md5sum)" = "$(sqlite3 "$Bt/$db.db" .dump | md5sum)"
  done
  rt() { grep -o '"round_trips": [0-9]*' "$1/summary.json" | grep -o '[0-9]*$'; }
  st() { grep -o '"steps": [0-9]*' "$1/summary.json" | grep -o '[0-9]*$'; }
  check "$s: one event per step: a round trip per step" test "$(rt "$O")" = "$(st "$O")"
  check "$s: batched: fewer round trips than steps" test "$(rt "$Bt")" -lt "$(st "$Bt")"
done

# Power loss (sim/core/power.h): a cut that keeps a seeded random subset of the unsynced
# writes, or tears them at sectors, gives the same trace and the same rows on a rerun,
# and the same batched as stepped one event at a time.
for s in power-accounting-normal power-broker-normal; do
  sim run "scenarios/$s.lua" --seed 4 --out "$OUT/pa" --quiet
  sim run "scenarios/$s.lua" --seed 4 --out "$OUT/pb" --quiet
  OUTBOX_SIM_BATCH=1 sim run "scenarios/$s.lua" --seed 4 --out "$OUT/p1" --quiet
  Pa=$OUT/pa/$s/4 Pb=$OUT/pb/$s/4 P1=$OUT/p1/$s/4
  check "$s: the power cut happened, keep $(grep -o '"keep":"[a-z]*"' "$Pa/trace.jsonl")" \
    grep -q '"ev":"power_cut"' "$Pa/trace.jsonl"
  check "$s: rerun: byte-identical trace.jsonl" cmp -s "$Pa/trace.jsonl" "$Pb/trace.jsonl"
  check "$s: batched and one event per step: byte-identical traces" \
    cmp -s "$Pa/trace.jsonl" "$P1/trace.jsonl"
  for db in payment broker accounting; do
    check "$s: rerun: same $db rows" \
      test "$(sqlite3 "$Pa/$db.db" .dump | md5sum)" = "$(sqlite3 "$Pb/$db.db" .dump | md5sum)"
  done
done

# The injected rollback (rollback { }, lib/io.h): its draws come from the seed alone,
# a node it arms is stepped one event at a time, and the rest batches as before.
for s in business-rollback dead-letter-alert-fails; do
  for run in a b; do sim run "scenarios/$s.lua" --seed 3 --out "$OUT/rb-$run" --quiet; done
  OUTBOX_SIM_BATCH=1 sim run "scenarios/$s.lua" --seed 3 --out "$OUT/rb-one" --quiet
  A=$OUT/rb-a/$s/3 B=$OUT/rb-b/$s/3 O=$OUT/rb-one/$s/3
  check "$s: rollbacks were injected" grep -q '"ev":"injected","node":"[a-z]*","site":"[a-z]*.rollback"' "$A/trace.jsonl"
  check "$s: same seed: byte-identical trace.jsonl" cmp -s "$A/trace.jsonl" "$B/trace.jsonl"
  check "$s: batched and one event per step: byte-identical traces" cmp -s "$A/trace.jsonl" "$O/trace.jsonl"
  for db in payment accounting; do
    check "$s: same seed: same $db rows" \
      test "$(sqlite3 "$A/$db.db" .dump | md5sum)" = "$(sqlite3 "$B/$db.db" .dump | md5sum)"
  done
done
# Disk errors, pauses and clock rates (sim/core/diskf.h) decide from the seed alone: a
# run with each, and a nemesis drawing all three, reruns byte for byte (trace, rows and
# the simulated disk's journal), batched or stepped one event at a time.
cat >"$OUT/diskf.lua" <<'LUA'
scenario { name = "disk faults, pauses, clock rates", workload = { payments = 60, rate = 10 },
           run = 8, settle = 30 }
disk { node = "payment", fault = "eio", on = "write", p = 0.3, start = 1, stop = 3 }
disk { node = "accounting", fault = "full", nth = 4, start = 2 }
pause { node = "broker", at = 4, duration = 1.5 }
nemesis { disk = 0.1, pause_every = 3, pause_max = 1, clock_rate = 0.05, start = 5, stop = 8 }
LUA
for s in "$OUT/diskf.lua" scenarios/disk-fsync-fail.lua scenarios/pause-past-visibility.lua \
         scenarios/disk-start-broker.lua; do
  n=$(basename "$s" .lua)
  sim run "$s" --seed 4 --out "$OUT/dk-a" --quiet
  sim run "$s" --seed 4 --out "$OUT/dk-b" --quiet
  OUTBOX_SIM_BATCH=1 sim run "$s" --seed 4 --out "$OUT/dk-c" --quiet
  A=$OUT/dk-a/$n/4 B=$OUT/dk-b/$n/4 C=$OUT/dk-c/$n/4
  check "$n: a rerun gives a byte-identical trace" cmp -s "$A/trace.jsonl" "$B/trace.jsonl"
  check "$n: one event per step gives a byte-identical trace" cmp -s "$A/trace.jsonl" "$C/trace.jsonl"
  for db in payment accounting; do
    check "$n: same $db rows on a rerun" \
      test "$(sqlite3 "$A/$db.db" .dump | md5sum)" = "$(sqlite3 "$B/$db.db" .dump | md5sum)"
  done
done
check "diskf: the faults acted (disk_fault and pause lines)" \
  bash -c "grep -q '\"ev\":\"disk_fault\"' '$OUT/dk-a/diskf/4/trace.jsonl' &&
           grep -q '\"ev\":\"pause\"' '$OUT/dk-a/diskf/4/trace.jsonl'"
check "diskf: the simulated disk's journal is the same on a rerun" \
  cmp -s "$OUT/dk-a/diskf/4/payment.disk/disk.journal" "$OUT/dk-b/diskf/4/payment.disk/disk.journal"
# The simulated disk with no fault changes nothing a run shows: bench/standard.lua under
# OUTBOX_SIM_DISK=simulated (what `make bench` times) gives the same trace byte for byte.
sim run bench/standard.lua --seed 1 --out "$OUT/vfs-off" --quiet
OUTBOX_SIM_DISK=simulated sim run bench/standard.lua --seed 1 --out "$OUT/vfs-on" --quiet
check "standard: on the simulated disk (its journal written) the same trace" \
  bash -c "test -s '$OUT/vfs-on/standard/1/payment.disk/disk.journal' &&
           cmp -s '$OUT/vfs-off/standard/1/trace.jsonl' '$OUT/vfs-on/standard/1/trace.jsonl'"

# Out of memory (disk{ fault = "nomem" }, node/memf.h: drawn at p, and at an nth of a START)
# and a database tampered with while its node is down (tamper{}, sim/core/tamper.h): a rerun
# and a run stepped one event at a time give the same trace and the same rows.
for n in memory-ordered-hold tamper-payment-identity; do
  sim run "scenarios/$n.lua" --seed 4 --out "$OUT/ep-a" --quiet
  sim run "scenarios/$n.lua" --seed 4 --out "$OUT/ep-b" --quiet
  OUTBOX_SIM_BATCH=1 sim run "scenarios/$n.lua" --seed 4 --out "$OUT/ep-c" --quiet
  A=$OUT/ep-a/$n/4 B=$OUT/ep-b/$n/4 C=$OUT/ep-c/$n/4
  check "$n: the fault acted (nomem calls, tamper lines)" \
    bash -c "grep -q '\"error\":\"nomem\"' '$A/trace.jsonl' &&
             { [ $n != tamper-payment-identity ] || grep -q '\"ev\":\"tamper\"' '$A/trace.jsonl'; }"
  check "$n: a rerun gives a byte-identical trace" cmp -s "$A/trace.jsonl" "$B/trace.jsonl"
  check "$n: one event per step gives a byte-identical trace" cmp -s "$A/trace.jsonl" "$C/trace.jsonl"
  for db in payment accounting; do
    check "$n: same $db rows on a rerun" \
      test "$(sqlite3 "$A/$db.db" .dump | md5sum)" = "$(sqlite3 "$B/$db.db" .dump | md5sum)"
  done
done
