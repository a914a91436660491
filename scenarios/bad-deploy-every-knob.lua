-- bad-deploy-every-knob.lua: every knob, one bad release each.  bad-deploy.lua tells the
-- story of a bad deploy; this is its catalogue, the regression run for a config parser.
-- A configuration management change walks through the services' knobs and gets each
-- wrong once, the way people do: a unit written after a number ("2s"), a value past its
-- range, a misspelt choice, junk after a number, a negative where only a count fits, a
-- trailing comma, a list split by ";", a blank in a name, an empty name, a name that
-- opens with a dot, a zero where only a positive time fits, a number past 2^64 - 1 (whose
-- digits a parser in another base would take), a timestamp pasted where a duration
-- goes, a role prefix on a knob that takes none or on an unknown role, a pair with no
-- "=", an empty key.  Each release stops one service and starts the
-- new version with that one knob added, sent to a service that reads it; the service
-- must refuse it before it opens its database (exit 2, one line naming the knob:
-- misconfig{}, knobs_applied), and half a second later the rollback starts it as it was.
-- A parser that takes any of them runs a service on a configuration nobody chose: "2s"
-- read as 2 ms, "exactly-once" read as the first choice, "1,,2" as an account 0.  The
-- outbox, stopped 43 times, converges; a relay runs the scan, so that its own knobs
-- (lease, owner) reach a service that reads them.
scenario {
  name     = "every knob gets one bad release; each is refused and rolled back",
  workload = { payments = 150, rate = 5 },
  run      = 30,
  settle   = 60,
}

topology { relays = 1 }

-- { node, knob }: each knob sent to a service that reads it (lib/config.h's table), so a
-- parser that took it would run with it; a malformed pair or no knob at all, to anyone.
local bad = {
  { "payment", "retry=exponental" }, { "payment", "retry_base=2s" },
  { "payment", "retry_max=-60" }, { "payment", "jitter=1.5" }, { "payment", "jitter=0.5x" },
  { "payment", "max_attempts=0" }, { "payment", "max_attempts=8 " },
  { "payment", "scan_interval=0" }, { "payment", "scan_batch=10001" },
  { "broker", "delivery=exactly-once" }, { "broker", "durable=2" },
  { "broker", "visibility=5min" }, { "broker", "prefetch=0" },
  { "accounting", "synchronous=FULL" }, { "broker", "journal_mode=truncate" },
  { "payment", "durable_send=yes" }, { "accounting", "max_amount=0" },
  { "accounting", "frozen=1,,2" },
  { "accounting", "frozen=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17" },
  { "payment", "cleanup_after=-1" }, { "payment", "seed=-1" }, { "payment", "seed=0x" },
  { "accounting", "inbox_retention=1e10" }, { "payment", "completion=archived" },
  { "payment", "relays=9" }, { "relay-1", "lease=0" }, { "relay-1", "lease_skew=3601" },
  { "relay-1", "relay_rtt=0" }, { "relay-1", "owner=relay 1" },
  { "broker", "accounting_instances=17" }, { "broker", "broker.prefetch=5" },
  { "accounting", "acounting.synchronous=full" }, { "payment", "payment.synchronous=fast" },
  { "broker", "max_attempts" }, { "accounting", "=5" },
  { "broker", "visibility=1500000000" }, { "accounting", "durable_send=2" },
  { "relay-1", "owner=" }, { "accounting", "frozen=7;8" },
  { "payment", "retry_base=0" }, { "accounting", "frozen=1,2," },
  { "relay-1", "owner=.relay-1" }, { "payment", "seed=20000000000000000000" },
}
for i, b in ipairs(bad) do
  misconfig { node = b[1], at = 0.65 * i, knob = b[2], restart_after = 0.5 }
end

expect {
  all_invariants = true,
  faults_act     = true,
  reached        = { "republished", "restart_finds_sending", "client_retry" },
}
