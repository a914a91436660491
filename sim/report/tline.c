/*
** tline.c: one trace line read back into fields (see tline.h).
*/
#include "tline.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

int64_t tline_time(const char *s, const char **end) {
    assert(s);
    int neg = *s == '-';
    if (neg) s++;
    int64_t whole = 0, frac = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9' && whole < INT64_MAX / 10000000)
        whole = whole * 10 + (*s++ - '0');
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            if (digits < 6) { frac = frac * 10 + (*s - '0'); digits++; }
            s++;
        }
    }
    while (digits++ < 6) frac *= 10;
    if (end) *end = s;
    int64_t us = whole * 1000000 + frac;
    return neg ? -us : us;
}

/* Reads a JSON string body starting after its opening quote; copies it unescaped
** (cut to cap) and returns the position after the closing quote, or NULL. */
static const char *read_string(const char *p, const char *end, char *out, size_t cap) {
    assert(p <= end);
    assert(!out || cap > 0);
    size_t n = 0;
    while (p < end && *p != '"') {
        char c = *p++;
        if (c == '\\' && p < end) {
            char e = *p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'u':
                /* The trace escapes only control bytes this way: keep the byte. */
                c = (end - p >= 4) ? (char)strtol((char[]){ p[0], p[1], p[2], p[3], 0 }, NULL, 16)
                                   : '?';
                p += end - p >= 4 ? 4 : end - p;
                break;
            default: c = e; break;
            }
        }
        if (out && n + 1 < cap) out[n++] = c;
    }
    assert(!out || n < cap);
    if (out) out[n] = '\0';
    return p < end ? p + 1 : NULL;
}

typedef struct { const char *key; size_t off, cap; } str_field;
typedef struct { const char *key; size_t off; int is_time, is_unsigned; } num_field;

#define S(k, f) { k, offsetof(tline, f), sizeof(((tline *)0)->f) }
static const str_field str_fields[] = {
    S("ev", ev), S("node", node), S("kind", kind), S("label", label), S("queue", queue),
    S("from", from), S("to", to), S("fate", fate), S("at", at), S("name", name), S("why", why),
    S("result", result), S("detail", detail), S("text", detail), S("keep", keep),
    S("lost_in", lost_in),
    S("result", result), S("detail", detail), S("text", detail),
    S("op", op), S("error", error),
};
#undef S
#define N(k, f, t, u) { k, offsetof(tline, f), t, u }
static const num_field num_fields[] = {
    N("t", t, 1, 0),
    N("arrives", arrives, 1, 0),
    N("after_healing", after_healing, 1, 0),
    N("frame", frame, 0, 1),
    N("pay", pay, 0, 1),
    N("msg", msg, 0, 1),
    N("delivery", delivery, 0, 1),
    N("copies", copies, 0, 0),
    N("fault", fault, 0, 0),
    N("life", life, 0, 0),
    N("line", line, 0, 0),
    N("try", tries, 0, 0),
    N("amount", amount, 0, 0),
    N("delayed_by", delayed_by, 0, 0),
    N("writes_lost", writes_lost, 0, 1),
    N("bytes_lost", bytes_lost, 0, 1),
    N("indefinite", indefinite, 0, 1),
    N("until", until, 1, 0),
    N("waiting", waiting, 0, 0),
};
#undef N

static int key_is(const char *k, size_t klen, const char *want) {
    return strlen(want) == klen && memcmp(k, want, klen) == 0;
}

/* Past a nested array or object (power_cut's "files"), strings and all: none of its
** keys is a line's own.  NULL if it does not close. */
static const char *skip_nested(const char *p, const char *end) {
    int depth = 0;
    for (; p < end; p++) {
        if (*p == '"') {
            p = read_string(p + 1, end, NULL, 0);
            if (!p) return NULL;
            p--;   /* read_string returns the byte after the closing quote */
        } else if (*p == '[' || *p == '{') {
            depth++;
        } else if (*p == ']' || *p == '}') {
            if (--depth == 0) return p + 1;
        }
    }
    return NULL;
}

