/*
** stepjson.c: the text encoding of the node protocol, to and from the binary one
** (see stepjson.h).
**
** Reading goes through jansson (strict: duplicate keys, trailing bytes, NUL in strings
** and invalid UTF-8 are refused) and then through the binary decoders, so a line is
** held to every rule a binary message is held to, by the same code.  Writing builds a
** jansson object in the documented key order and dumps it compact.
*/
#include "stepjson.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "../lib/wire.h"

#define STEPJSON_VERSION 3   /* the protocol's version: step.c's STEP_VERSION */
#define WHERE_MAX 48         /* "sections[15].effects[4095]" */

static const char *const KINDS[] = { "START", "FRAME", "TIMER", "PAY", "STOP" };
static const char *const STATUSES[] = { "OK", "CRASH", "FATAL" };
static const char *const ACTIONS[] = { "CRASH", "INJECT" };
static const char *const EFFECTS[] = { "SEND", "TIMER", "REPLY", "NOTE", "FAILPOINT",
                                       "INJECTED", "PASSED", "DECLARE" };
static const char *const FTYPES[] = { "PUBLISH", "DELIVER", "DACK" };
static const char *const MKINDS[] = { "PAYMENT", "CONSUMED", "CONSUME_FAILED" };
#define NAMES(a) (sizeof(a) / sizeof(a)[0])

/* ---- errors ---------------------------------------------------------------------- */

typedef struct {
    char *err;
    size_t errlen;
} jctx;

/* One line "WHERE: what" into the caller's err; always -1, so callers return it. */
static int fail(jctx *c, const char *where, const char *fmt, ...) {
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s%s%s", where, where[0] ? ": " : "", what);
    return -1;
}

/* ---- base64 (RFC 4648, padded) ----------------------------------------------------- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(const uint8_t *in, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        out[o++] = i + 1 < n ? B64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? B64[v & 63] : '=';
    }
    out[o] = '\0';
    assert(o == (n + 2) / 3 * 4);
}

static int b64_value(char ch) {
    const char *p = ch ? strchr(B64, ch) : NULL;
    return p ? (int)(p - B64) : -1;
}

/* Strict: a multiple of 4 characters of the alphabet, '=' only as the last one or two. */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *len) {
    if (n % 4 != 0) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int pad = (s[i + 3] == '=') + (s[i + 3] == '=' && s[i + 2] == '=');
        if (pad && i + 4 != n) return -1;
        int v[4];
        for (int k = 0; k < 4; k++) v[k] = k >= 4 - pad ? 0 : b64_value(s[i + k]);
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0) return -1;
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
                     (uint32_t)v[3];
        if (o + 3 - (size_t)pad > cap) return -1;
        out[o++] = (uint8_t)(w >> 16);
        if (pad < 2) out[o++] = (uint8_t)(w >> 8);
        if (pad < 1) out[o++] = (uint8_t)w;
    }
    *len = o;
    return 0;
}

/* ---- writing --------------------------------------------------------------------- */

/* key = v, if v is exact in a double. */
static int put_int(jctx *c, json_t *o, const char *where, const char *key, int64_t v) {
    if (v <= -STEPJSON_INT_LIMIT || v >= STEPJSON_INT_LIMIT)
        return fail(c, where, "\"%s\" is %lld, not exact in JSON (|x| < 2^53)", key,
                    (long long)v);
    json_object_set_new(o, key, json_integer((json_int_t)v));
    return 0;
}

static int put_uint(jctx *c, json_t *o, const char *where, const char *key, uint64_t v) {
    if (v >= (uint64_t)STEPJSON_INT_LIMIT)
        return fail(c, where, "\"%s\" is %llu, not exact in JSON (< 2^53)", key,
                    (unsigned long long)v);
    return put_int(c, o, where, key, (int64_t)v);
}

static int put_str(jctx *c, json_t *o, const char *where, const char *key, const char *s) {
    json_t *j = json_string(s);
    if (j == NULL) return fail(c, where, "\"%s\" is not UTF-8 text", key);
    json_object_set_new(o, key, j);
    return 0;
}

