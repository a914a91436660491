#!/usr/bin/env bash
# outbox-ctl on a finished run's database: ages are measured against the database's
# own last write, not the wall clock (a run's times are virtual, in 2023), and the
# output says which reference it used; --now chooses one; a live database (recent
# writes) keeps the wall clock and the output it always had.
source "$(dirname "$0")/lib.bash"
CTL=${OUTBOX_BIN:-bin}/outbox-ctl

# outbox-no-recovery on pay-queue-loss leaves rows SENDING at the end of the run.
sim run scenarios/pay-queue-loss.lua --seed 1 --design outbox-no-recovery --out "$OUT/r" --quiet
db=$(find "$OUT/r" -name payment.db | head -n1)
check "the run left a payment database" test -f "$db"
check "... with SENDING rows" test "$(sqlite3 "$db" "SELECT count(*) FROM outbox WHERE status='SENDING'")" -gt 0

"$CTL" --db "$db" stats >"$OUT/stats" 2>&1
rc=$?
check "stats on a run's database: exit 0" test $rc -eq 0
age=$(sed -n 's/^oldest SENDING  \([0-9.]*\) \([a-z]*\) .*/\1 \2/p' "$OUT/stats")
check "the oldest SENDING age is seconds of the run, not days of the wall clock ($age)" \
  grep -Eq '^oldest SENDING  [0-9.]+ (ms|s|min) \(row ' "$OUT/stats"
check "it says what the age is measured at: the database's last write" \
  grep -q '^ages as of      2023-.*Z, the database.s last write: the wall clock is .* d later$' "$OUT/stats"
check "... and how to measure against the wall clock instead" grep -q -- '--now wall' "$OUT/stats"

"$CTL" --db "$db" stats --now wall >"$OUT/wall" 2>&1
check "--now wall: the wall clock (days), as asked" grep -Eq '^oldest SENDING  [0-9.]+ d \(row ' "$OUT/wall"
check "--now wall: no 'ages as of' line" sh -c "! grep -q '^ages as of' '$OUT/wall'"
"$CTL" --db "$db" --now 2030-01-01T00:00:00Z stats >"$OUT/given" 2>&1
check "--now TIME: measured at that time" grep -q '^ages as of      2030-01-01T00:00:00.000Z (--now)$' "$OUT/given"
id=$(sqlite3 "$db" "SELECT min(id) FROM outbox WHERE status='SENDING'")
"$CTL" --db "$db" show "$id" >"$OUT/show" 2>&1
check "show: the next attempt is due since seconds, not days" grep -Eq '^  next .*\(due since [0-9.]+ (ms|s|min)\)$' "$OUT/show"
check "show: says what it measured against" grep -q '^  as of     2023-.*, the database.s last write' "$OUT/show"

"$CTL" --db "$db" stats --now yesterday >"$OUT/bad" 2>&1
rc=$?
check "--now yesterday: exit 2, one line" test "$rc:$(wc -l <"$OUT/bad")" = 2:1
"$CTL" --db "$db" list --now last >"$OUT/bad" 2>&1
rc=$?
check "--now on list (no ages): exit 2" test $rc -eq 2

# A database being written now (its times moved to the present) keeps the wall clock:
# the output is what it always was.
cp "$db" "$OUT/live.db"
now=$(($(date +%s) * 1000))
shift_ms=$((now - $(sqlite3 "$OUT/live.db" "SELECT max(updated_at) FROM outbox")))
sqlite3 "$OUT/live.db" "UPDATE outbox SET created_at = created_at + $shift_ms, updated_at = updated_at + $shift_ms;
  UPDATE payment SET created_at = created_at + $shift_ms"
"$CTL" --db "$OUT/live.db" stats >"$OUT/live" 2>&1
check "a live database: ages against the wall clock, in seconds" grep -Eq '^oldest SENDING  [0-9.]+ (ms|s|min) \(row ' "$OUT/live"
check "a live database: no 'ages as of' line" sh -c "! grep -q '^ages as of' '$OUT/live'"
check "a live database: --now last says so" sh -c "'$CTL' --db '$OUT/live.db' stats --now last | grep -q '^ages as of .*last write (--now last)$'"
