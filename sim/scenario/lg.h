/*
** lg.h: the Lua generator: writes a scenario as Lua text, the way a person would write it by hand
** (scenarios/README.md): a header comment, scenario{} with the workload spelled out,
** one fault a line with a short comment, and expect{}.
**
** `shrink` writes its candidates and its result with it.  Each fault is written by
** scenario_fault_lua() (scenario.h), the loader's own inverse, so what is written loads
** again with scenario_load() and means the same thing; the rest is written here: times
** to the microsecond, numbers so that they read back to the same double, strings
** quoted for Lua.
*/
#ifndef SIM_LG_H
#define SIM_LG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

/* A growable text buffer (bounded by LG_MAX_TEXT: scenario files are at most 1 MiB). */
#define LG_MAX_TEXT (1u << 20)
typedef struct {
    char *s;
    size_t len, cap;
    int overflow;             /* something did not fit: the text is unusable */
} lg_buf;

void lg_printf(lg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lg_free(lg_buf *b);

/* Seconds for Lua: "12", "0.25", "1.000001" (microseconds exactly, no trailing zeros). */
const char *lg_seconds(int64_t us, char *buf, size_t cap);

typedef struct {
    sim_fault f;
    char note[320];           /* its comment: what it did in the original run ("" = none) */
} lg_fault_line;

/* A whole scenario.  The workload is written out in full (no refuse_rate: the refused
** payments are listed), expect{} is all_invariants = true unless `violated` is set. */
typedef struct {
    const char *header;       /* comment lines ('\n'-separated, without "-- "), or NULL */
    const char *name;
    const char *design;
    const char (*knobs)[128]; /* "key=value" */
    int nknobs;
    uint32_t payments;
    double rate;
    int64_t amount_min, amount_max;
    uint32_t accounts;
    const uint8_t *refuse;    /* [payments + 1] or NULL */
    int64_t run_us, settle_us;
    const lg_fault_line *faults;
    int nfaults;
    const char *violated;     /* NULL: expect { all_invariants = true } */
    const char (*own_fps)[65];   /* failpoints { } (sim_scenario.own_fps), or NULL */
    int nown_fps;
} lg_scenario;

/* Appends the scenario to b.  Returns 0, or -1 (b->overflow, or a fault kind that
** cannot be written: err says which). */
int lg_scenario_text(lg_buf *b, const lg_scenario *s, char *err, size_t errlen);

/* Writes text to path through a temp file and rename().  Returns 0 or -1 (errno). */
int lg_write_file(const char *path, const char *text, size_t len);

#endif