/* The frame's fields by name, or NULL if its strings are not UTF-8. */
static json_t *frame_fields(const ox_frame *f) {
    json_t *o = json_pack("{s:s}", "type", ox_wire_type_name(f->type));
    json_t *q = json_string(f->queue);
    if (o == NULL || q == NULL) { json_decref(o); json_decref(q); return NULL; }
    json_object_set_new(o, "queue", q);
    if (f->type != OX_F_PUBLISH)
        json_object_set_new(o, "delivery", json_integer((json_int_t)f->delivery));
    if (f->type == OX_F_DELIVER)
        json_object_set_new(o, "redeliveries", json_integer(f->redeliveries));
    if (f->type == OX_F_DACK) return o;
    const ox_msg *m = &f->msg;
    json_t *r = json_string(m->reason);
    json_t *mj = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "kind", ox_wire_kind_name(m->kind),
                           "msg_id", (json_int_t)m->msg_id, "pay_id", (json_int_t)m->pay_id,
                           "account", (json_int_t)m->account, "amount", (json_int_t)m->amount,
                           "attempt", (json_int_t)m->attempt);
    if (r == NULL || mj == NULL) { json_decref(r); json_decref(mj); json_decref(o); return NULL; }
    json_object_set_new(mj, "reason", r);
    json_object_set_new(o, "msg", mj);
    return o;
}

/* A frame's bytes as its fields, or as {"raw": BASE64} when they are not a frame that
** encodes back to themselves, or hold a number not exact in JSON. */
static json_t *frame_to_json(const uint8_t *b, size_t n) {
    ox_frame f;
    json_t *o = NULL;
    if (ox_wire_decode(b, n, &f) == OX_WIRE_OK) {
        uint8_t again[OX_FRAME_MAX];
        ox_wire_err we;
        size_t m = ox_wire_encode(&f, again, sizeof again, &we);
        int exact = f.delivery < (uint64_t)STEPJSON_INT_LIMIT &&
                    f.msg.msg_id < (uint64_t)STEPJSON_INT_LIMIT &&
                    f.msg.pay_id < (uint64_t)STEPJSON_INT_LIMIT &&
                    f.msg.amount > -STEPJSON_INT_LIMIT && f.msg.amount < STEPJSON_INT_LIMIT;
        if (m == n && memcmp(again, b, n) == 0 && exact) o = frame_fields(&f);
    }
    if (o != NULL) return o;
    char text[(OX_BLOB_MAX + 2) / 3 * 4 + 1];
    assert(n <= OX_BLOB_MAX);
    b64_encode(b, n, text);
    return json_pack("{s:s}", "raw", text);
}

/* The compact text of root, then '\n', into out[cap]; at most `limit` bytes. */
static size_t dump_line(jctx *c, json_t *root, size_t limit, char *out, size_t cap) {
    assert(cap >= 2);
    size_t room = (cap - 2 < limit - 1 ? cap - 2 : limit - 1);
    size_t n = json_dumpb(root, out, room, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (n == 0 || n > room) {
        if (n == 0) fail(c, "", "cannot write the line (out of memory)");
        else fail(c, "", "a line of %zu bytes exceeds %zu", n + 1, limit);
        return 0;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    return n + 1;
}

/* ---- reading --------------------------------------------------------------------- */

/* 0 if every key of o is in keys[n]. */
static int only_keys(jctx *c, const json_t *o, const char *where, const char *const *keys,
                     size_t n) {
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        size_t i = 0;
        while (i < n && strcmp(keys[i], k) != 0) i++;
        if (i == n) return fail(c, where, "unknown key \"%s\"", k);
    }
    return 0;
}

static const json_t *need(jctx *c, const json_t *o, const char *where, const char *key) {
    const json_t *v = json_object_get(o, key);
    if (v == NULL) fail(c, where, "missing key \"%s\"", key);
    return v;
}

/* o[key], an integer in [lo, hi]; absent and `dflt` non-NULL: *dflt. */
static int get_int(jctx *c, const json_t *o, const char *where, const char *key, int64_t lo,
                   int64_t hi, const int64_t *dflt, int64_t *out) {
    const json_t *v = json_object_get(o, key);
    if (v == NULL && dflt != NULL) { *out = *dflt; return 0; }
    if (v == NULL) return fail(c, where, "missing key \"%s\"", key);
    if (!json_is_integer(v)) return fail(c, where, "\"%s\" is not an integer", key);
    json_int_t x = json_integer_value(v);
    if (lo < -STEPJSON_INT_LIMIT + 1) lo = -STEPJSON_INT_LIMIT + 1;
    if (hi > STEPJSON_INT_LIMIT - 1) hi = STEPJSON_INT_LIMIT - 1;
    if (x < lo || x > hi)
        return fail(c, where, "\"%s\" is %lld, outside %lld..%lld", key, (long long)x,
                    (long long)lo, (long long)hi);
    *out = (int64_t)x;
    return 0;
}

/* o[key], a string of at most max bytes, into out[max + 1]. */
static int get_str(jctx *c, const json_t *o, const char *where, const char *key, size_t max,
                   char *out) {
    const json_t *v = need(c, o, where, key);
    if (v == NULL) return -1;
    if (!json_is_string(v)) return fail(c, where, "\"%s\" is not a string", key);
    size_t n = json_string_length(v);
    if (n > max) return fail(c, where, "\"%s\" has %zu bytes, max %zu", key, n, max);
    memcpy(out, json_string_value(v), n);
    out[n] = '\0';
    return 0;
}

/* o[key], one of names[n] (a code from `base` up). */
static int get_name(jctx *c, const json_t *o, const char *where, const char *key,
                    const char *const *names, size_t n, int base, int *out) {
    const json_t *v = need(c, o, where, key);
    if (v == NULL) return -1;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    for (size_t i = 0; s != NULL && i < n; i++)
        if (strcmp(s, names[i]) == 0) { *out = base + (int)i; return 0; }
    char list[200] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 names[i]);
    if (s == NULL) return fail(c, where, "\"%s\" is not a string (%s)", key, list);
    return fail(c, where, "\"%s\": unknown value \"%.64s\" (%s)", key, s, list);
}

