/*
** reached.c: the reached states and the pass that counts them (see reached.h).
**
** The trace is flat JSON written by us alone (sim/core/trace.h), so a field is found by
** its key: `"key":` cannot occur inside a string value, where every quote is escaped.
** Values are compared raw (not unescaped): every value compared here is a plain word.
*/
#include "reached.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const reached_info TABLE[REACHED_COUNT] = {
    { "client_retry", "the client asked for a payment again, unanswered (a pay line, try > 1)" },
    { "payment_resubmitted",
      "a payment already recorded was asked again: OK, nothing written (payment note "
      "duplicate)" },
    { "answer_unknown",
      "the payment service died before answering the client (a reply line, result unknown)" },
    { "payment_rolled_back",
      "a payment's transaction rolled back after its writes; the client told FAILED (payment "
      "note rollback)" },
    { "republished", "the recovery scan published a row again (payment or relay note publish, "
                     "attempt > 1)" },
    { "row_dead",
      "an outbox row ran out of attempts and went DEAD (payment or relay note dead)" },
    { "dead_letter_rolled_back",
      "a dead letter's transaction rolled back after its writes (payment or relay note "
      "rollback of a msg)" },
    { "late_answer_to_dead",
      "an answer reached a row that had gone DEAD (payment note consumed or failed after "
      "dead)" },
    { "refund", "a refused payment was refunded (payment note refund)" },
    { "answer_duplicate",
      "an answer for a row already final changed nothing (payment note duplicate of an "
      "answer)" },
    { "restart_finds_sending",
      "the payment service started and found rows SENDING (payment note recover, > 0 rows)" },
    { "rows_cleaned", "the scan deleted settled outbox rows (payment or relay note cleanup)" },
    { "duplicate_absorbed",
      "the inbox absorbed a message it had already applied or refused (accounting note "
      "duplicate)" },
    { "refused", "accounting refused a payment (accounting note refuse)" },
    { "apply_rolled_back",
      "accounting's transaction rolled back after its writes, nothing acked (accounting "
      "note rollback)" },
    { "redelivered",
      "the broker delivered a message again after the visibility timeout (broker note "
      "redeliver)" },
    { "stale_ack", "the broker got a DACK of a delivery not in flight (broker note stale_ack)" },
    { "broker_lost_inside",
      "the broker lost a PUBLISH it had accepted (an injected line at broker.lose)" },
    { "broker_restored",
      "the broker restarted and restored messages from its file (broker note recover, > 0)" },
    { "frame_rejected", "a service rejected a frame that did not decode (a note reject)" },
    { "frame_dropped", "the network dropped a frame (a send line, fate dropped)" },
    { "partition_cut", "a partition cut a frame (a send line, fate partitioned)" },
    { "frame_duplicated", "the network delivered a frame more than once (a send line, copies)" },
    { "crash_in_tx",
      "a service was killed with its transaction open (a crash at payment.before_commit)" },
    { "operator_requeue", "the operator requeued dead letters (an operator line, ctl requeue)" },
    { "power_cut_lost",
      "a power cut took back writes no sync had made durable (a power_cut line, writes_lost "
      "> 0)" },
    { "disk_error", "a disk call failed as a disk fault decided (a disk_fault line)" },
    { "paused", "a process was stopped and resumed later (a pause line)" },
    { "inbox_purged",
      "accounting forgot inbox rows older than inbox_retention (accounting note purge)" },
    { "row_completed",
      "a finished outbox row was deleted or archived by its answer (payment note complete)" },
};

enum {
    R_CLIENT_RETRY, R_RESUBMITTED, R_ANSWER_UNKNOWN, R_PAY_ROLLBACK, R_REPUBLISHED, R_DEAD,
    R_DEAD_ROLLBACK, R_LATE_DEAD, R_REFUND, R_ANSWER_DUP, R_RESTART_SENDING, R_CLEANED,
    R_DUP_ABSORBED, R_REFUSED, R_APPLY_ROLLBACK, R_REDELIVERED, R_STALE_ACK, R_LOST_INSIDE,
    R_RESTORED, R_REJECTED, R_DROPPED, R_CUT, R_DUPLICATED, R_CRASH_IN_TX, R_REQUEUE, R_POWER_LOST,
    R_DISK_ERROR, R_PAUSED, R_PURGED, R_COMPLETED, R_END
};
_Static_assert(R_END == REACHED_COUNT, "one enum entry per state of the table");

