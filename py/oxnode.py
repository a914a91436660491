"""oxnode.py: what the Python payment and accounting services share.

The node protocol's text encoding (docs/protocol.md): one JSON object per line on
stdin and stdout, the step loop, failpoints and injection sites, the knobs
(lib/config.h), the seeded PRNG (lib/prng.c, so retry jitter draws what the C node
draws), the retry schedule (lib/retry.c), lib/wire.h's frame layout (the outbox
payload is a real PUBLISH frame, so bin/outbox-ctl reads it) and the opening of a
database with its identity (lib/store.c).  Standard library only; nothing here reads
the real time or draws from anything but the seed.
"""
import base64
import json
import math
import re
import signal
import sqlite3
import struct
import sys

APP_ID = 0x4F58424C
SCHEMA = {"payment": 101, "accounting": 201}
M64 = (1 << 64) - 1
# What a failed SQLite call raises: its errors, and MemoryError for SQLITE_NOMEM (an
# allocation the simulated memory failed, docs/protocol.md "The simulated disk").
DB_ERRORS = (sqlite3.Error, MemoryError)


def said(e):
    """What a failed call's error says: a MemoryError says nothing, SQLite says this."""
    return str(e) or ("out of memory" if isinstance(e, MemoryError) else type(e).__name__)


KINDS = {1: "PAYMENT", 2: "CONSUMED", 3: "CONSUME_FAILED"}
KIND_CODE = {v: k for k, v in KINDS.items()}
TYPES = {1: "PUBLISH", 2: "DELIVER", 3: "DACK"}
TYPE_CODE = {v: k for k, v in TYPES.items()}


def log(text):
    sys.stderr.write("outbox-py: %s\n" % text)
    sys.stderr.flush()


# ---- the PRNG: xoshiro256** seeded through splitmix64 (lib/prng.c) ----

def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


def prng_derive(seed, stream):
    x = (seed ^ (stream * 0xD1B54A32D192ED03)) & M64
    x, _ = splitmix64(x)
    _, z = splitmix64(x)
    return z


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Prng:
    def __init__(self, seed):
        self.s = []
        x = seed & M64
        for _ in range(4):
            x, z = splitmix64(x)
            self.s.append(z)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def unit(self):
        return float(self.next() >> 11) * (1.0 / 9007199254740992.0)


def llround(x):
    """C's llround: halves away from zero (Python's round() goes to even)."""
    t = math.trunc(x)
    if abs(x - t) >= 0.5:
        t += 1 if x > 0 else -1
    return int(t)


# ---- knobs (lib/config.h): the ones payment and accounting read ----

# Numbers as lib/config.c reads them: the whole string, no blanks, no "_" (Python's
# int() and float() take " 5", "5_000" and "inf"; a knob must not).
INT_RE = re.compile(r"-?[0-9]+\Z")
FLOAT_RE = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\Z")


def strict_int(v):
    if not INT_RE.match(v):
        raise ValueError(v)
    return int(v, 10)


def strict_float(v):
    if not FLOAT_RE.match(v):
        raise ValueError(v)
    return float(v)


def seconds_ms(v, allow_zero):
    d = strict_float(v)
    ms = llround(d * 1000.0)
    if not math.isfinite(d) or d > 1e9 or d < 0 or ms < 0 or (ms == 0 and not (allow_zero and d == 0)):
        raise ValueError(v)
    return ms


def int_in(lo, hi):
    def parse(v):
        x = strict_int(v)
        if x < lo or x > hi:
            raise ValueError(v)
        return x
    return parse


def one_of(*names):
    def parse(v):
        if v not in names:
            raise ValueError(v)
        return v
    return parse


def frozen_list(v):
    out = [strict_int(a) for a in v.split(",")] if v else []
    if len(out) > 16 or any(a < 0 or a > 0xFFFFFFFF for a in out):
        raise ValueError(v)
    return out


