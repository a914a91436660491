/*
** history.c: the history checks' driver (see history.h): reads the trace once and hands
** each parsed line to every check.
*/
#include "history.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/json.h"
#include "hbroker.h"
#include "hconsumer.h"
#include "herrors.h"
#include "hknobs.h"
#include "hlease.h"
#include "hordering.h"
#include "hproducer.h"
#include "hrestart.h"

_Static_assert(HI_END == INVARIANT_COUNT, "one history enum value per history invariant");

#define HISTORY_LINE_MAX (1 << 20)   /* a longer trace line is a malformed trace */

static int has_scan(const ox_config *c) {
    return c->design != OX_DESIGN_DIRECT && c->design != OX_DESIGN_OUTBOX_NO_RECOVERY;
}

int history_accounting_instance(const char *node) {
    assert(node != NULL);
    if (strcmp(node, "accounting") == 0) return 0;
    if (strncmp(node, "accounting-", 11) != 0 || node[11] < '1' || node[11] > '9') return -1;
    char *end = NULL;
    long k = strtol(node + 11, &end, 10);
    if (*end != '\0' || k < 2 || k > OX_MAX_INSTANCES) return -1;
    return (int)k - 1;
}

int history_judged(const history_conf *conf, int inv) {
    assert(inv >= INVARIANT_END_STATE);
    assert(inv < HI_END);
    const ox_config *c = &conf->cfg;
    switch (inv) {
    case HI_RETRY_SCHEDULE:
    case HI_DEAD_AFTER_MAX:
    case HI_ALERT_NAMES_ROW:
    case HI_ALERTS_KEPT: return has_scan(c);
    case HI_FINAL_STATES: return c->design != OX_DESIGN_DIRECT;   /* no rows to move */
    case HI_CLEANUP_FINAL_ONLY:
        return (has_scan(c) && c->cleanup_after_ms > 0)
               || (c->design != OX_DESIGN_DIRECT && c->completion != OX_COMPLETE_MARK);
    case HI_ORDERING: return ox_design_claims_ordering(c->design);
    case HI_DELIVERED: return c->delivery == OX_AT_LEAST_ONCE;
    case HI_LEASE_HELD:
    case HI_LEASE_EXCLUSIVE:
    case HI_OWNED_SENT: return c->relays > 0 && has_scan(c);
    default: return 1;
    }
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void history_unreadable(history_sink *s, const history_ev *e) {
    checker_result *o = s->out;
    if (o->unreadable > 0 && o->unreadable_line == e->line) return;   /* two checks read it */
    if (o->unreadable++ == 0)
        snprintf(o->unreadable_first, sizeof o->unreadable_first,
                 "line %u, %s's %s note: \"%.120s\"", e->line, e->node, e->kind, e->detail);
    o->unreadable_line = e->line;
}

void history_flag(history_sink *s, int inv, uint64_t pay, uint64_t msg, const uint32_t *lines,
                  int nlines, const char *fmt, ...) {
    assert(inv >= INVARIANT_END_STATE);
    assert(inv < HI_END);
    assert(nlines >= 0);
    checker_invariant *ci = &s->out->inv[inv];
    if (ci->skipped) return;   /* judged only where the design claims it */
    ci->count++;
    assert(ci->count > 0);
    if (ci->nshown >= CHECKER_MAX_SHOWN) return;
    checker_violation *v = &ci->shown[ci->nshown++];
    memset(v, 0, sizeof *v);
    v->pay_id = pay;
    v->msg_id = msg;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->text, sizeof v->text, fmt, ap);
    va_end(ap);
    for (int i = 0; i < nlines && v->nlines < CHECKER_MAX_LINES; i++)
        if (lines[i] > 0) v->lines[v->nlines++] = lines[i];
    qsort(v->lines, (size_t)v->nlines, sizeof v->lines[0], cmp_u32);
}