/* The parsed line, an object with exactly keys {"v", list}; NULL with err. */
static json_t *load_line(jctx *c, const char *line, size_t len, size_t limit, const char *list) {
    if (len + 1 > limit) {
        fail(c, "", "a line of %zu bytes exceeds %zu", len + 1, limit);
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) { fail(c, "", "not JSON: %s at column %d", je.text, je.column); return NULL; }
    const char *keys[] = { "v", list };
    int64_t v = 0;
    const json_t *arr = json_is_object(root) ? json_object_get(root, list) : NULL;
    if (!json_is_object(root)) fail(c, "", "not a JSON object");
    else if (only_keys(c, root, "", keys, 2) != 0) {}
    else if (get_int(c, root, "", "v", 0, 255, NULL, &v) != 0) {}
    else if (v != STEPJSON_VERSION)
        fail(c, "", "\"v\" is %lld: this is version %d", (long long)v, STEPJSON_VERSION);
    else if (arr == NULL) fail(c, "", "missing key \"%s\"", list);
    else if (!json_is_array(arr) || json_array_size(arr) < 1 ||
             json_array_size(arr) > OX_BATCH_MAX)
        fail(c, "", "\"%s\" is not an array of 1 to %d", list, OX_BATCH_MAX);
    else return root;
    json_decref(root);
    return NULL;
}

