/*
** history-check.c: runs the history checks (sim/check/history.h) alone on a trace.jsonl,
** for tests/system/history.sh: a real run's trace with one planted fault shows the
** check that fault breaks firing.
**
** usage: history-check TRACE DESIGN NPAY [key=value ...]
** Prints "name count: first violation [lines]" per broken history invariant.  Exits 0
** when none broke, 1 when one did, 2 on bad usage, 3 when the trace cannot be judged.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sim/check/history.h"

static checker_result res;

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: history-check TRACE DESIGN NPAY [key=value ...]\n");
        return 2;
    }
    char err[512];
    history_conf conf;
    long npay = strtol(argv[3], NULL, 10);
    if (npay <= 0 || history_conf_make(&conf, argv[2], (const char *const *)argv + 4, argc - 4,
                                       9999, (uint32_t)npay, err, sizeof err) != 0) {
        fprintf(stderr, "history-check: %s\n", npay <= 0 ? "NPAY must be > 0" : err);
        return 2;
    }
    if (history_run(argv[1], &conf, &res, err, sizeof err) != 0) {
        fprintf(stderr, "history-check: %s\n", err);
        return 3;
    }
    int broken = 0;
    for (int i = INVARIANT_END_STATE; i < INVARIANT_COUNT; i++) {
        const checker_invariant *ci = &res.inv[i];
        if (!ci->count) continue;
        broken = 1;
        printf("%s %u: %s [", invariant_at(i)->name, ci->count, ci->shown[0].text);
        for (int k = 0; k < ci->shown[0].nlines; k++)
            printf("%s%u", k ? " " : "", ci->shown[0].lines[k]);
        printf("]\n");
    }
    return broken;
}