int history_conf_make(history_conf *conf, const char *design, const char *const *knobs,
                      int nknobs, int64_t frozen_default, uint32_t npay, char *err, size_t cap) {
    memset(conf, 0, sizeof *conf);
    ox_config_default(&conf->cfg);
    conf->npay = npay;
    if (ox_design_parse(design, &conf->cfg.design) != 0) {
        snprintf(err, cap, "unknown design '%s'", design);
        return -1;
    }
    int frozen_set = 0;
    for (int i = 0; i < nknobs; i++) {
        if (ox_config_set_kv(&conf->cfg, knobs[i], err, cap) != 0) return -1;
        if (!strncmp(knobs[i], "frozen=", 7)) frozen_set = 1;
    }
    if (!frozen_set && frozen_default >= 0) {
        char kv[40];
        snprintf(kv, sizeof kv, "frozen=%lld", (long long)frozen_default);
        if (ox_config_set_kv(&conf->cfg, kv, err, cap) != 0) return -1;
    }
    return 0;
}

/* ---- one line ---- */

static const char *str_of(const json_t *o, const char *key) {
    const char *s = json_r_str(o, key);
    return s ? s : "";
}

static int parse_line(json_t *o, uint32_t line, history_ev *e) {
    memset(e, 0, sizeof *e);
    e->line = line;
    double t = 0;
    if (json_r_num(o, "t", &t) != 0) return -1;
    e->t_us = llround(t * 1e6);
    e->ev = str_of(o, "ev");
    e->node = str_of(o, "node");
    e->kind = str_of(o, "kind");
    e->label = str_of(o, "label");
    e->queue = str_of(o, "queue");
    e->detail = str_of(o, "detail");
    e->target = str_of(o, "target");
    e->fate = str_of(o, "fate");
    e->from = str_of(o, "from");
    e->to = str_of(o, "to");
    e->ctl = str_of(o, "ctl");
    e->result = str_of(o, "result");
    e->op = str_of(o, "op");
    e->file = str_of(o, "file");
    e->error = str_of(o, "error");
    e->has_pay = json_r_uint(o, "pay", &e->pay) == 0;
    e->has_msg = json_r_uint(o, "msg", &e->msg) == 0;
    e->has_delivery = json_r_uint(o, "delivery", &e->delivery) == 0;
    json_r_int(o, "account", &e->account);
    json_r_int(o, "amount", &e->amount);
    json_r_int(o, "exit", &e->exit_code);
    json_r_int(o, "id", &e->timer_id);
    return 0;
}

/* ---- the fast path: a flat trace line, parsed in place ---- */

/* Unescapes the JSON string at *pp (after its opening quote) in place; *pp moves past
** the closing quote.  Returns the string, or NULL if malformed. */
static char *flat_string(char **pp) {
    char *r = *pp, *w = *pp, *start = *pp;
    while (*r && *r != '"') {
        if (*r != '\\') { *w++ = *r++; continue; }
        r++;
        char c = *r++;
        if (c == 'n') *w++ = '\n';
        else if (c == 't') *w++ = '\t';
        else if (c == 'r') *w++ = '\r';
        else if (c == 'b') *w++ = '\b';
        else if (c == 'f') *w++ = '\f';
        else if (c == 'u') {
            unsigned v = 0;
            for (int i = 0; i < 4; i++, r++) {
                int d = isxdigit((unsigned char)*r) ? (isdigit((unsigned char)*r) ? *r - '0'
                        : (tolower((unsigned char)*r) - 'a' + 10)) : -1;
                if (d < 0) return NULL;
                v = v << 4 | (unsigned)d;
            }
            if (v < 0x80) *w++ = (char)v;
            else if (v < 0x800) { *w++ = (char)(0xC0 | v >> 6); *w++ = (char)(0x80 | (v & 63)); }
            else {   /* 6 bytes of escape become at most 3 */
                *w++ = (char)(0xE0 | v >> 12);
                *w++ = (char)(0x80 | ((v >> 6) & 63));
                *w++ = (char)(0x80 | (v & 63));
            }
        } else if (c) *w++ = c;   /* \" \\ \/ */
        else return NULL;
    }
    if (*r != '"') return NULL;
    *w = '\0';
    *pp = r + 1;
    return start;
}

