/*
** cmd_matrix.c: `outbox-sim matrix` (being written; see issue tracker).
*/
#include <stdio.h>

#include "cmd.h"

int cmd_matrix(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "outbox-sim: matrix is not built yet\n");
    return 2;
}
