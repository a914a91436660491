#!/usr/bin/env python3
"""payment.py: the payment service (design outbox) in Python, for bin/outbox-sim.

The same service as lib/payment.c and lib/scan.c: the payment row and its outbox row
commit together; the message is published only after COMMIT; a recovery scan every
scan_interval republishes due SENDING rows (attempt n+1, then next_attempt_at pushed out
by the retry schedule) and dead-letters a row out of attempts together with its alert;
the answers from accounting move a row out of SENDING or DEAD once (CONSUMED, or FAILED
with its refund in the same transaction) and are acked only after that.  The tables are
lib/schema.h's, so the checker, the probe and bin/outbox-ctl read them as they are.
Run: bin/outbox-sim run SCENARIO --node payment=json:py/payment.py (py/README.md).
"""
import sys

sys.dont_write_bytecode = True   # no py/__pycache__ left in the checkout
import oxnode  # noqa: E402

DDL = [
    "CREATE TABLE IF NOT EXISTS payment(id INTEGER PRIMARY KEY, account INTEGER NOT NULL,"
    " amount INTEGER NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT",
    "CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " payment_id INTEGER NOT NULL UNIQUE, status TEXT NOT NULL, attempts INTEGER NOT NULL,"
    " next_attempt_at INTEGER NOT NULL, payload BLOB NOT NULL, created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL) STRICT",
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox(next_attempt_at) WHERE status = 'SENDING'",
    "CREATE TABLE IF NOT EXISTS refund(payment_id INTEGER PRIMARY KEY, amount INTEGER NOT NULL,"
    " reason TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT",
    "CREATE TABLE IF NOT EXISTS alert(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " outbox_id INTEGER NOT NULL, payment_id INTEGER NOT NULL, kind TEXT NOT NULL,"
    " message TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT",
    "CREATE TABLE IF NOT EXISTS outbox_cleaned(payment_id INTEGER PRIMARY KEY,"
    " outbox_id INTEGER NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,"
    " settled_at INTEGER NOT NULL) STRICT",
    "CREATE TRIGGER IF NOT EXISTS outbox_tombstone AFTER DELETE ON outbox BEGIN"
    " INSERT OR REPLACE INTO outbox_cleaned VALUES"
    " (OLD.payment_id, OLD.id, OLD.status, OLD.attempts, OLD.updated_at); END",
]
ARCHIVE = ("CREATE TABLE IF NOT EXISTS outbox_archive(id INTEGER PRIMARY KEY,"
           " payment_id INTEGER NOT NULL UNIQUE, status TEXT NOT NULL,"
           " attempts INTEGER NOT NULL, payload BLOB NOT NULL, created_at INTEGER NOT NULL,"
           " updated_at INTEGER NOT NULL) STRICT")
SCAN_TIMER = 1