/* "12.345678" as microseconds, exactly (the trace's times have six decimals). */
static int flat_time(const char *v, int64_t *us) {
    int64_t whole = 0, frac = 0;
    int nf = 0;
    if (!isdigit((unsigned char)*v)) return -1;
    for (; isdigit((unsigned char)*v); v++) whole = whole * 10 + (*v - '0');
    if (*v == '.')
        for (v++; isdigit((unsigned char)*v); v++)
            if (nf < 6) { frac = frac * 10 + (*v - '0'); nf++; }
    for (; nf < 6; nf++) frac *= 10;
    *us = whole * 1000000 + frac;
    return 0;
}

static void flat_field(history_ev *e, const char *k, const char *v, int quoted) {
    static const struct { const char *key; size_t off; } STR[] = {
        { "ev", offsetof(history_ev, ev) }, { "node", offsetof(history_ev, node) },
        { "kind", offsetof(history_ev, kind) }, { "label", offsetof(history_ev, label) },
        { "queue", offsetof(history_ev, queue) }, { "detail", offsetof(history_ev, detail) },
        { "target", offsetof(history_ev, target) }, { "fate", offsetof(history_ev, fate) },
        { "from", offsetof(history_ev, from) }, { "to", offsetof(history_ev, to) },
        { "ctl", offsetof(history_ev, ctl) }, { "result", offsetof(history_ev, result) },
        { "op", offsetof(history_ev, op) }, { "file", offsetof(history_ev, file) },
        { "error", offsetof(history_ev, error) },
    };
    if (quoted) {
        for (size_t i = 0; i < sizeof STR / sizeof STR[0]; i++)
            if (!strcmp(k, STR[i].key)) *(const char **)((char *)e + STR[i].off) = v;
        return;
    }
    if (!strcmp(k, "t")) flat_time(v, &e->t_us);
    else if (!strcmp(k, "pay")) { e->pay = strtoull(v, NULL, 10); e->has_pay = 1; }
    else if (!strcmp(k, "msg")) { e->msg = strtoull(v, NULL, 10); e->has_msg = 1; }
    else if (!strcmp(k, "delivery")) { e->delivery = strtoull(v, NULL, 10); e->has_delivery = 1; }
    else if (!strcmp(k, "account")) e->account = strtoll(v, NULL, 10);
    else if (!strcmp(k, "amount")) e->amount = strtoll(v, NULL, 10);
    else if (!strcmp(k, "exit")) e->exit_code = strtoll(v, NULL, 10);
    else if (!strcmp(k, "id")) e->timer_id = strtoll(v, NULL, 10);
}

static void ev_defaults(history_ev *e, uint32_t line) {
    memset(e, 0, sizeof *e);
    e->line = line;
    e->ev = e->node = e->kind = e->label = e->queue = e->detail = "";
    e->target = e->fate = e->from = e->to = e->ctl = e->result = e->op = e->file = "";
    e->error = "";
}

/* Parses a flat object line {"k":v,...} in place.  Returns 1 parsed, 0 not flat (a
** nested value: jansson reads it), -1 malformed. */
static int flat_parse(char *buf, uint32_t line, history_ev *e) {
    ev_defaults(e, line);
    char *p = buf;
    if (*p++ != '{') return -1;
    int has_t = 0;
    while (*p == '"') {
        p++;
        char *k = flat_string(&p);
        if (!k || *p++ != ':') return -1;
        if (*p == '{' || *p == '[') return 0;
        if (*p == '"') {
            p++;
            char *v = flat_string(&p);
            if (!v) return -1;
            flat_field(e, k, v, 1);
        } else {
            char *v = p;
            while (*p && *p != ',' && *p != '}') p++;
            char end = *p;
            *p = '\0';
            flat_field(e, k, v, 0);
            has_t |= !strcmp(k, "t");
            *p = end;
        }
        if (*p == ',') p++;
    }
    return *p == '}' && has_t ? 1 : -1;
}

