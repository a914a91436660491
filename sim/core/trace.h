/*
** trace.h: the run's trace, trace.jsonl, written as the run goes.
**
** One JSON object per line, virtual time first: {"t":12.345678,"ev":"send",...}.
** Lines are streamed to the file, never held, and hashed as they are written
** (FNV-1a 64), so two runs can be compared by hash.  Nothing nondeterministic may be
** written here: no wall-clock time, no pids, no addresses.  A line about a payment
** carries "pay":N (the checker cites trace lines by that field).
**
** A line is built with trace_begin(), any number of trace_str/int/... fields, then
** trace_end().  Field order is the call order, so the bytes are a pure function of
** the run.  The line is written by the project's one JSON writer (sim/util/json.h), in
** its compact layout, into a fixed buffer: a line too long for it is written as a
** "trace_line_too_long" marker instead of broken.
**
** A listener (the narrator, narrate.h) may watch the lines as they are finished: it
** is handed each line's bytes after they are written and hashed, and can only read
** them, so it cannot change the trace.
*/
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "../util/json.h"

/* Called with each finished line, newline included (not NUL-terminated). */
typedef void (*trace_listener)(void *ctx, const char *line, size_t len);

typedef struct {
    FILE *f;
    uint64_t hash;
    uint64_t lines;
    char buf[16384];          /* the line being built ... */
    json_w w;                 /* ... by this writer */
    trace_listener listen;    /* set by trace_listen(); kept by trace_open() */
    void *listen_ctx;
} sim_trace;

/* Opens the file.  A listener set before (trace_listen) stays set. */
int trace_open(sim_trace *t, const char *path);
/* Hands every line finished from now on to fn (NULL: none). */
void trace_listen(sim_trace *t, trace_listener fn, void *ctx);
void trace_begin(sim_trace *t, int64_t vt_us, const char *ev);
void trace_str(sim_trace *t, const char *key, const char *val);
void trace_int(sim_trace *t, const char *key, int64_t val);
void trace_uint(sim_trace *t, const char *key, uint64_t val);
void trace_time(sim_trace *t, const char *key, int64_t vt_us);   /* seconds, 6 decimals */
void trace_end(sim_trace *t);
/* Flushes and closes; returns 0, or -1 if any write failed. */
int trace_close(sim_trace *t);

#endif