KNOBS = {
    "retry": ("linear", one_of("linear", "exponential")),
    "retry_base": (2000, lambda v: seconds_ms(v, False)),
    "retry_max": (60000, lambda v: seconds_ms(v, False)),
    "jitter": (0.0, strict_float),
    "max_attempts": (8, int_in(1, 1000)),
    "scan_interval": (1000, lambda v: seconds_ms(v, False)),
    "scan_batch": (100, int_in(1, 10000)),
    "synchronous": ("normal", one_of("off", "normal", "full", "extra")),
    "journal_mode": ("wal", one_of("wal", "delete")),
    "durable_send": (0, int_in(0, 1)),
    "max_amount": (100000000, int_in(1, (1 << 63) - 1)),
    "frozen": ([], frozen_list),
    "cleanup_after": (0, lambda v: seconds_ms(v, True)),
    "seed": (0, int_in(0, M64)),
    "inbox_retention": (0, lambda v: seconds_ms(v, True)),
    "completion": ("mark", one_of("mark", "delete", "archive")),
    "relays": (0, int_in(0, 8)),
}
PER_ROLE = ("synchronous", "journal_mode", "durable_send")
# Every knob of lib/config.h's table: one this node does not read is taken and ignored
# (docs/protocol.md), a key that is none of them is refused.
ALL_KNOBS = set(KNOBS) | {"design", "delivery", "durable", "visibility", "prefetch",
                          "lease", "lease_skew", "relay_rtt", "owner", "accounting_instances"}
ROLES = ("payment", "broker", "accounting", "relay")


def parse_args(argv, role_wanted):
    """The command line of docs/protocol.md "Start and restart": a dict of options."""
    o = {"role": None, "db": None, "design": "outbox", "name": None, "stdio": False}
    cfg = {k: d for k, (d, _) in KNOBS.items()}
    prefixed = {}
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--sim-stdio":
            o["stdio"] = True
            i += 1
            continue
        if i + 1 >= len(argv):
            usage("%s: missing its value" % a)
        v = argv[i + 1]
        i += 2
        if a in ("--role", "--db", "--design", "--name"):
            o[a[2:]] = v
        elif a == "--seed":
            cfg["seed"] = int_in(0, M64)(v)
        elif a == "--knob":
            key, eq, val = v.partition("=")
            if not eq or not key:
                usage("--knob: expected key=value, got '%s'" % v)
            name = key   # as given: the error line names it so
            role, dot, base = key.rpartition(".")
            if dot and (base not in PER_ROLE or role not in ROLES):
                usage("--knob: %s: only synchronous, journal_mode and durable_send take a "
                      "role prefix (payment., broker., accounting.)" % key)
            if dot:
                key = base
            if key not in ALL_KNOBS:
                usage("--knob: unknown knob '%s'" % key)
            if key not in KNOBS:
                continue   # a knob this implementation does not read (docs/protocol.md)
            try:
                value = KNOBS[key][1](val)
            except ValueError:
                usage("--knob: %s: bad value '%s'" % (name, val))
            if dot:
                if role == o["role"] or role == role_wanted:
                    prefixed[key] = value
            else:
                cfg[key] = value
        elif a == "--sim":
            usage("--sim %s: this node speaks only the text encoding (--sim-stdio)" % v)
        else:
            usage("unknown flag '%s'" % a)
    if o["role"] != role_wanted or not o["db"] or not o["stdio"]:
        usage("expected --role %s --db FILE ... --sim-stdio" % role_wanted)
    if not 0.0 <= cfg["jitter"] <= 1.0:
        usage("--knob: jitter: expected a fraction 0..1")
    cfg.update(prefixed)   # "payment.synchronous=full" wins whatever the order
    o["cfg"] = cfg
    return o


def usage(text):
    log(text)
    sys.exit(2)


def seconds(ms):
    """Milliseconds as the knobs spell seconds: "2", "0.02", "1.5" (lib/config.c put_ms)."""
    whole, frac = divmod(ms, 1000)
    return "%d" % whole if frac == 0 else ("%d.%03d" % (whole, frac)).rstrip("0")