/* A frame's fields (or {"raw"}) as its bytes into out[OX_BLOB_MAX]. */
static int frame_from_json(jctx *c, const json_t *j, const char *where, uint8_t *out,
                           size_t *len) {
    static const char *const raw_keys[] = { "raw" };
    static const char *const keys[] = { "type", "queue", "delivery", "redeliveries", "msg" };
    static const char *const msg_keys[] = { "kind", "msg_id", "pay_id", "account", "amount",
                                            "attempt", "reason" };
    char at[2 * WHERE_MAX];
    snprintf(at, sizeof at, "%s.frame", where);
    if (!json_is_object(j)) return fail(c, at, "not an object");
    const json_t *raw = json_object_get(j, "raw");
    if (raw != NULL) {
        if (only_keys(c, j, at, raw_keys, 1) != 0) return -1;
        if (!json_is_string(raw) || b64_decode(json_string_value(raw), json_string_length(raw),
                                               out, OX_BLOB_MAX, len) != 0)
            return fail(c, at, "\"raw\" is not base64 of at most %d bytes", OX_BLOB_MAX);
        return 0;
    }
    ox_frame f;
    memset(&f, 0, sizeof f);
    int type = 0, kind = 0;
    int64_t dl = 0, rd = 0, zero = 0;
    if (get_name(c, j, at, "type", FTYPES, NAMES(FTYPES), OX_F_PUBLISH, &type) != 0) return -1;
    f.type = (uint8_t)type;
    size_t nkeys = f.type == OX_F_DELIVER ? 5 : 3;
    const char *const pub_keys[] = { "type", "queue", "msg" };
    if (only_keys(c, j, at, f.type == OX_F_PUBLISH ? pub_keys : keys, nkeys) != 0 ||
        get_str(c, j, at, "queue", OX_QUEUE_MAX, f.queue) != 0 ||
        get_int(c, j, at, "delivery", 0, INT64_MAX, f.type == OX_F_PUBLISH ? &zero : NULL,
                &dl) != 0 ||
        get_int(c, j, at, "redeliveries", 0, UINT32_MAX, f.type != OX_F_DELIVER ? &zero : NULL,
                &rd) != 0)
        return -1;
    f.delivery = (uint64_t)dl;
    f.redeliveries = (uint32_t)rd;
    if (f.type != OX_F_DACK) {
        const json_t *m = need(c, j, at, "msg");
        snprintf(at, sizeof at, "%s.frame.msg", where);
        int64_t id = 0, pay = 0, acc = 0, amt = 0, att = 0;
        if (m == NULL) return -1;
        if (!json_is_object(m)) return fail(c, at, "not an object");
        if (only_keys(c, m, at, msg_keys, NAMES(msg_keys)) != 0 ||
            get_name(c, m, at, "kind", MKINDS, NAMES(MKINDS), OX_M_PAYMENT, &kind) != 0 ||
            get_int(c, m, at, "msg_id", 0, INT64_MAX, NULL, &id) != 0 ||
            get_int(c, m, at, "pay_id", 0, INT64_MAX, NULL, &pay) != 0 ||
            get_int(c, m, at, "account", 0, UINT32_MAX, NULL, &acc) != 0 ||
            get_int(c, m, at, "amount", INT64_MIN, INT64_MAX, NULL, &amt) != 0 ||
            get_int(c, m, at, "attempt", 0, UINT32_MAX, NULL, &att) != 0 ||
            get_str(c, m, at, "reason", OX_REASON_MAX, f.msg.reason) != 0)
            return -1;
        f.msg.kind = (uint8_t)kind;
        f.msg.msg_id = (uint64_t)id;
        f.msg.pay_id = (uint64_t)pay;
        f.msg.account = (uint32_t)acc;
        f.msg.amount = amt;
        f.msg.attempt = (uint32_t)att;
    }
    ox_wire_err we = OX_WIRE_OK;
    *len = ox_wire_encode(&f, out, OX_FRAME_MAX, &we);
    if (*len == 0) return fail(c, at, "not a frame: %s", ox_wire_strerror(we));
    return 0;
}

/* ---- steps ----------------------------------------------------------------------- */

static int armed_to_json(jctx *c, const ox_step *s, json_t *o, const char *where) {
    if (s->narmed == 0) return 0;
    json_t *arr = json_array();
    json_object_set_new(o, "armed", arr);
    for (int i = 0; i < s->narmed; i++) {
        const ox_armed *a = &s->armed[i];
        json_t *e = json_object();
        json_array_append_new(arr, e);
        assert(a->action <= OX_ARM_INJECT);
        if (put_str(c, e, where, "name", a->name) != 0) return -1;
        json_object_set_new(e, "skip", json_integer(a->skip));
        json_object_set_new(e, "action", json_string(ACTIONS[a->action]));
    }
    return 0;
}

static int step_to_json(jctx *c, const ox_step *s, unsigned i, json_t *arr) {
    char where[WHERE_MAX];
    snprintf(where, sizeof where, "steps[%u]", i);
    assert(s->kind >= OX_STEP_START);
    assert(s->kind <= OX_STEP_STOP);
    json_t *o = json_object();
    json_array_append_new(arr, o);
    json_object_set_new(o, "seq", json_integer(s->seq));
    json_object_set_new(o, "kind", json_string(KINDS[s->kind - OX_STEP_START]));
    if (put_int(c, o, where, "vtime_us", s->vtime_us) != 0 ||
        put_int(c, o, where, "clock_us", s->clock_us) != 0 || armed_to_json(c, s, o, where) != 0)
        return -1;
    switch (s->kind) {
    case OX_STEP_FRAME:
        if (put_str(c, o, where, "from", s->from) != 0) return -1;
        json_object_set_new(o, "frame", frame_to_json(s->frame, s->frame_len));
        return 0;
    case OX_STEP_TIMER: json_object_set_new(o, "timer", json_integer(s->timer_id)); return 0;
    case OX_STEP_PAY:
        json_object_set_new(o, "account", json_integer(s->account));
        return put_uint(c, o, where, "pay", s->pay_id) != 0 ||
                       put_int(c, o, where, "amount", s->amount) != 0
                   ? -1 : 0;
    default: return 0;
    }
}

