/*
** tline.h: one line of trace.jsonl read back into plain fields.
**
** The trace (trace.h) is flat JSON, one object a line, whose values are strings or
** numbers.  The readers of a trace (the HTML report, the narrator) need only the
** fields below; tline_parse() fills the ones the line has and leaves the rest empty
** ("" or 0), so a line with fields a reader does not know still parses.  Strings are
** unescaped and cut to their buffer (a cut is harmless: they are only shown).
**
** Times are kept exactly: "12.345678" is 12345678 microseconds, no floating point.
**
** Why a reader of its own and not jansson (json.h), which reads every other JSON file:
** this one reads the trace line by line, twice for every report and once more live for
** the narrator, and the trace is flat and written by us alone.  Measured on the
** 1,967,398-line trace of bench/long.lua: 0.24 us a line here, 4.2 to 4.9 us through
** jansson (json_loadb and a walk of the object): some 16 s more for that run's report.
*/
#ifndef SIM_TLINE_H
#define SIM_TLINE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t t;                /* "t": virtual microseconds */
    char ev[24];              /* "ev": send, deliver, lost, note, crash, ... */
    char node[16];            /* "node" */
    char kind[24];            /* "kind" of a note */
    char label[40];           /* frame label: "PUBLISH PAYMENT", "DACK" */
    char queue[16];
    char from[16], to[16];
    char fate[16];            /* "dropped" */
    char at[72];              /* crash: "time" or the failpoint */
    char name[72];            /* failpoint name */
    char why[96];
    char result[16];          /* client reply: ok, failed, unknown */
    char keep[8];             /* power_cut: none, random, torn */
    char lost_in[96];         /* power_cut: the files that lost something */
    char detail[256];         /* note detail, reply detail, scenario text ("text") */
    uint64_t frame, pay, msg, delivery;
    int64_t copies, fault, life, line, tries, amount, delayed_by;
    int64_t arrives;          /* "arrives": virtual microseconds, -1 if absent */
    int64_t after_healing;    /* "after_healing" of converged, -1 if absent */
    uint64_t writes_lost, bytes_lost, indefinite;   /* power_cut */
    char op[8], error[16];    /* disk_fault: the call ("write") and how it failed ("full") */
    int64_t until;            /* pause: when it ends, virtual microseconds */
    int64_t waiting;          /* resume: events that waited */
} tline;

/* Parses one line (without or with its newline).  Returns 0, or -1 if it is not a flat
** JSON object with a "t" and an "ev". */
int tline_parse(const char *s, size_t len, tline *out);

/* Called by tline_each with each line of a trace, parsed, its number (from 1) and its
** bytes.  Returns 0 to go on, 1 to stop there (a fine end: "heal" reached, say), or -1
** to fail, having said why in err[cap]. */
typedef int (*tline_fn)(void *ctx, const tline *l, uint32_t lineno, const char *raw,
                        size_t len, char *err, size_t cap);
#define TLINE_STRICT 1        /* a line that does not parse is an error (else skipped) */

/* Reads the trace at path line by line and hands each to fn: the one loop every reader
** of trace.jsonl uses.  Returns 0 when it read to the end or fn stopped, or -1 with one
** line in err: the file cannot be opened or read, fn failed, or (TLINE_STRICT) a line
** is not a trace line ("PATH:N: not a trace line"). */
int tline_each(const char *path, int flags, tline_fn fn, void *ctx, char *err, size_t cap);

/* A power_cut line as one sentence, for the narration and the page: "power cut at
** payment: 3 writes (12 KB) to payment.db-wal lost (keep none); 2 OKs now indefinite",
** or "... nothing unsynced, nothing lost". */
void tline_power_text(const tline *l, char *out, size_t cap);

/* Parses a decimal time in seconds ("12.345678", "-0.5") into microseconds. */
int64_t tline_time(const char *s, const char **end);

#endif