const reached_info *reached_at(int i) {
    assert(i >= 0);
    assert(i < REACHED_COUNT);
    assert(TABLE[i].name != NULL);
    return &TABLE[i];
}

int reached_index(const char *name) {
    if (!name) return -1;
    for (int i = 0; i < REACHED_COUNT; i++)
        if (strcmp(TABLE[i].name, name) == 0) return i;
    return -1;
}

void reached_names(const char *out[REACHED_COUNT + 1]) {
    for (int i = 0; i < REACHED_COUNT; i++) out[i] = TABLE[i].name;
    out[REACHED_COUNT] = NULL;
}

/* ---- reading a line ---- */

typedef struct {
    const char *s;
    size_t len;
} span;

/* The raw value of top-level field key in line[len]: a string without its quotes, or a
** number's text; {NULL, 0} if absent. */
static span value(const char *line, size_t len, const char *key) {
    char pat[32];
    int n = snprintf(pat, sizeof pat, "\"%s\":", key);
    assert(n > 0 && (size_t)n < sizeof pat);
    const char *end = line + len;
    for (const char *p = line; p + n <= end; p++) {
        p = memchr(p, '"', (size_t)(end - p));
        if (!p || p + n > end) break;
        if (memcmp(p, pat, (size_t)n) != 0) continue;
        const char *v = p + n, *e = v;
        if (v < end && *v == '"') {
            for (e = ++v; e < end && *e != '"'; e++)
                if (*e == '\\' && e + 1 < end) e++;
        } else {
            while (e < end && *e != ',' && *e != '}') e++;
        }
        return (span){ v, (size_t)(e - v) };
    }
    return (span){ NULL, 0 };
}

static int is(span v, const char *word) {
    size_t n = strlen(word);
    return v.s && v.len == n && memcmp(v.s, word, n) == 0;
}

static int starts(span v, const char *prefix) {
    size_t n = strlen(prefix);
    return v.s && v.len >= n && memcmp(v.s, prefix, n) == 0;
}

/* The number after `after` in v (0 if none): "attempt 3", "incarnation 2: 5 messages". */
static unsigned long long number_after(span v, const char *after) {
    char buf[128];
    size_t n = v.len < sizeof buf - 1 ? v.len : sizeof buf - 1;
    if (!v.s) return 0;
    memcpy(buf, v.s, n);
    buf[n] = '\0';
    const char *p = after[0] ? strstr(buf, after) : buf;
    return p ? strtoull(p + strlen(after), NULL, 10) : 0;
}

static void hit(reached_counts *out, int k, uint32_t lineno) {
    assert(k >= 0 && k < REACHED_COUNT);
    if (out->count[k]++ == 0) out->first[k] = lineno;
}

static int dead_bit(const uint8_t *dead, uint32_t npay, uint64_t pay) {
    return pay >= 1 && pay <= npay && (dead[pay >> 3] >> (pay & 7) & 1);
}

static void set_dead(uint8_t *dead, uint32_t npay, uint64_t pay, int on) {
    if (pay < 1 || pay > npay) return;
    if (on) dead[pay >> 3] |= (uint8_t)(1u << (pay & 7));
    else dead[pay >> 3] &= (uint8_t)~(1u << (pay & 7));
}

static void payment_note(const char *s, size_t len, span kind, uint32_t lineno, uint8_t *dead,
                         uint32_t npay, reached_counts *out) {
    span detail = value(s, len, "detail");
    uint64_t pay = strtoull(value(s, len, "pay").s ? value(s, len, "pay").s : "0", NULL, 10);
    if (is(kind, "duplicate"))
        hit(out, starts(detail, "payment ") ? R_RESUBMITTED : R_ANSWER_DUP, lineno);
    else if (is(kind, "rollback"))
        hit(out, starts(detail, "payment ") ? R_PAY_ROLLBACK : R_DEAD_ROLLBACK, lineno);
    else if (is(kind, "publish")) {
        if (number_after(detail, "attempt ") > 1) hit(out, R_REPUBLISHED, lineno);
        set_dead(dead, npay, pay, 0);   /* published again: no longer DEAD (a requeue) */
    } else if (is(kind, "dead")) {
        hit(out, R_DEAD, lineno);
        set_dead(dead, npay, pay, 1);
    } else if (is(kind, "consumed") || is(kind, "failed")) {
        if (dead_bit(dead, npay, pay)) hit(out, R_LATE_DEAD, lineno);
        set_dead(dead, npay, pay, 0);
    } else if (is(kind, "refund")) hit(out, R_REFUND, lineno);
    else if (is(kind, "recover") && number_after(detail, "") > 0)
        hit(out, R_RESTART_SENDING, lineno);
    else if (is(kind, "cleanup")) hit(out, R_CLEANED, lineno);
    else if (is(kind, "complete")) hit(out, R_COMPLETED, lineno);
}