size_t stepjson_steps_from_bin(const uint8_t *bin, size_t len, char *out, size_t cap, char *err,
                               size_t errlen) {
    assert(out != NULL);
    assert(err != NULL);
    jctx c = { err, errlen };
    ox_step steps[OX_BATCH_MAX];
    unsigned n = 0;
    if (ox_steps_decode(bin, len, steps, &n, err, errlen) != 0) return 0;
    assert(n >= 1);
    assert(n <= OX_BATCH_MAX);
    json_t *root = json_object(), *arr = json_array();
    json_object_set_new(root, "v", json_integer(STEPJSON_VERSION));
    json_object_set_new(root, "steps", arr);
    for (unsigned i = 0; i < n; i++)
        if (step_to_json(&c, &steps[i], i, arr) != 0) { json_decref(root); return 0; }
    return dump_line(&c, root, STEPJSON_STEP_MAX, out, cap);
}

static int armed_from_json(jctx *c, const json_t *o, const char *where, ox_step *s) {
    static const char *const keys[] = { "name", "skip", "action" };
    const json_t *arr = json_object_get(o, "armed");
    if (arr == NULL) return 0;
    if (!json_is_array(arr) || json_array_size(arr) > OX_STEP_MAX_ARMED)
        return fail(c, where, "\"armed\" is not an array of at most %d", OX_STEP_MAX_ARMED);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *e = json_array_get(arr, i);
        char at[2 * WHERE_MAX];
        snprintf(at, sizeof at, "%s.armed[%zu]", where, i);
        int64_t skip = 0;
        int action = 0;
        if (!json_is_object(e)) return fail(c, at, "not an object");
        if (only_keys(c, e, at, keys, NAMES(keys)) != 0 ||
            get_str(c, e, at, "name", OX_NAME_MAX, s->armed[i].name) != 0 ||
            get_int(c, e, at, "skip", 0, UINT32_MAX, NULL, &skip) != 0 ||
            get_name(c, e, at, "action", ACTIONS, NAMES(ACTIONS), OX_ARM_CRASH, &action) != 0)
            return -1;
        s->armed[i].skip = (uint32_t)skip;
        s->armed[i].action = (uint8_t)action;
    }
    s->narmed = (uint8_t)json_array_size(arr);
    return 0;
}

/* Step i of the line into s; a FRAME's bytes into frame[OX_BLOB_MAX]. */
static int step_from_json(jctx *c, const json_t *o, unsigned i, ox_step *s, uint8_t *frame) {
    static const char *const keys[][8] = {
        { "seq", "kind", "vtime_us", "clock_us", "armed" },
        { "seq", "kind", "vtime_us", "clock_us", "armed", "from", "frame" },
        { "seq", "kind", "vtime_us", "clock_us", "armed", "timer" },
        { "seq", "kind", "vtime_us", "clock_us", "armed", "pay", "account", "amount" },
    };
    static const size_t nkeys[] = { 5, 7, 6, 8 };
    char where[WHERE_MAX];
    snprintf(where, sizeof where, "steps[%u]", i);
    memset(s, 0, sizeof *s);
    int kind = 0;
    int64_t seq = 0, vt = 0, clock = 0, x = 0, y = 0, z = 0;
    if (!json_is_object(o)) return fail(c, where, "not an object");
    if (get_name(c, o, where, "kind", KINDS, NAMES(KINDS), OX_STEP_START, &kind) != 0) return -1;
    int shape = kind == OX_STEP_FRAME ? 1 : kind == OX_STEP_TIMER ? 2 : kind == OX_STEP_PAY ? 3 : 0;
    if (only_keys(c, o, where, keys[shape], nkeys[shape]) != 0 ||
        get_int(c, o, where, "seq", 0, UINT32_MAX, NULL, &seq) != 0 ||
        get_int(c, o, where, "vtime_us", INT64_MIN, INT64_MAX, NULL, &vt) != 0 ||
        get_int(c, o, where, "clock_us", 0, OX_CLOCK_MAX_US, NULL, &clock) != 0 ||
        armed_from_json(c, o, where, s) != 0)
        return -1;
    s->seq = (uint32_t)seq;
    s->kind = (uint8_t)kind;
    s->vtime_us = vt;
    s->clock_us = clock;
    if (kind == OX_STEP_FRAME) {
        const json_t *f = need(c, o, where, "frame");
        if (get_str(c, o, where, "from", OX_NAME_MAX, s->from) != 0 || f == NULL ||
            frame_from_json(c, f, where, frame, &s->frame_len) != 0)
            return -1;
        s->frame = frame;
    } else if (kind == OX_STEP_TIMER) {
        if (get_int(c, o, where, "timer", 0, UINT32_MAX, NULL, &x) != 0) return -1;
        s->timer_id = (uint32_t)x;
    } else if (kind == OX_STEP_PAY) {
        if (get_int(c, o, where, "pay", 0, INT64_MAX, NULL, &x) != 0 ||
            get_int(c, o, where, "account", 0, UINT32_MAX, NULL, &y) != 0 ||
            get_int(c, o, where, "amount", INT64_MIN, INT64_MAX, NULL, &z) != 0)
            return -1;
        s->pay_id = (uint64_t)x;
        s->account = (uint32_t)y;
        s->amount = z;
    }
    return 0;
}

