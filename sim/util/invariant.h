/*
** invariant.h: the invariants the checker judges: one table of their names, with
** what each means and what a break of it tells, for every part that names them.
**
** The scenario loader checks expect { violated = ..., hold = ... } against the names;
** the checker (sim/check/checker.c) judges them in this order; the report writes the
** meanings into report.html's data; README.md's table "Invariants the checker judges"
** says the same, word for word (test_checker.c compares).  The table sits here, below
** sim/scenario, so that every layer above can include it.
*/
#ifndef SIM_INVARIANT_H
#define SIM_INVARIANT_H

#define INVARIANT_END_STATE 8  /* the first 8 judge the end state; the rest the history */
#define INVARIANT_COUNT 29

typedef struct {
    const char *name;         /* as scenarios, summary.json and scripts spell it */
    const char *means;        /* one line: what must be true */
    const char *broken;       /* for a reader of a broken run: what went wrong, and why */
} invariant_info;

/* The i-th invariant (0 <= i < INVARIANT_COUNT), in the checker's order. */
const invariant_info *invariant_at(int i);
/* Index of the invariant called name, or -1 (NULL too). */
int invariant_index(const char *name);
/* Fills out with the names, in order, then NULL (for lists and suggestions). */
void invariant_names(const char *out[INVARIANT_COUNT + 1]);

#endif
