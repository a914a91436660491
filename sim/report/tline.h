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
    char detail[256];         /* note detail, reply detail, scenario text ("text") */
    uint64_t frame, pay, msg, delivery;
    int64_t copies, fault, life, line, tries, amount, delayed_by;
    int64_t arrives;          /* "arrives": virtual microseconds, -1 if absent */
    int64_t after_healing;    /* "after_healing" of converged, -1 if absent */
} tline;

/* Parses one line (without or with its newline).  Returns 0, or -1 if it is not a flat
** JSON object with a "t" and an "ev". */
int tline_parse(const char *s, size_t len, tline *out);

/* Parses a decimal time in seconds ("12.345678", "-0.5") into microseconds. */
int64_t tline_time(const char *s, const char **end);

#endif