size_t stepjson_steps_to_bin(const char *line, size_t len, uint8_t *out, size_t cap, char *err,
                             size_t errlen) {
    assert(line != NULL || len == 0);
    assert(out != NULL);
    jctx c = { err, errlen };
    json_t *root = load_line(&c, line, len, STEPJSON_STEP_MAX, "steps");
    if (root == NULL) return 0;
    const json_t *arr = json_object_get(root, "steps");
    uint8_t frames[OX_BATCH_MAX][OX_BLOB_MAX];   /* 64 KiB of stack, not shared */
    ox_step steps[OX_BATCH_MAX];
    unsigned n = (unsigned)json_array_size(arr);
    assert(n >= 1);
    assert(n <= OX_BATCH_MAX);
    for (unsigned i = 0; i < n; i++) {
        if (step_from_json(&c, json_array_get(arr, i), i, &steps[i], frames[i]) != 0) {
            json_decref(root);
            return 0;
        }
    }
    json_decref(root);
    size_t m = ox_steps_encode(steps, n, out, cap);
    if (m == 0) {
        fail(&c, "", "the steps exceed %zu bytes", cap);
        return 0;
    }
    ox_step check[OX_BATCH_MAX];   /* held to the binary decoder's every rule */
    unsigned k = 0;
    if (ox_steps_decode(out, m, check, &k, err, errlen) != 0) return 0;
    assert(k == n);
    return m;
}

/* ---- replies --------------------------------------------------------------------- */

/* The routing facts a SEND of frame[len] carries: the frame's own, as a binary node
** derives them (node/simhost.c, io_send); none for bytes that are not a frame. */
static void route_of(const uint8_t *frame, size_t len, ox_effect *e) {
    ox_frame f;
    e->queue[0] = '\0';
    snprintf(e->label, sizeof e->label, "?");
    e->pay = e->msg = e->delivery = 0;
    if (ox_wire_decode(frame, len, &f) != OX_WIRE_OK) return;
    snprintf(e->queue, sizeof e->queue, "%s", f.queue);
    snprintf(e->label, sizeof e->label, "%s", ox_wire_label(&f));
    if (f.type != OX_F_DACK) {   /* a DACK carries no message */
        e->pay = f.msg.pay_id;
        e->msg = f.msg.msg_id;
    }
    e->delivery = f.delivery;
}

static int send_to_json(jctx *c, const ox_effect *e, json_t *o, const char *where) {
    ox_effect r;
    route_of(e->frame, e->frame_len, &r);
    if (strcmp(r.queue, e->queue) != 0 || strcmp(r.label, e->label) != 0 || r.pay != e->pay ||
        r.msg != e->msg || r.delivery != e->delivery)
        return fail(c, where, "a SEND whose routing facts (%s, %s) are not its frame's (%s, %s)",
                    e->queue, e->label, r.queue, r.label);
    if (put_str(c, o, where, "to", e->to) != 0) return -1;
    json_object_set_new(o, "frame", frame_to_json(e->frame, e->frame_len));
    return 0;
}

