/*
** cmd_sweep.c: `outbox-sim sweep` (being written; see issue tracker).
*/
#include <stdio.h>

#include "cmd.h"

int cmd_sweep(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "outbox-sim: sweep is not built yet\n");
    return 2;
}
