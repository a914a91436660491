-- corrupt-frames.lua: frames that arrive damaged.  On every link some frames reach
-- their receiver with a header byte changed or cut short; the wire decoder must
-- reject each one (a "reject" note naming why) and change nothing, so a damaged
-- frame is just a lost one, and the outbox's retries and the broker's redelivery
-- bring every payment home.  (Damage is confined to the header and the length: the
-- wire format has no checksum of the body, so flipped body bits could pass as a
-- different valid frame; a real deployment relies on TCP's checksum for that.)
scenario {
  name     = "damaged frames on every link are rejected and retried",
  workload = { payments = 80, rate = 8 },
  run      = 20,
  settle   = 90,
}

corrupt { link = "payment->broker", p = 0.1 }
corrupt { link = "broker->accounting", p = 0.1 }
corrupt { link = "accounting->broker", p = 0.1 }
corrupt { link = "broker->payment", p = 0.1 }

expect { all_invariants = true, reached = { "frame_rejected", "republished" } }
