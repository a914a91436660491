/*
** cmd_explore.c: `outbox-sim explore` (being written; see issue tracker).
*/
#include <stdio.h>

#include "cmd.h"

int cmd_explore(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "outbox-sim: explore is not built yet\n");
    return 2;
}