static int effect_to_json(jctx *c, const ox_effect *e, const char *where, json_t *arr) {
    assert(e->type >= OX_FX_SEND);
    assert(e->type <= OX_FX_DECLARE);
    json_t *o = json_object();
    json_array_append_new(arr, o);
    json_object_set_new(o, "type", json_string(EFFECTS[e->type - OX_FX_SEND]));
    switch (e->type) {
    case OX_FX_SEND: return send_to_json(c, e, o, where);
    case OX_FX_TIMER:
        json_object_set_new(o, "id", json_integer(e->timer_id));
        return put_int(c, o, where, "delay_us", e->delay_us);
    case OX_FX_REPLY:
        if (put_uint(c, o, where, "pay", e->pay) != 0) return -1;
        json_object_set_new(o, "ok", json_boolean(e->ok));
        return put_str(c, o, where, "detail", e->detail);
    case OX_FX_NOTE:
        if (put_str(c, o, where, "kind", e->label) != 0) return -1;
        if (e->pay != 0 && put_uint(c, o, where, "pay", e->pay) != 0) return -1;
        return put_str(c, o, where, "detail", e->detail);
    case OX_FX_PASSED:
        if (put_str(c, o, where, "name", e->label) != 0) return -1;
        json_object_set_new(o, "count", json_integer(e->count));
        return 0;
    default:   /* FAILPOINT, INJECTED, DECLARE */
        return put_str(c, o, where, "name", e->label);
    }
}

size_t stepjson_reply_from_bin(const uint8_t *bin, size_t len, ox_effect *scratch, char *out,
                               size_t cap, char *err, size_t errlen) {
    assert(scratch != NULL);
    assert(out != NULL);
    jctx c = { err, errlen };
    ox_reply_reader rd;
    if (ox_reply_open(&rd, bin, len, err, errlen) != 0) return 0;
    json_t *root = json_object(), *arr = json_array();
    json_object_set_new(root, "v", json_integer(STEPJSON_VERSION));
    json_object_set_new(root, "sections", arr);
    ox_reply r = { .effects = scratch };
    int rc;
    for (unsigned i = 0; (rc = ox_reply_next_section(&rd, &r, err, errlen)) == 1; i++) {
        assert(i < OX_BATCH_MAX);
        assert(r.status <= OX_REPLY_FATAL);
        json_t *s = json_object(), *fx = json_array();
        json_array_append_new(arr, s);
        json_object_set_new(s, "seq", json_integer(r.seq));
        json_object_set_new(s, "status", json_string(STATUSES[r.status]));
        json_object_set_new(s, "effects", fx);
        for (unsigned k = 0; k < r.neffects; k++) {
            char where[WHERE_MAX];
            snprintf(where, sizeof where, "sections[%u].effects[%u]", i, k);
            if (effect_to_json(&c, &r.effects[k], where, fx) != 0) { rc = -1; break; }
        }
        if (rc != 1) break;
    }
    if (rc != 0) { json_decref(root); return 0; }
    return dump_line(&c, root, STEPJSON_REPLY_MAX, out, cap);
}

/* One effect of the line into e; a SEND's frame into frame[OX_BLOB_MAX]. */
static int effect_from_json(jctx *c, const json_t *o, const char *where, ox_effect *e,
                            uint8_t *frame) {
    static const char *const keys[][4] = {
        { "type", "to", "frame" }, { "type", "id", "delay_us" },
        { "type", "pay", "ok", "detail" }, { "type", "kind", "pay", "detail" },
        { "type", "name" }, { "type", "name" }, { "type", "name", "count" }, { "type", "name" },
    };
    static const size_t nkeys[] = { 3, 3, 4, 4, 2, 2, 3, 2 };
    int type = 0;
    int64_t x = 0, zero = 0;
    memset(e, 0, sizeof *e);
    if (!json_is_object(o)) return fail(c, where, "not an object");
    if (get_name(c, o, where, "type", EFFECTS, NAMES(EFFECTS), OX_FX_SEND, &type) != 0 ||
        only_keys(c, o, where, keys[type - OX_FX_SEND], nkeys[type - OX_FX_SEND]) != 0)
        return -1;
    e->type = (uint8_t)type;
    const json_t *ok = json_object_get(o, "ok");
    switch (type) {
    case OX_FX_SEND: {
        const json_t *f = need(c, o, where, "frame");
        if (get_str(c, o, where, "to", OX_NAME_MAX, e->to) != 0 || f == NULL ||
            frame_from_json(c, f, where, frame, &e->frame_len) != 0)
            return -1;
        e->frame = frame;
        route_of(frame, e->frame_len, e);
        return 0;
    }
    case OX_FX_TIMER:
        if (get_int(c, o, where, "id", 0, UINT32_MAX, NULL, &x) != 0) return -1;
        e->timer_id = (uint32_t)x;
        return get_int(c, o, where, "delay_us", INT64_MIN, INT64_MAX, NULL, &e->delay_us);
    case OX_FX_REPLY:
        if (get_int(c, o, where, "pay", 0, INT64_MAX, NULL, &x) != 0) return -1;
        if (ok == NULL || !json_is_boolean(ok))
            return fail(c, where, ok ? "\"ok\" is not true or false" : "missing key \"ok\"");
        e->pay = (uint64_t)x;
        e->ok = json_is_true(ok);
        return get_str(c, o, where, "detail", 255, e->detail);   /* a str8 */
    case OX_FX_NOTE:
        if (get_str(c, o, where, "kind", OX_NAME_MAX, e->label) != 0 ||
            get_int(c, o, where, "pay", 0, INT64_MAX, &zero, &x) != 0)
            return -1;
        e->pay = (uint64_t)x;
        return get_str(c, o, where, "detail", OX_DETAIL_MAX, e->detail);
    case OX_FX_PASSED:
        if (get_int(c, o, where, "count", 0, UINT32_MAX, NULL, &x) != 0) return -1;
        e->count = (uint32_t)x;
        return get_str(c, o, where, "name", OX_NAME_MAX, e->label);
    default:   /* FAILPOINT, INJECTED, DECLARE */
        return get_str(c, o, where, "name", OX_NAME_MAX, e->label);
    }
}