static void note(const char *s, size_t len, uint32_t lineno, uint8_t *dead, uint32_t npay,
                 reached_counts *out) {
    span node = value(s, len, "node"), kind = value(s, len, "kind");
    if (is(kind, "reject")) { hit(out, R_REJECTED, lineno); return; }
    if (is(node, "payment")) payment_note(s, len, kind, lineno, dead, npay, out);
    else if (starts(node, "relay-")) {   /* a relay runs the scan's own row code (lib/relay.h) */
        if (is(kind, "publish") || is(kind, "dead") || is(kind, "rollback") ||
            is(kind, "cleanup"))
            payment_note(s, len, kind, lineno, dead, npay, out);
    }
    else if (is(node, "accounting") || starts(node, "accounting-")) {   /* any instance */
        if (is(kind, "duplicate")) hit(out, R_DUP_ABSORBED, lineno);
        else if (is(kind, "refuse")) hit(out, R_REFUSED, lineno);
        else if (is(kind, "rollback")) hit(out, R_APPLY_ROLLBACK, lineno);
        else if (is(kind, "purge")) hit(out, R_PURGED, lineno);
    } else if (is(node, "broker")) {
        if (is(kind, "redeliver")) hit(out, R_REDELIVERED, lineno);
        else if (is(kind, "stale_ack")) hit(out, R_STALE_ACK, lineno);
        else if (is(kind, "recover") && number_after(value(s, len, "detail"), ": ") > 0)
            hit(out, R_RESTORED, lineno);
    }
}

void reached_line(const char *s, size_t len, uint32_t lineno, uint8_t *dead, uint32_t npay,
                  reached_counts *out) {
    assert(s != NULL);
    span ev = value(s, len, "ev");
    if (is(ev, "note")) note(s, len, lineno, dead, npay, out);
    else if (is(ev, "send")) {
        span fate = value(s, len, "fate");
        if (is(fate, "dropped")) hit(out, R_DROPPED, lineno);
        else if (is(fate, "partitioned")) hit(out, R_CUT, lineno);
        if (value(s, len, "copies").s) hit(out, R_DUPLICATED, lineno);
    } else if (is(ev, "pay")) {
        if (number_after(value(s, len, "try"), "") > 1) hit(out, R_CLIENT_RETRY, lineno);
    } else if (is(ev, "reply")) {
        if (is(value(s, len, "result"), "unknown")) hit(out, R_ANSWER_UNKNOWN, lineno);
    } else if (is(ev, "injected")) {
        if (is(value(s, len, "site"), "broker.lose")) hit(out, R_LOST_INSIDE, lineno);
    } else if (is(ev, "crash")) {
        if (is(value(s, len, "at"), "payment.before_commit")) hit(out, R_CRASH_IN_TX, lineno);
    } else if (is(ev, "operator")) {
        if (starts(value(s, len, "ctl"), "requeue")) hit(out, R_REQUEUE, lineno);
    } else if (is(ev, "power_cut")) {
        if (number_after(value(s, len, "writes_lost"), "") > 0) hit(out, R_POWER_LOST, lineno);
    } else if (is(ev, "disk_fault")) {
        hit(out, R_DISK_ERROR, lineno);
    } else if (is(ev, "pause")) {
        hit(out, R_PAUSED, lineno);
    }
}

int reached_scan(const char *path, uint32_t npay, reached_counts *out, char *err, size_t cap) {
    assert(path && out && cap > 0);
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(err, cap, "%s: %s", path, strerror(errno)); return -1; }
    uint8_t *dead = calloc((size_t)npay / 8 + 1, 1);
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    uint32_t lineno = 0;
    if (!dead) { fclose(f); snprintf(err, cap, "%s: out of memory", path); return -1; }
    while ((n = getline(&line, &lcap, f)) > 0) reached_line(line, (size_t)n, ++lineno, dead, npay,
                                                            out);
    int bad = ferror(f);
    free(line);
    free(dead);
    fclose(f);
    if (bad) { snprintf(err, cap, "%s: read error", path); return -1; }
    return 0;
}
