/*
** hknobs.c: knobs_applied (see hknobs.h).
*/
#include "hknobs.h"

#include <stdio.h>
#include <string.h>

/* A refusal is exit 2 and one line that names the knob's key. */
static void judge_refusal(history_sink *s, const history_ev *e) {
    uint32_t line = e->line;
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)strcspn(e->target, "="), e->target);
    const char *nl = strchr(e->detail, '\n');
    int one_line = nl != NULL && nl[1] == '\0';
    if (e->exit_code != 2)
        history_flag(s, HI_KNOBS_APPLIED, 0, 0, &line, 1, "%s, given knob %s, exited with "
                     "%lld, not 2 (bad usage)", e->node, e->target, (long long)e->exit_code);
    else if (!one_line)
        history_flag(s, HI_KNOBS_APPLIED, 0, 0, &line, 1, "%s refused knob %s, but not in "
                     "one line: \"%.120s\"", e->node, e->target, e->detail);
    else if (!strstr(e->detail, key))
        history_flag(s, HI_KNOBS_APPLIED, 0, 0, &line, 1, "%s refused knob %s without naming "
                     "'%s': \"%.120s\"", e->node, e->target, key, e->detail);
}

void hknobs_event(history_sink *s, const history_ev *e) {
    uint32_t line = e->line;
    if (!strcmp(e->ev, "config_differs"))
        history_flag(s, HI_KNOBS_APPLIED, 0, 0, &line, 1, "%s %s", e->node, e->detail);
    else if (!strcmp(e->ev, "deploy_accepted") && strcmp(e->result, "not read") != 0)
        history_flag(s, HI_KNOBS_APPLIED, 0, 0, &line, 1, "%s started with knob %s, which "
                     "the configuration refuses: a bad deploy ran", e->node, e->target);
    else if (!strcmp(e->ev, "deploy_refused"))
        judge_refusal(s, e);
}