static const char *read_value(const char *p, const char *end, const char *k, size_t klen,
                              tline *o) {
    if (*p == '[' || *p == '{') return skip_nested(p, end);
    if (*p == '"') {
        for (size_t i = 0; i < sizeof str_fields / sizeof str_fields[0]; i++)
            if (key_is(k, klen, str_fields[i].key))
                return read_string(p + 1, end, (char *)o + str_fields[i].off, str_fields[i].cap);
        return read_string(p + 1, end, NULL, 0);
    }
    const char *q = p;
    for (size_t i = 0; i < sizeof num_fields / sizeof num_fields[0]; i++) {
        if (!key_is(k, klen, num_fields[i].key)) continue;
        char *at = (char *)o + num_fields[i].off;
        if (num_fields[i].is_time) *(int64_t *)(void *)at = tline_time(p, &q);
        else if (num_fields[i].is_unsigned) *(uint64_t *)(void *)at = strtoull(p, (char **)&q, 10);
        else *(int64_t *)(void *)at = strtoll(p, (char **)&q, 10);
        break;
    }
    while (q < end && *q != ',' && *q != '}') q++;   /* unknown numbers, true, null */
    return q;
}

int tline_parse(const char *s, size_t len, tline *o) {
    assert(s);
    assert(o);
    memset(o, 0, sizeof *o);
    o->t = INT64_MIN;
    o->arrives = -1;
    o->after_healing = -1;
    const char *p = s, *end = s + len;
    while (end > p && (end[-1] == '\n' || end[-1] == '\r')) end--;
    if (p >= end || *p != '{') return -1;
    p++;
    while (p < end && *p == '"') {
        const char *k = p + 1;
        const char *kend = memchr(k, '"', (size_t)(end - k));
        if (!kend || kend + 2 > end || kend[1] != ':') return -1;
        p = read_value(kend + 2, end, k, (size_t)(kend - k), o);
        if (!p || p >= end) return -1;
        if (*p == ',') p++;
        else if (*p == '}') break;
        else return -1;
    }
    return o->t != INT64_MIN && o->ev[0] ? 0 : -1;
}

int tline_each(const char *path, int flags, tline_fn fn, void *ctx, char *err, size_t cap) {
    assert(fn != NULL);
    assert(cap > 0);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, cap, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t bcap = 0;
    ssize_t n;
    uint32_t lineno = 0;
    int rc = 0;
    tline l;
    while (rc == 0 && (n = getline(&buf, &bcap, f)) > 0) {
        lineno++;
        if (tline_parse(buf, (size_t)n, &l) != 0) {
            if (!(flags & TLINE_STRICT)) continue;   /* never written by us: skipped */
            snprintf(err, cap, "%s:%u: not a trace line", path, lineno);
            rc = -1;
            break;
        }
        rc = fn(ctx, &l, lineno, buf, (size_t)n, err, cap);
        assert(rc >= -1 && rc <= 1);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, cap, "error reading %s", path);
        rc = -1;
    }
    free(buf);
    fclose(f);
    return rc < 0 ? -1 : 0;
}

void tline_power_text(const tline *l, char *out, size_t cap) {
    assert(l);
    assert(cap > 0);
    char size[32], tail[64] = "";
    double b = (double)l->bytes_lost;
    if (l->bytes_lost < 1024) snprintf(size, sizeof size, "%" PRIu64 " bytes", l->bytes_lost);
    else if (l->bytes_lost < (1u << 20)) snprintf(size, sizeof size, "%.0f KB", b / 1024);
    else snprintf(size, sizeof size, "%.1f MB", b / (1 << 20));
    if (l->indefinite)
        snprintf(tail, sizeof tail, "; %" PRIu64 " OK%s now indefinite", l->indefinite,
                 l->indefinite == 1 ? "" : "s");
    if (l->writes_lost == 0 && !l->lost_in[0])
        snprintf(out, cap, "power cut at %s: nothing unsynced, nothing lost%s", l->node, tail);
    else
        snprintf(out, cap, "power cut at %s: %" PRIu64 " write%s (%s) to %s lost (keep %s)%s",
                 l->node, l->writes_lost, l->writes_lost == 1 ? "" : "s", size,
                 l->lost_in[0] ? l->lost_in : "its files", l->keep, tail);
}