typedef struct {
    hproducer *p;
    hconsumer *c;
    hbroker *b;
    hrestart *r;
    hordering *o;
    hlease *l;
    herrors *x;
} checks;

static void each(checks *k, history_sink *s, const history_ev *e) {
    hproducer_event(k->p, s, e);
    hconsumer_event(k->c, s, e);
    hbroker_event(k->b, s, e);
    hrestart_event(k->r, s, e, k->p, k->b, k->c);
    hordering_event(k->o, s, e);
    hlease_event(k->l, s, e);
    herrors_event(k->x, s, e);
    hknobs_event(s, e);
}

static int read_all(FILE *f, const char *path, checks *k, history_sink *s, char *err,
                    size_t cap) {
    char *buf = malloc(HISTORY_LINE_MAX), *work = malloc(HISTORY_LINE_MAX);
    if (!buf || !work) {
        free(buf);
        free(work);
        snprintf(err, cap, "%s: out of memory", path);
        return -1;
    }
    uint32_t line = 0;
    int rc = 0;
    while (rc == 0 && fgets(buf, HISTORY_LINE_MAX, f)) {
        line++;
        size_t len = strlen(buf);
        if (len == 0 || buf[len - 1] != '\n') {
            snprintf(err, cap, "%s:%u: line too long or cut", path, line);
            rc = -1;
            break;
        }
        history_ev e;
        memcpy(work, buf, len);   /* parsed in place: buf stays whole for jansson */
        work[len - 1] = '\0';
        int flat = flat_parse(work, line, &e);
        if (flat == 1) { each(k, s, &e); continue; }
        json_error_t je;
        json_t *o = flat == 0 ? json_loadb(buf, len, 0, &je) : NULL;
        if (!o || !json_is_object(o) || parse_line(o, line, &e) != 0) {
            snprintf(err, cap, "%s:%u: not a trace line", path, line);
            rc = -1;
        } else {
            each(k, s, &e);
        }
        json_decref(o);
    }
    if (rc == 0 && ferror(f)) { snprintf(err, cap, "%s: read error", path); rc = -1; }
    free(buf);
    free(work);
    return rc;
}

int history_run(const char *trace_path, const history_conf *conf, checker_result *out,
                char *err, size_t cap) {
    assert(conf != NULL);
    assert(out != NULL);
    for (int i = INVARIANT_END_STATE; i < HI_END; i++) {
        out->inv[i].skipped = !history_judged(conf, i);
        assert(out->inv[i].count == 0);
    }
    FILE *f = fopen(trace_path, "r");
    if (!f) {
        snprintf(err, cap, "%s: %s", trace_path, strerror(errno));
        return -1;
    }
    history_sink s = { .conf = conf, .out = out };
    checks k = { hproducer_new(conf), hconsumer_new(conf), hbroker_new(conf),
                 hrestart_new(conf), hordering_new(conf), hlease_new(conf), herrors_new() };
    int rc = 0;
    if (!k.p || !k.c || !k.b || !k.r || !k.o || !k.l || !k.x) {
        snprintf(err, cap, "%s: out of memory", trace_path);
        rc = -1;
    }
    if (rc == 0) rc = read_all(f, trace_path, &k, &s, err, cap);
    if (rc == 0) {
        hproducer_end(k.p, &s);
        hconsumer_end(k.c, &s);
        hbroker_end(k.b, &s);
        hlease_end(k.l, &s);
        herrors_end(k.x, &s);
    }
    fclose(f);
    hproducer_free(k.p);
    hconsumer_free(k.c);
    hbroker_free(k.b);
    hrestart_free(k.r);
    hordering_free(k.o);
    hlease_free(k.l);
    herrors_free(k.x);
    return rc;
}
