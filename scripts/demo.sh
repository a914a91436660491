#!/usr/bin/env bash
# scripts/demo.sh: `make demo`.  Runs the showcase scenario, in which messages are lost
# and duplicated and both services crash at their worst moments, and shows that the
# local message table still brings payment and accounting to agreement.
set -u
cd "$(dirname "$0")/.." || exit 3
seed=${SEED:-1}
cat <<'TXT'
outbox-lab demo: the seed's local message table under fire.

  payment    writes the payment and an outbox row in ONE SQLite transaction,
             publishes to the broker, and republishes from a recovery scan until
             accounting confirms;
  accounting applies each message once (inbox + voucher in ONE transaction) and
             answers "consumed";
  simulator  runs the three as real processes in lockstep, on virtual time, and
             loses frames, duplicates them and SIGKILLs the services.

TXT
echo "--- scenarios/showcase.lua ---"
grep -vE '^[[:space:]]*(--|$)' scenarios/showcase.lua | sed 's/^/  /'
echo
bin/outbox-sim run scenarios/showcase.lua --seed "$seed"
rc=$?
echo
if [ $rc -eq 0 ]; then
  echo "Open reports/runs/showcase/$seed/report.html in a browser for the sequence chart and plots,"
  echo "or the databases yourself, for example:"
  echo "  sqlite3 reports/runs/showcase/$seed/payment.db \"SELECT status, count(*) FROM outbox GROUP BY status\""
  echo "  bin/outbox-ctl --db reports/runs/showcase/$seed/payment.db stats"
  echo "Then see a weak design fail the same scenario (exit code 1):"
  echo "  bin/outbox-sim run scenarios/showcase.lua --seed $seed --design outbox-no-recovery"
fi
exit $rc
