/*
** trace.c: streamed, hashed JSON-lines trace (see trace.h).
*/
#include "trace.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

int trace_open(sim_trace *t, const char *path) {
    trace_listener fn = t->listen;
    void *ctx = t->listen_ctx;
    memset(t, 0, sizeof *t);
    t->listen = fn;
    t->listen_ctx = ctx;
    t->f = fopen(path, "w");
    if (!t->f) return -1;
    t->hash = FNV_OFFSET;
    return 0;
}

static void put(sim_trace *t, const char *s, size_t n) {
    if (n > sizeof t->buf - t->len) { t->overflow = 1; return; }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

static void putf(sim_trace *t, const char *s) { put(t, s, strlen(s)); }

/* Decimal digits of v, most significant first, at least `width` of them (zero
** padded): a formatter of its own because snprintf was a tenth of the simulator's
** time (a trace has several numbers on each of its hundreds of thousands of lines). */
static void put_digits(sim_trace *t, uint64_t v, int width) {
    char num[24];
    int n = 0;
    do { num[sizeof num - 1 - n++] = (char)('0' + v % 10); v /= 10; } while (v || n < width);
    assert(n <= (int)sizeof num);
    put(t, num + sizeof num - n, (size_t)n);
}

static void put_uint(sim_trace *t, uint64_t v) { put_digits(t, v, 1); }

static void put_int(sim_trace *t, int64_t v) {
    if (v < 0) put(t, "-", 1);
    put_uint(t, v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v);
}

static void put_time(sim_trace *t, int64_t us) {
    if (us < 0) put(t, "-", 1);
    uint64_t a = us < 0 ? (uint64_t)(-(us + 1)) + 1 : (uint64_t)us;
    put_uint(t, a / 1000000);
    put(t, ".", 1);
    put_digits(t, a % 1000000, 6);
}

void trace_begin(sim_trace *t, int64_t vt_us, const char *ev) {
    assert(t->len == 0 && "trace_begin without trace_end");
    t->overflow = 0;
    putf(t, "{\"t\":");
    put_time(t, vt_us);
    putf(t, ",\"ev\":\"");
    putf(t, ev);
    putf(t, "\"");
}

static void key(sim_trace *t, const char *k) {
    putf(t, ",\"");
    putf(t, k);
    putf(t, "\":");
}

void trace_str(sim_trace *t, const char *k, const char *val) {
    key(t, k);
    putf(t, "\"");
    size_t n = json_escape(t->buf, sizeof t->buf, t->len, val ? val : "");
    if (n >= sizeof t->buf) t->overflow = 1; else t->len = n;
    putf(t, "\"");
}

void trace_int(sim_trace *t, const char *k, int64_t val) {
    key(t, k);
    put_int(t, val);
}

void trace_uint(sim_trace *t, const char *k, uint64_t val) {
    key(t, k);
    put_uint(t, val);
}

void trace_time(sim_trace *t, const char *k, int64_t vt_us) {
    key(t, k);
    put_time(t, vt_us);
}

void trace_end(sim_trace *t) {
    if (t->overflow) {
        /* A line too long to hold is cut to a marker rather than written broken. */
        t->len = 0;
        t->overflow = 0;
        putf(t, "{\"t\":0,\"ev\":\"trace_line_too_long\"");
    }
    putf(t, "}\n");
    for (size_t i = 0; i < t->len; i++) {
        t->hash ^= (uint8_t)t->buf[i];
        t->hash *= FNV_PRIME;
    }
    if (t->f) fwrite(t->buf, 1, t->len, t->f);
    t->lines++;
    if (t->listen) t->listen(t->listen_ctx, t->buf, t->len);
    t->len = 0;
}

void trace_listen(sim_trace *t, trace_listener fn, void *ctx) {
    t->listen = fn;
    t->listen_ctx = ctx;
}

int trace_close(sim_trace *t) {
    if (!t->f) return 0;
    int bad = ferror(t->f);
    if (fclose(t->f) != 0) bad = 1;
    t->f = NULL;
    return bad ? -1 : 0;
}

size_t json_escape(char *out, size_t cap, size_t len, const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        const char *p = esc;
        size_t n;
        if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; n = 2; }
        else if (c == '\n') { p = "\\n"; n = 2; }
        else if (c == '\t') { p = "\\t"; n = 2; }
        else if (c < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", c); n = 6; }
        else { esc[0] = (char)c; n = 1; }
        if (n > cap - len) return cap;
        memcpy(out + len, p, n);
        len += n;
    }
    return len;
}

void json_fputs(FILE *f, const char *s) {
    char buf[4096];
    size_t n = json_escape(buf, sizeof buf, 0, s ? s : "");
    if (n >= sizeof buf) n = 0;
    fputc('"', f);
    fwrite(buf, 1, n, f);
    fputc('"', f);
}
