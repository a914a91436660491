#!/usr/bin/env python3
"""accounting.py: the accounting service (design outbox) in Python, for bin/outbox-sim.

The same service as lib/accounting.c: a delivered PAYMENT is deduplicated and applied
in one transaction (the inbox row by message id, and a voucher if the rules accept it),
COMMIT, then the answer (CONSUMED or CONSUME_FAILED) is published and the delivery
acked.  A crash before the ack gets a redelivery, which the inbox turns into a
duplicate answered again.  Knob inbox_retention: a purge every scan_interval forgets
inbox rows received longer ago.  The tables are lib/schema.h's.
Run: bin/outbox-sim run SCENARIO --node accounting=json:py/accounting.py (py/README.md).
"""
import sys

sys.dont_write_bytecode = True   # no py/__pycache__ left in the checkout
import oxnode  # noqa: E402

DDL = [
    "CREATE TABLE IF NOT EXISTS inbox(msg_id INTEGER PRIMARY KEY, payment_id INTEGER NOT NULL,"
    " outcome TEXT NOT NULL, reason TEXT NOT NULL, received_at INTEGER NOT NULL) STRICT",
    "CREATE TABLE IF NOT EXISTS voucher(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " payment_id INTEGER NOT NULL, msg_id INTEGER NOT NULL, account INTEGER NOT NULL,"
    " amount INTEGER NOT NULL, created_at INTEGER NOT NULL) STRICT",
]
PURGE_TIMER = 3


class Accounting:
    name = "accounting.db"
    # Failpoints of this implementation beyond the project's list, declared at START so
    # that a scenario's failpoints { } may crash there (none: py/ has the project's own).
    OWN_FAILPOINTS = ()

    def configure(self, o):
        self.o, self.cfg, self.db = o, o["cfg"], None

    def close(self):
        if self.db is not None:
            self.db.close()

    def start(self, node, now):
        self.db = oxnode.open_db(self.o["db"], "accounting", self.cfg, DDL)
        rows, vouchers = self.db.execute(
            "SELECT (SELECT count(*) FROM inbox), (SELECT count(*) FROM voucher)").fetchone()
        node.note("recover", 0, "%d inbox rows, %d vouchers" % (rows, vouchers))
        if self.cfg["inbox_retention"] > 0:
            node.timer(PURGE_TIMER, self.cfg["scan_interval"])

    def judge(self, m):
        """The business rules, from the message and the knobs alone: the refusal's reason,
        or "" to apply it."""
        if m["account"] in self.cfg["frozen"]:
            return "account %d is frozen" % m["account"]
        if m["amount"] <= 0:
            return "amount %d is not positive" % m["amount"]
        if m["amount"] > self.cfg["max_amount"]:
            return "amount %d over the limit %d" % (m["amount"], self.cfg["max_amount"])
        return ""

    def frame(self, node, now, who, f):
        m = f.get("msg") or {"pay_id": 0}
        if f["type"] != "DELIVER":
            return node.note("reject", 0, "frame from %s: accounting does not accept %s"
                             % (who, f["type"]))
        if f["queue"] != "PAY_QUEUE":
            return node.note("reject", m["pay_id"], "frame from %s: DELIVER from queue '%s'"
                             " (accounting subscribes to PAY_QUEUE)" % (who, f["queue"]))
        if m["kind"] != "PAYMENT":
            return node.note("reject", m["pay_id"], "frame from %s: %s on PAY_QUEUE is not a"
                             " payment" % (who, m["kind"]))
        db, pay, mid = self.db, m["pay_id"], m["msg_id"]
        db.execute("BEGIN IMMEDIATE")
        seen = db.execute("SELECT outcome, reason FROM inbox WHERE msg_id=?", (mid,)).fetchone()
        if seen:
            db.execute("ROLLBACK")
            applied, reason = seen[0] == "APPLIED", seen[1]
            node.note("duplicate", pay, "msg %d already %s: answering again"
                      % (mid, "APPLIED" if applied else "REFUSED"))
        else:
            reason = self.judge(m)
            applied = reason == ""
            db.execute("INSERT INTO inbox(msg_id, payment_id, outcome, reason, received_at)"
                       " VALUES(?, ?, ?, ?, ?)",
                       (mid, pay, "APPLIED" if applied else "REFUSED", reason, now))
            if applied:
                db.execute("INSERT INTO voucher(payment_id, msg_id, account, amount, created_at)"
                           " VALUES(?, ?, ?, ?, ?)", (pay, mid, m["account"], m["amount"], now))
            if node.inject("accounting.rollback"):
                db.execute("ROLLBACK")   # nothing answered or acked: the broker redelivers
                return node.note("rollback", pay, "msg %d: business error before COMMIT"
                                 " (injected): rolled back, not acked" % mid)
            db.execute("COMMIT")
            if applied:
                node.note("apply", pay, "msg %d: voucher of %d cents for account %d"
                          % (mid, m["amount"], m["account"]))
            else:
                node.note("refuse", pay, "msg %d refused: %s" % (mid, reason))
        node.failpoint("accounting.after_apply")
        ans = dict(m, kind="CONSUMED" if applied else "CONSUME_FAILED",
                   reason="" if applied else reason)
        node.send({"type": "PUBLISH", "queue": "ACC_QUEUE", "msg": ans})
        node.note("publish", pay, "%s for msg %d to ACC_QUEUE" % (ans["kind"], mid))
        node.send({"type": "DACK", "queue": "PAY_QUEUE", "delivery": f["delivery"]})
        node.failpoint("accounting.after_ack")

    def timer(self, node, now, tid):
        if tid != PURGE_TIMER:
            return node.note("error", 0, "accounting: no timer %d" % tid)
        keep = self.cfg["inbox_retention"]
        if keep <= 0:
            return
        try:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            n = db.execute("DELETE FROM inbox WHERE msg_id IN (SELECT msg_id FROM inbox"
                           " WHERE received_at < ? ORDER BY msg_id LIMIT ?)",
                           (now - keep, self.cfg["scan_batch"])).rowcount
            db.execute("COMMIT")
            if n > 0:
                node.note("purge", 0, "%d inbox rows received over %d ms ago forgotten"
                          % (n, keep))
        finally:
            node.timer(PURGE_TIMER, self.cfg["scan_interval"])


if __name__ == "__main__":
    oxnode.serve(Accounting(), "accounting", sys.argv)
