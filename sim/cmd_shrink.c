/*
** cmd_shrink.c: `outbox-sim shrink` (being written; see issue tracker).
*/
#include <stdio.h>

#include "cmd.h"

int cmd_shrink(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "outbox-sim: shrink is not built yet\n");
    return 2;
}