class Payment:
    name = "payment.db"
    # Failpoints of this implementation beyond the project's list, declared at START so
    # that a scenario's failpoints { } may crash there (none: py/ has the project's own).
    OWN_FAILPOINTS = ()

    def configure(self, o):
        self.o, self.cfg, self.db = o, o["cfg"], None
        self.prng = oxnode.Prng(oxnode.prng_derive(self.cfg["seed"], 1))

    def close(self):
        if self.db is not None:
            self.db.close()

    def has_scan(self):
        return self.cfg["relays"] == 0   # with relays, they scan (lib/relay.h)

    def start(self, node, now):
        self.db = oxnode.open_db(self.o["db"], "payment", self.cfg, DDL)
        if self.cfg["completion"] == "archive":
            self.db.execute(ARCHIVE)
        n = self.db.execute("SELECT count(*) FROM outbox WHERE status='SENDING'").fetchone()[0]
        node.note("recover", 0, "%d outbox rows SENDING (design %s)" % (n, self.o["design"]))
        if self.has_scan():
            node.timer(SCAN_TIMER, self.cfg["scan_interval"])

    # ---- pay ----
    def pay(self, node, now, pay_id, account, amount):
        if amount <= 0:
            return node.reply(pay_id, False, "refused: pay %d: amount must be > 0, got %d"
                              % (pay_id, amount))
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            if db.execute("SELECT 1 FROM payment WHERE id=?", (pay_id,)).fetchone():
                db.execute("ROLLBACK")
                node.note("duplicate", pay_id, "payment %d already recorded: no change" % pay_id)
                return node.reply(pay_id, True, "committed")
            db.execute("INSERT INTO payment(id, account, amount, status, created_at)"
                       " VALUES(?, ?, ?, 'PAID', ?)", (pay_id, account, amount, now))
            due = now + oxnode.retry_interval(self.cfg, self.prng, 1)
            msg_id = db.execute(
                "INSERT INTO outbox(payment_id, status, attempts, next_attempt_at, payload,"
                " created_at, updated_at) VALUES(?, 'SENDING', 1, ?, x'', ?, ?)",
                (pay_id, due, now, now)).lastrowid
            m = {"kind": "PAYMENT", "msg_id": msg_id, "pay_id": pay_id, "account": account,
                 "amount": amount, "attempt": 1, "reason": ""}
            payload = oxnode.encode_frame({"type": "PUBLISH", "queue": "PAY_QUEUE", "msg": m})
            db.execute("UPDATE outbox SET payload=? WHERE id=?", (payload, msg_id))
            if node.inject("payment.rollback"):
                db.execute("ROLLBACK")
                node.note("rollback", pay_id, "payment %d: business error before COMMIT"
                          " (injected): rolled back" % pay_id)
                return node.reply(pay_id, False, "refused: pay %d: business error before"
                                  " COMMIT, rolled back" % pay_id)
            db.execute("COMMIT")
        except oxnode.DB_ERRORS as e:
            oxnode.rollback(db)
            return node.reply(pay_id, False, "error: %s: %s" % (self.name, oxnode.said(e)))
        node.note("commit", pay_id, "payment %d: %d cents from account %d, outbox row %d"
                  % (pay_id, amount, account, msg_id))
        node.failpoint("payment.after_commit")
        self.publish(node, m)
        node.failpoint("payment.after_publish")
        if not node.barrier():   # the OK is something that leaves too (lib/service.c)
            return node.reply(pay_id, False, "error: %s" % node.barrier_error)
        node.reply(pay_id, True, "committed")

    def publish(self, node, m):
        node.send({"type": "PUBLISH", "queue": "PAY_QUEUE", "msg": m})
        node.note("publish", m["pay_id"], "msg %d attempt %d to PAY_QUEUE"
                  % (m["msg_id"], m["attempt"]))

    # ---- answers on ACC_QUEUE ----
    def frame(self, node, now, who, f):
        m = f.get("msg") or {"pay_id": 0}
        if f["type"] != "DELIVER":
            return node.note("reject", 0, "frame from %s: payment does not accept %s"
                             % (who, f["type"]))
        if f["queue"] != "ACC_QUEUE":
            return node.note("reject", m["pay_id"], "frame from %s: DELIVER from queue '%s'"
                             " (payment subscribes to ACC_QUEUE)" % (who, f["queue"]))
        if m["kind"] not in ("CONSUMED", "CONSUME_FAILED"):
            return node.note("reject", m["pay_id"], "frame from %s: %s on ACC_QUEUE is not an"
                             " answer" % (who, m["kind"]))
        if m["kind"] == "CONSUMED":
            self.consumed(node, now, m)
        else:
            self.consume_failed(node, now, m)
        node.failpoint("payment.after_consumed")
        node.send({"type": "DACK", "queue": "ACC_QUEUE", "delivery": f["delivery"]})

    def complete(self, msg_id):
        """knob completion: in the finishing transaction, archive and/or delete the row
        (the trigger outbox_tombstone keeps how it ended)."""
        mode = self.cfg["completion"]
        if mode == "archive":
            self.db.execute(
                "INSERT INTO outbox_archive(id, payment_id, status, attempts, payload,"
                " created_at, updated_at) SELECT id, payment_id, status, attempts, payload,"
                " created_at, updated_at FROM outbox WHERE id=? AND status IN"
                " ('CONSUMED', 'FAILED')", (msg_id,))
        if mode != "mark":
            self.db.execute("DELETE FROM outbox WHERE id=? AND status IN ('CONSUMED', 'FAILED')",
                            (msg_id,))

    def note_completion(self, node, m, status):
        mode = self.cfg["completion"]
        if mode != "mark":
            node.note("complete", m["pay_id"], "msg %d %s: %s" % (
                m["msg_id"], "deleted" if mode == "delete" else "archived", status))

    def finish(self, m, now, status):
        """Moves the row to status if it is SENDING or DEAD: 1 if this call did."""
        return self.db.execute(
            "UPDATE outbox SET status=?, updated_at=? WHERE id=? AND payment_id=?"
            " AND status IN ('SENDING', 'DEAD')", (status, now, m["msg_id"], m["pay_id"])).rowcount

    def consumed(self, node, now, m):
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        changed = self.finish(m, now, "CONSUMED")
        if changed:
            self.complete(m["msg_id"])
        db.execute("COMMIT")
        if not changed:
            return node.note("duplicate", m["pay_id"], "CONSUMED for msg %d: no SENDING or DEAD"
                             " row, no change" % m["msg_id"])
        node.note("consumed", m["pay_id"], "msg %d marked CONSUMED" % m["msg_id"])
        self.note_completion(node, m, "CONSUMED")

    def consume_failed(self, node, now, m):
        db, pay = self.db, m["pay_id"]
        db.execute("BEGIN IMMEDIATE")
        done = self.finish(m, now, "FAILED")
        refunded = 0
        if done:
            refunded = db.execute("UPDATE payment SET status='REFUNDED' WHERE id=?"
                                  " AND status='PAID'", (pay,)).rowcount
            if refunded:
                db.execute("INSERT INTO refund(payment_id, amount, reason, created_at)"
                           " SELECT id, amount, ?, ? FROM payment WHERE id=?"
                           " ON CONFLICT DO NOTHING", (m["reason"], now, pay))
            self.complete(m["msg_id"])
        db.execute("COMMIT")
        if not done:
            return node.note("duplicate", pay, "CONSUME_FAILED for msg %d: nothing left to fail,"
                             " no change" % m["msg_id"])
        node.note("failed", pay, "msg %d marked FAILED: %s" % (m["msg_id"], m["reason"]))
        if refunded:
            node.note("refund", pay, "payment %d refunded: %s" % (pay, m["reason"]))
        self.note_completion(node, m, "FAILED")

    # ---- the recovery scan ----
    def timer(self, node, now, tid):
        if tid != SCAN_TIMER:
            return node.note("error", 0, "payment: no timer %d" % tid)
        if not self.has_scan():
            return
        try:
            self.scan(node, now)
        finally:   # on every path, so an error does not stop recovery
            node.timer(SCAN_TIMER, self.cfg["scan_interval"])

    def scan(self, node, now):
        rows = self.db.execute(
            "SELECT id, payment_id, attempts, payload FROM outbox WHERE status='SENDING'"
            " AND next_attempt_at<=? ORDER BY next_attempt_at, id LIMIT ?",
            (now, self.cfg["scan_batch"])).fetchall()
        if rows:
            node.note("scan", 0, "%d due" % len(rows))
        for rid, pay, attempts, payload in rows:
            f, _ = oxnode.decode_frame(bytes(payload or b""))
            ok = (f is not None and f["type"] == "PUBLISH" and f["queue"] == "PAY_QUEUE"
                  and f["msg"]["kind"] == "PAYMENT" and f["msg"]["msg_id"] == rid
                  and f["msg"]["pay_id"] == pay)
            if not ok or attempts >= self.cfg["max_attempts"]:
                self.dead_letter(node, now, rid, pay, attempts, ok)
            else:
                self.republish(node, now, rid, attempts, f["msg"])
        self.cleanup(node, now)

    def republish(self, node, now, rid, attempts, m):
        attempt = 1 if attempts < 0 else attempts + 1
        m["attempt"] = attempt
        self.publish(node, m)
        node.failpoint("payment.scan_after_publish")
        due = now + oxnode.retry_interval(self.cfg, self.prng, attempt)
        self.db.execute("UPDATE outbox SET attempts=attempts+1, next_attempt_at=?, updated_at=?"
                        " WHERE id=? AND status='SENDING'", (due, now, rid))

    def dead_letter(self, node, now, rid, pay, attempts, ok):
        """DEAD and its alert in one transaction: a DEAD row never lacks its alert."""
        if ok:
            text = "payment %d dead after %d attempts (outbox row %d)" % (pay, attempts, rid)
        else:
            text = "payment %d: outbox row %d has an undecodable payload" % (pay, rid)
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        changed = db.execute("UPDATE outbox SET status='DEAD', updated_at=? WHERE id=?"
                             " AND status='SENDING'", (now, rid)).rowcount
        if changed:
            db.execute("INSERT INTO alert(outbox_id, payment_id, kind, message, created_at)"
                       " VALUES(?, ?, 'DEAD_LETTER', ?, ?)", (rid, pay, text, now))
            if node.inject("payment.rollback"):
                db.execute("ROLLBACK")
                return node.note("rollback", pay, "msg %d: business error before COMMIT of DEAD"
                                 " and its alert (injected): rolled back" % rid)
        db.execute("COMMIT")
        if changed:
            node.note("dead", pay, "msg %d DEAD after %d attempts" % (rid, attempts))
            node.note("alert", pay, "DEAD_LETTER: " + text)

    def cleanup(self, node, now):
        """knob cleanup_after: settled rows unchanged that long go, a batch per scan."""
        if self.cfg["cleanup_after"] <= 0:
            return
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        gone = db.execute(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status IN"
            " ('CONSUMED', 'FAILED') AND updated_at<? ORDER BY id LIMIT ?)"
            " RETURNING id, payment_id, status, updated_at",
            (now - self.cfg["cleanup_after"], self.cfg["scan_batch"])).fetchall()
        db.execute("COMMIT")
        for rid, pay, status, updated in sorted(gone):
            node.note("cleanup", pay, "msg %d deleted: %s, updated %d ms ago"
                      % (rid, status, now - updated))


if __name__ == "__main__":
    oxnode.serve(Payment(), "payment", sys.argv)