def config_text(role, design, cfg):
    """The `config` note (docs/protocol.md): the words lib/config.c ox_config_format
    writes for this role, in its order: the design, the knobs the role reads, the three
    every database reads."""
    scan, acc = role == "payment", role == "accounting"
    w = [("design", design)]
    if scan:
        w += [("retry", cfg["retry"]), ("retry_base", seconds(cfg["retry_base"])),
              ("retry_max", seconds(cfg["retry_max"])), ("jitter", "%g" % cfg["jitter"]),
              ("max_attempts", "%d" % cfg["max_attempts"])]
    w += [("scan_interval", seconds(cfg["scan_interval"])),
          ("scan_batch", "%d" % cfg["scan_batch"]), ("synchronous", cfg["synchronous"]),
          ("journal_mode", cfg["journal_mode"]), ("durable_send", "%d" % cfg["durable_send"])]
    if acc:
        w += [("max_amount", "%d" % cfg["max_amount"]),
              ("frozen", ",".join("%d" % a for a in cfg["frozen"]))]
    if scan:
        w += [("cleanup_after", seconds(cfg["cleanup_after"])), ("seed", "%d" % cfg["seed"])]
    if acc:
        w += [("inbox_retention", seconds(cfg["inbox_retention"]))]
    if scan:
        w += [("completion", cfg["completion"]), ("relays", "%d" % cfg["relays"])]
    return " ".join("%s=%s" % kv for kv in w)


