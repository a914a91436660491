/*
** reached.h: the reached states: situations worth reaching (Antithesis' "sometimes"
** assertions, FoundationDB's code probes), one table of their names and meanings, and
** the one pass over a run's trace that counts how often each was reached.
**
** A scenario exists to show something: a duplicate the inbox absorbs, a row that goes
** DEAD.  If a change to the code or the scenario makes it stop reaching that, its verdict
** would still be PASS, for the wrong reason.  So every run counts the states below
** (summary.json "reached", report.html, the run's summary line "reached"), and
** expect { reached = { ... } } names the ones a scenario must reach (sim/check/expect.h).
**
** Each state is read from lines the services and the simulator already write (the
** library's NOTE kinds, the simulator's send fates, crash and reply lines); nothing is
** written to the trace for them, so no trace changes.  README.md's table "Reached
** states" says the same as this table, word for word (tests/unit/sim/test_reached.c
** compares).  The table sits here, below sim/scenario, so that the loader can refuse an
** unknown name at its line, like an unknown invariant (invariant.h).
**
** The pass reads each line once and keeps one bit per payment (pay ids 1..npay): memory
** bounded by the workload, not by the run's length.
*/
#ifndef SIM_REACHED_H
#define SIM_REACHED_H

#include <stddef.h>
#include <stdint.h>

#define REACHED_COUNT 30

typedef struct {
    const char *name;         /* as scenarios, summary.json and scripts spell it */
    const char *means;        /* one line: the situation, and the trace line that shows it */
} reached_info;

/* The i-th state (0 <= i < REACHED_COUNT), in the table's order. */
const reached_info *reached_at(int i);
/* Index of the state called name, or -1 (NULL too). */
int reached_index(const char *name);
/* Fills out with the names, in order, then NULL (for lists and suggestions). */
void reached_names(const char *out[REACHED_COUNT + 1]);

typedef struct {
    uint64_t count[REACHED_COUNT];   /* times reached */
    uint32_t first[REACHED_COUNT];   /* trace line (1-based) of the first time, 0 never */
} reached_counts;

/* Counts the states in the trace at path, for a workload of npay payments.  Returns 0,
** or -1 with one line in err (the file cannot be read, or out of memory). */
int reached_scan(const char *path, uint32_t npay, reached_counts *out, char *err, size_t cap);

/* Counts the states in one trace line (bytes s[len], no newline needed), line number
** lineno; dead is the one-bit-per-payment state of the pass (npay + 1 bits). */
void reached_line(const char *s, size_t len, uint32_t lineno, uint8_t *dead, uint32_t npay,
                  reached_counts *out);

#endif
