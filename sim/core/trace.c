/*
** trace.c: streamed, hashed JSON-lines trace (see trace.h).
*/
#include "trace.h"

#include <assert.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

int trace_open(sim_trace *t, const char *path) {
    trace_listener fn = t->listen;
    void *ctx = t->listen_ctx;
    memset(t, 0, sizeof *t);
    t->listen = fn;
    t->listen_ctx = ctx;
    json_w_init_buf(&t->w, t->buf, sizeof t->buf, 0);
    t->f = fopen(path, "w");
    if (!t->f) return -1;
    t->hash = FNV_OFFSET;
    return 0;
}

void trace_begin(sim_trace *t, int64_t vt_us, const char *ev) {
    assert(t->w.buf == t->buf);   /* trace_open came first */
    assert(t->w.len == 0 && "trace_begin without trace_end");
    json_w_reset(&t->w);
    json_w_obj(&t->w);
    json_w_ktime(&t->w, "t", vt_us);
    json_w_kstr(&t->w, "ev", ev);
}

void trace_str(sim_trace *t, const char *k, const char *val) {
    assert(t->w.depth == 1);
    json_w_kstr(&t->w, k, val);
}

void trace_int(sim_trace *t, const char *k, int64_t val) {
    assert(t->w.depth == 1);
    json_w_kint(&t->w, k, val);
}

void trace_uint(sim_trace *t, const char *k, uint64_t val) {
    assert(t->w.depth == 1);
    json_w_kuint(&t->w, k, val);
}

void trace_time(sim_trace *t, const char *k, int64_t vt_us) {
    assert(t->w.depth == 1);
    json_w_ktime(&t->w, k, vt_us);
}

/* The line that stands for one too long to hold: cut to a marker, not written broken. */
static void too_long(sim_trace *t) {
    static const char marker[] = "{\"t\":0,\"ev\":\"trace_line_too_long\"}\n";
    json_w_reset(&t->w);
    json_w_put(&t->w, marker, sizeof marker - 1);
    assert(!t->w.overflow);
}

void trace_end(sim_trace *t) {
    assert(t->w.depth == 1);   /* paired with trace_begin's object */
    json_w_obj_end(&t->w);
    json_w_put(&t->w, "\n", 1);
    if (t->w.overflow) too_long(t);
    for (size_t i = 0; i < t->w.len; i++) {
        t->hash ^= (uint8_t)t->buf[i];
        t->hash *= FNV_PRIME;
    }
    if (t->f) fwrite(t->buf, 1, t->w.len, t->f);
    t->lines++;
    if (t->listen) t->listen(t->listen_ctx, t->buf, t->w.len);
    t->w.len = 0;
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
