/*
** exit.h: the exit codes of the project's three programs (outbox-sim, outbox-node and
** outbox-ctl), one table for all, since scripts and CI read them.
**
** What each code means for each program is in docs/design.md, "Exit codes".
*/
#ifndef PROTO_EXIT_H
#define PROTO_EXIT_H

typedef enum {
    OX_EXIT_OK = 0,      /* done: the expectations met, the command carried out */
    OX_EXIT_FAIL = 1,    /* the answer is no: an invariant broke, a row is missing */
    OX_EXIT_USAGE = 2,   /* bad input: flags, a scenario, a database not ours */
    OX_EXIT_HARNESS = 3  /* the program itself failed: a process, a file, a signal */
} ox_exit;

#endif