/* Section i of the line into the builder (begun by the caller for section 0). */
static int section_from_json(jctx *c, const json_t *s, unsigned i, unsigned n,
                             ox_reply_builder *b, int *status) {
    static const char *const keys[] = { "seq", "status", "effects" };
    char where[WHERE_MAX];
    snprintf(where, sizeof where, "sections[%u]", i);
    int64_t seq = 0;
    if (!json_is_object(s)) return fail(c, where, "not an object");
    if (only_keys(c, s, where, keys, NAMES(keys)) != 0 ||
        get_int(c, s, where, "seq", 0, UINT32_MAX, NULL, &seq) != 0 ||
        get_name(c, s, where, "status", STATUSES, NAMES(STATUSES), OX_REPLY_OK, status) != 0)
        return -1;
    if (*status != OX_REPLY_OK && i + 1 < n)
        return fail(c, where, "status %s: only the last section may have one but OK",
                    STATUSES[*status]);
    const json_t *fx = need(c, s, where, "effects");
    if (fx == NULL) return -1;
    if (!json_is_array(fx) || json_array_size(fx) > OX_STEP_MAX_EFFECTS)
        return fail(c, where, "\"effects\" is not an array of at most %d", OX_STEP_MAX_EFFECTS);
    if (i > 0) ox_reply_next(b, (uint32_t)seq);   /* section 0 was begun with its seq */
    for (size_t k = 0; k < json_array_size(fx); k++) {
        char at[2 * WHERE_MAX];
        snprintf(at, sizeof at, "%s.effects[%zu]", where, k);
        ox_effect e;
        uint8_t frame[OX_BLOB_MAX];
        if (effect_from_json(c, json_array_get(fx, k), at, &e, frame) != 0) return -1;
        ox_reply_add(b, &e);
        if (b->overflow)
            return fail(c, at, "the section exceeds %u bytes or %d effects", OX_STEP_MAX,
                        OX_STEP_MAX_EFFECTS);
    }
    return 0;
}

size_t stepjson_reply_to_bin(const char *line, size_t len, uint8_t *out, size_t cap, char *err,
                             size_t errlen) {
    assert(line != NULL || len == 0);
    assert(out != NULL);
    jctx c = { err, errlen };
    json_t *root = load_line(&c, line, len, STEPJSON_REPLY_MAX, "sections");
    if (root == NULL) return 0;
    const json_t *arr = json_object_get(root, "sections");
    unsigned n = (unsigned)json_array_size(arr);
    const json_t *first = json_array_get(arr, 0);
    int64_t seq = 0;
    int status = OX_REPLY_OK, rc = -1;
    assert(n >= 1);
    assert(n <= OX_BATCH_MAX);
    if (!json_is_object(first)) fail(&c, "sections[0]", "not an object");
    else if (get_int(&c, first, "sections[0]", "seq", 0, UINT32_MAX, NULL, &seq) == 0) rc = 0;
    ox_reply_builder b;
    if (rc == 0) ox_reply_begin(&b, out, cap, (uint32_t)seq);
    for (unsigned i = 0; rc == 0 && i < n; i++)
        rc = section_from_json(&c, json_array_get(arr, i), i, n, &b, &status);
    json_decref(root);
    if (rc != 0) return 0;
    size_t m = ox_reply_finish(&b, (uint8_t)status);
    if (m == 0) fail(&c, "", "the reply exceeds %zu bytes", cap);
    return m;
}