def retry_interval(cfg, prng, n):
    """lib/retry.c: attempt n's wait in ms, jitter drawn from the service's stream."""
    base, cap = cfg["retry_base"], cfg["retry_max"]
    factor = n if cfg["retry"] == "linear" else (1 << (n - 1) if n - 1 < 62 else None)
    if factor is None or (factor > 0 and base > cap // factor):
        v = cap
    else:
        v = min(base * factor, cap)
    if cfg["jitter"] > 0.0:
        spread = (2.0 * prng.unit() - 1.0) * cfg["jitter"]
        v += llround(float(v) * spread)
    return max(v, 0)


# ---- frames (lib/wire.h) ----

def encode_frame(f):
    body = bytearray()
    q = f["queue"].encode()
    body += struct.pack("<B", len(q)) + q
    if f["type"] != "PUBLISH":
        body += struct.pack("<Q", f["delivery"])
    if f["type"] == "DELIVER":
        body += struct.pack("<I", f["redeliveries"])
    if f["type"] != "DACK":
        m = f["msg"]
        r = m["reason"].encode()
        body += struct.pack("<BQQIqI", KIND_CODE[m["kind"]], m["msg_id"], m["pay_id"],
                            m["account"], m["amount"], m["attempt"])
        body += struct.pack("<B", len(r)) + r
    return b"OX" + struct.pack("<BBI", 1, TYPE_CODE[f["type"]], len(body)) + bytes(body)


def decode_frame(buf):
    """(frame, None) or (None, why): lib/wire.c's checks and words."""
    n = len(buf)
    if n > 512:
        return None, "oversized frame"
    if n < 8:
        return None, "truncated header"
    if buf[:2] != b"OX":
        return None, "bad magic"
    if buf[2] != 1:
        return None, "bad version"
    if buf[3] not in TYPES:
        return None, "unknown frame type"
    blen = struct.unpack_from("<I", buf, 4)[0]
    if blen > 504:
        return None, "oversized frame"
    if blen > n - 8:
        return None, "truncated body"
    body, pos = buf[8:8 + blen], 0
    f = {"type": TYPES[buf[3]]}

    def str8(cap):
        nonlocal pos
        if pos >= len(body) or pos + 1 + body[pos] > len(body):
            raise IndexError
        s = body[pos + 1:pos + 1 + body[pos]]
        pos += 1 + len(s)
        if len(s) > cap or b"\0" in s:
            raise ValueError("bad string")
        return s.decode("utf-8", "replace")
    try:
        f["queue"] = str8(32)
        if f["type"] != "PUBLISH":
            f["delivery"] = struct.unpack_from("<Q", body, pos)[0]
            pos += 8
        if f["type"] == "DELIVER":
            f["redeliveries"] = struct.unpack_from("<I", body, pos)[0]
            pos += 4
        if f["type"] != "DACK":
            if len(body) - pos < 33:
                raise IndexError
            k, mid, pid, acc, amt, att = struct.unpack_from("<BQQIqI", body, pos)
            pos += 33
            if k not in KINDS:
                return None, "unknown message kind"
            f["msg"] = {"kind": KINDS[k], "msg_id": mid, "pay_id": pid, "account": acc,
                        "amount": amt, "attempt": att, "reason": str8(64)}
    except (IndexError, struct.error):
        return None, "truncated frame"
    except ValueError as e:
        return None, str(e)
    if pos != len(body) or 8 + blen != n:
        return None, "trailing bytes"
    return f, None


def label(f):
    return f["type"] if f["type"] == "DACK" else f["type"] + " " + f["msg"]["kind"]


# ---- the database (lib/store.c: identity first, then WAL and the tables) ----

class Foreign(Exception):
    pass


def open_db(path, role, cfg, ddl):
    """A connection in autocommit mode (transactions are explicit), or Foreign."""
    db = sqlite3.connect(path, isolation_level=None, timeout=5.0)
    name = path.rsplit("/", 1)[-1]
    try:
        app = db.execute("PRAGMA application_id").fetchone()[0]
        uv = db.execute("PRAGMA user_version").fetchone()[0]
        nobj = db.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
    except (sqlite3.OperationalError, MemoryError):   # the disk failed: not the file's fault
        db.close()
        raise
    except sqlite3.DatabaseError as e:
        db.close()
        raise Foreign("%s: not an outbox-lab %s database (%s)" % (name, role, e))
    fresh = app == 0 and uv == 0 and nobj == 0
    if not fresh and (app, uv) != (APP_ID, SCHEMA[role]):
        db.close()
        raise Foreign("%s: not an outbox-lab %s database (application_id 0x%x, user_version %d)"
                      % (name, role, app & 0xFFFFFFFF, uv))
    mode = db.execute("PRAGMA journal_mode=%s" % cfg["journal_mode"].upper()).fetchone()[0]
    if mode != cfg["journal_mode"]:
        raise Foreign("%s: cannot switch to journal_mode %s" % (name, cfg["journal_mode"]))
    sync = cfg["synchronous"]
    if cfg["durable_send"] and not by_barrier(cfg):   # config.h: nothing leaves before its
        sync = "extra" if cfg["journal_mode"] == "delete" else "full"   # commit is durable
    db.execute("PRAGMA synchronous=%s" % sync.upper())
    if fresh:
        db.execute("BEGIN IMMEDIATE")
        for stmt in ddl:
            db.execute(stmt)
        db.execute("PRAGMA application_id=%d" % APP_ID)
        db.execute("PRAGMA user_version=%d" % SCHEMA[role])
        db.execute("COMMIT")
    return db


def rollback(db):
    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except DB_ERRORS:
        pass   # SQLite rolled back by itself, or the next statement says why


def by_barrier(cfg):
    """durable_send under WAL and synchronous=normal: commits stay cheap, and a barrier
    before anything leaves makes them durable (lib/store.c, ox_store_barrier).  Otherwise
    durable_send syncs every commit instead (synchronous raised in open_db)."""
    return cfg["durable_send"] and cfg["journal_mode"] == "wal" and cfg["synchronous"] == "normal"


# ---- the step loop ----

class Node:
    """One process life: reads STEP lines, calls the service, writes REPLY lines."""

    def __init__(self, service, role):
        self.svc = service
        self.role = role
        self.fx = []
        self.step = None
        self.passes = []
        self.synced = -1         # the connection's total_changes at the last barrier
        self.barrier_error = ""

    # ---- what a service calls ----
    def note(self, kind, pay, detail):
        e = {"type": "NOTE", "kind": kind, "pay": pay, "detail": detail}
        self.fx.append(e)

    def barrier(self):
        """True once the commits behind what is about to leave are durable (by_barrier).
        Python's sqlite3 cannot sync a file itself, as lib/store.c does through file
        control; a checkpoint syncs the WAL before it copies anything, then the database.
        It also empties the WAL, so the next commit starts it again and syncs its header:
        one sync per commit more than lib/'s barrier, which only syncs the WAL."""
        db = self.svc.db
        if not by_barrier(self.svc.cfg) or db is None or db.in_transaction:
            return True
        if db.total_changes == self.synced:
            return True
        try:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except DB_ERRORS as e:
            self.barrier_error = "%s: durability barrier: sync failed: %s" % (self.svc.name,
                                                                              said(e))
            return False
        self.synced = db.total_changes
        return True

    def send(self, frame):
        if not self.barrier():   # it does not leave at all: a retry or redelivery sends it
            m = frame.get("msg", {})
            self.note("error", m.get("pay_id", 0), "%s: %s not sent"
                      % (self.barrier_error, m.get("kind", "?")))
            return
        self.fx.append({"type": "SEND", "to": "broker", "frame": frame})

    def timer(self, tid, delay_ms):
        self.fx.append({"type": "TIMER", "id": tid, "delay_us": delay_ms * 1000})

    def reply(self, pay, ok, detail):
        self.fx.append({"type": "REPLY", "pay": pay, "ok": ok, "detail": detail[:255]})

    def failpoint(self, name):
        self.fx.append({"type": "FAILPOINT", "name": name})
        for i, a in enumerate(self.step.get("armed", [])):
            if a["action"] != "CRASH" or a["name"] != name:
                continue
            self.passes[i] += 1
            if self.passes[i] > a["skip"]:
                self.write("CRASH")
                # The simulator SIGKILLs us here, the database as a crash leaves it.  If it
                # is gone instead, its end of stdin closes: then nobody is left to wait for.
                sys.stdin.read()
                sys.exit(3)

    def inject(self, site):
        for i, a in enumerate(self.step.get("armed", [])):
            if a["action"] != "INJECT" or a["name"] != site:
                continue
            self.passes[i] += 1
            if self.passes[i] == a["skip"] + 1:
                self.fx.append({"type": "INJECTED", "name": site})
                return True
        return False

    # ---- the loop ----
    def write(self, status):
        line = json.dumps({"v": 3, "sections": [{"seq": self.step["seq"], "status": status,
                                                 "effects": self.fx}]},
                          separators=(",", ":"))
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def fatal(self, why):
        log("fatal: " + why)
        self.fx.append({"type": "NOTE", "kind": "fatal", "pay": 0, "detail": why[:512]})
        self.write("FATAL")
        sys.exit(3)

    def run(self):
        while True:
            line = sys.stdin.readline()
            if not line:
                log("stdin closed")
                sys.exit(3)
            msg = json.loads(line)
            if msg.get("v") != 3 or not msg.get("steps"):
                log("malformed step line: %s" % line[:200])
                sys.exit(3)
            self.handle(msg["steps"][0])   # one section: always right (docs/protocol.md)

    def handle(self, step):
        self.step, self.fx = step, []
        self.passes = [0] * len(step.get("armed", []))
        now = step["clock_us"] // 1000
        kind = step["kind"]
        if kind == "START":
            for name in self.svc.OWN_FAILPOINTS:   # docs/protocol.md, "Failpoints ..."
                self.fx.append({"type": "DECLARE", "name": name})
            o = self.svc.o   # what it runs with, first (knobs_applied judges it)
            self.note("config", 0, config_text(self.role, o["design"], o["cfg"]))
            try:
                self.svc.start(self, now)
            except (Foreign,) + DB_ERRORS as e:
                self.fatal("cannot open %s" % said(e))
        elif kind == "STOP":   # closed first: the WAL is checkpointed before the reply
            self.svc.close()
            self.write("OK")
            sys.exit(0)
        elif kind == "PAY":
            self.svc.pay(self, now, step["pay"], step["account"], step["amount"])
        elif kind == "FRAME":
            self.frame(step, now)
        elif kind == "TIMER":
            self.guard(lambda: self.svc.timer(self, now, step["timer"]))
        else:
            self.fatal("unknown step kind %r" % kind)
        self.write("OK")

    def frame(self, step, now):
        f, who = step["frame"], step["from"]
        if "raw" in f:
            raw = base64.b64decode(f["raw"])
            f, why = decode_frame(raw)
            if f is None:
                self.note("reject", 0, "frame from %s: %s (%d bytes)" % (who, why, len(raw)))
                return
        self.guard(lambda: self.svc.frame(self, now, who, f))

    def guard(self, call):
        """A failed handler rolls back and says so: the trace shows it, the checker judges."""
        try:
            call()
        except DB_ERRORS as e:
            rollback(self.svc.db)
            self.note("error", 0, "%s: %s" % (self.svc.name, said(e)))


def serve(service, role, argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    o = parse_args(argv, role)
    service.configure(o)
    Node(service, role).run()
