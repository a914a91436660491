/*
** knobs.c: a service's "config" note against the knobs it was given (see knobs.h).
*/
#include "knobs.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/config.h"
#include "world_loop.h"

/* What node's arguments resolve to, as ox_config_format spells it.  0, or -1 with err. */
static int expected(const sim_proc *p, ox_role role, char *out, size_t cap, char *err,
                    size_t errlen) {
    ox_config c;
    ox_config_default(&c);
    for (int i = 1; i + 1 < p->argc; i++) {
        const char *flag = p->argv[i], *v = p->argv[i + 1];
        if (!strcmp(flag, "--design") && ox_design_parse(v, &c.design) != 0) {
            snprintf(err, errlen, "design '%s'", v);
            return -1;
        }
        if (!strcmp(flag, "--seed")) c.seed = strtoull(v, NULL, 10);
        if (!strcmp(flag, "--knob") && ox_config_set_kv(&c, v, err, errlen) != 0) return -1;
    }
    ox_config_resolve(&c, role);
    if (ox_config_format(&c, role, out, cap) < 0) {
        snprintf(err, errlen, "the configuration does not fit in %zu bytes", cap);
        return -1;
    }
    return 0;
}

/* The first word (at a space) where a and b differ, into *wa and *wb with their
** lengths; 0 when they are the same. */
static int first_difference(const char *a, const char *b, const char **wa, int *na,
                            const char **wb, int *nb) {
    while (*a || *b) {
        size_t la = strcspn(a, " "), lb = strcspn(b, " ");
        if (la != lb || memcmp(a, b, la) != 0) {
            *wa = a;
            *na = (int)la;
            *wb = b;
            *nb = (int)lb;
            return 1;
        }
        a += la + (a[la] == ' ');
        b += lb + (b[lb] == ' ');
    }
    return 0;
}

/* 1 if `key` (n bytes) is a key of the words of `text`. */
static int has_key(const char *text, const char *key, size_t n) {
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, " ");
        if (len > n && p[n] == '=' && memcmp(p, key, n) == 0) return 1;
        p += len + (p[len] == ' ');
    }
    return 0;
}

/* 1 if `key` (n bytes) is a knob of lib/config.h's table: every knob is read by some
** role, so it is a key of some role's ox_config_format. */
static int known_knob(const char *key, size_t n) {
    ox_config c;
    ox_config_default(&c);
    char text[OX_CONFIG_TEXT_MAX + 1];
    for (int r = 0; r < OX_ROLE_COUNT; r++) {
        int len = ox_config_format(&c, (ox_role)r, text, sizeof text);
        assert(len > 0);
        if (has_key(text, key, n)) return 1;
    }
    return 0;
}

int knobs_must_refuse(const sim_world *w, int node, const char *kv) {
    assert(node >= 0 && node < SIM_MAX_NODES);
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) return 1;   /* not key=value */
    const char *key = kv, *dot = memchr(kv, '.', (size_t)(eq - kv));
    if (dot) {   /* a role prefix: only on these three, and only a role's name */
        static const char *const PER_ROLE[] = { "synchronous", "journal_mode", "durable_send" };
        ox_role r;
        char role[16];
        int ok = 0;
        snprintf(role, sizeof role, "%.*s", (int)(dot - kv), kv);
        for (int i = 0; i < 3; i++)
            ok |= (size_t)(eq - dot - 1) == strlen(PER_ROLE[i]) &&
                  !memcmp(dot + 1, PER_ROLE[i], strlen(PER_ROLE[i]));
        if (!ok || (size_t)(dot - kv) >= sizeof role || ox_role_parse(role, &r) != 0) return 1;
        key = dot + 1;
    }
    size_t n = (size_t)(eq - key);
    if (!known_knob(key, n)) return 1;
    return has_key(w->said_config[node], key, n);
}

int knobs_compare(sim_world *w, int node, const char *said) {
    assert(node >= 0 && node < SIM_MAX_NODES);
    assert(said != NULL);
    const sim_proc *p = &w->nodes[node];
    char want[OX_CONFIG_TEXT_MAX + 1], err[1024];
    snprintf(w->said_config[node], sizeof w->said_config[node], "%s", said);
    if (expected(p, scenario_node_role(node), want, sizeof want, err, sizeof err) != 0)
        return world_fail(w, OX_EXIT_HARNESS, "%s was started with knobs the configuration "
                          "refuses: %s", p->name, err);
    const char *ws = NULL, *ww = NULL;
    int ns = 0, nw = 0;
    if (!first_difference(said, want, &ws, &ns, &ww, &nw)) return 0;
    char detail[300];
    if (ns == 0) snprintf(detail, sizeof detail, "does not say %.*s", nw, ww);
    else if (nw == 0) snprintf(detail, sizeof detail, "says %.*s, which is no knob of its "
                               "role", ns, ws);
    else snprintf(detail, sizeof detail, "runs with %.*s where its knobs give %.*s", ns, ws,
                  nw, ww);
    trace_begin(&w->trace, w->now, "config_differs");
    trace_str(&w->trace, "node", p->name);
    trace_int(&w->trace, "life", p->life);
    trace_str(&w->trace, "detail", detail);
    trace_end(&w->trace);
    return 0;
}
