/*
** lg.c: the Lua generator: scenarios written as Lua text (see lg.h).
*/
#include "lg.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void lg_printf(lg_buf *b, const char *fmt, ...) {
    if (b->overflow) return;
    for (;;) {
        size_t room = b->cap - b->len;
        va_list ap;
        va_start(ap, fmt);
        int n = b->s ? vsnprintf(b->s + b->len, room, fmt, ap) : -2;
        va_end(ap);
        if (n == -1) { b->overflow = 1; return; }
        if (n >= 0 && (size_t)n < room) { b->len += (size_t)n; return; }
        size_t want = b->cap ? b->cap * 2 : 4096;
        while (n >= 0 && want < b->len + (size_t)n + 1) want *= 2;
        char *ns = want <= LG_MAX_TEXT ? realloc(b->s, want) : NULL;
        if (!ns) { b->overflow = 1; return; }
        b->s = ns;
        b->cap = want;
    }
}

void lg_free(lg_buf *b) {
    free(b->s);
    memset(b, 0, sizeof *b);
}

const char *lg_seconds(int64_t us, char *buf, size_t cap) {
    const char *sign = us < 0 ? "-" : "";
    uint64_t a = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    uint64_t whole = a / 1000000, frac = a % 1000000;
    if (!frac) { snprintf(buf, cap, "%s%llu", sign, (unsigned long long)whole); return buf; }
    int digits = 6;
    while (frac % 10 == 0) { frac /= 10; digits--; }
    snprintf(buf, cap, "%s%llu.%0*llu", sign, (unsigned long long)whole, digits,
             (unsigned long long)frac);
    return buf;
}

/* The shortest text that reads back as the same double; whole numbers as integers. */
static const char *number(double v, char *buf, size_t cap) {
    if (v == floor(v) && fabs(v) < 1e15) { snprintf(buf, cap, "%.0f", v); return buf; }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return buf;
    }
    return buf;
}

/* A Lua string literal. */
static const char *quoted(const char *s, char *buf, size_t cap) {
    size_t n = 0;
    if (cap < 3) return "\"\"";
    buf[n++] = '"';
    for (; *s && n + 5 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { buf[n++] = '\\'; buf[n++] = (char)c; }
        else if (c < 0x20 || c == 0x7f) n += (size_t)snprintf(buf + n, cap - n, "\\%03u", c);
        else buf[n++] = (char)c;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

/* "relays=N" and "accounting_instances=M" are topology{}'s (scenario.c, l_topology),
** written back as one topology{}. */
static const char *const TOPOLOGY[][2] = { { "relays=", "relays" },
                                           { "accounting_instances=", "accounting" } };
#define NTOPOLOGY (sizeof TOPOLOGY / sizeof TOPOLOGY[0])

/* Which TOPOLOGY entry knob kv is, or -1. */
static int topology_index(const char *kv) {
    for (size_t i = 0; i < NTOPOLOGY; i++)
        if (strncmp(kv, TOPOLOGY[i][0], strlen(TOPOLOGY[i][0])) == 0) return (int)i;
    return -1;
}

static int topology_knob(const char *kv) { return topology_index(kv) >= 0; }

/* topology { relays = N, accounting = M }, with the fields the knobs say, or nothing. */
static void topology(lg_buf *b, const lg_scenario *s) {
    int n = 0;
    for (size_t t = 0; t < NTOPOLOGY; t++)
        for (int i = 0; i < s->nknobs; i++) {
            if (topology_index(s->knobs[i]) != (int)t) continue;
            lg_printf(b, "%s%s = %s", n++ ? ", " : "topology { ", TOPOLOGY[t][1],
                      s->knobs[i] + strlen(TOPOLOGY[t][0]));
        }
    if (n) lg_printf(b, " }\n");
}

/* knobs = { retry = "linear", retry_base = 2 }: numbers as numbers. */
static void knobs(lg_buf *b, const lg_scenario *s) {
    char q[300];
    int n = 0;
    for (int i = 0; i < s->nknobs; i++) n += !topology_knob(s->knobs[i]);
    if (n == 0) return;
    lg_printf(b, "  knobs    = { ");
    for (int i = 0, k = 0; i < s->nknobs; i++) {
        const char *kv = s->knobs[i], *eq = strchr(kv, '=');
        assert(eq);
        if (topology_knob(kv)) continue;
        const char *val = eq + 1;
        char *end;
        errno = 0;
        double v = strtod(val, &end);
        int numeric = *val && !*end && !errno && isfinite(v);
        lg_printf(b, "%s%.*s = %s", k++ ? ", " : "", (int)(eq - kv), kv,
                  numeric ? val : quoted(val, q, sizeof q));
    }
    lg_printf(b, " },\n");
}

static void workload(lg_buf *b, const lg_scenario *s) {
    char r[40];
    lg_printf(b, "  workload = { payments = %u, rate = %s, amount = { %lld, %lld }, accounts = %u",
              s->payments, number(s->rate, r, sizeof r), (long long)s->amount_min,
              (long long)s->amount_max, s->accounts);
    int n = 0;
    for (uint32_t i = 1; s->refuse && i <= s->payments; i++) {
        if (!s->refuse[i]) continue;
        lg_printf(b, "%s%u", n++ ? ", " : ", refuse = { ", i);
    }
    lg_printf(b, "%s },\n", n ? " }" : "");
}

int lg_scenario_text(lg_buf *b, const lg_scenario *s, char *err, size_t errlen) {
    char q[600], t[40], line[1024];
    for (const char *h = s->header; h && *h;) {
        size_t n = strcspn(h, "\n");
        lg_printf(b, n ? "-- %.*s\n" : "--\n", (int)n, h);
        h += n + (h[n] == '\n');
    }
    lg_printf(b, "scenario {\n  name     = %s,\n  design   = \"%s\",\n",
              quoted(s->name, q, sizeof q), s->design);
    if (s->nknobs) knobs(b, s);
    workload(b, s);
    lg_printf(b, "  run      = %s,\n", lg_seconds(s->run_us, t, sizeof t));
    lg_printf(b, "  settle   = %s,\n}\n", lg_seconds(s->settle_us, t, sizeof t));
    topology(b, s);
    for (int i = 0; i < s->nown_fps; i++)   /* before the faults that may name them */
        lg_printf(b, "%s%s%s", i ? ", " : "failpoints { ", quoted(s->own_fps[i], q, sizeof q),
                  i + 1 == s->nown_fps ? " }\n" : "");
    if (s->nfaults) lg_printf(b, "\n");
    for (int i = 0; i < s->nfaults; i++) {
        const sim_fault *f = &s->faults[i].f;
        if (f->kind <= 0 || f->kind >= FK_KIND_COUNT) {
            snprintf(err, errlen, "fault %d (line %d) is of an unknown kind (%d)", f->id, f->line,
                     (int)f->kind);
            return -1;
        }
        scenario_fault_lua(f, line, sizeof line);
        if (s->faults[i].note[0]) lg_printf(b, "%s   -- %s\n", line, s->faults[i].note);
        else lg_printf(b, "%s\n", line);
    }
    if (s->violated) lg_printf(b, "\nexpect { violated = { \"%s\" } }\n", s->violated);
    else lg_printf(b, "\nexpect { all_invariants = true }\n");
    if (b->overflow) {
        snprintf(err, errlen, "scenario text longer than %u bytes", LG_MAX_TEXT);
        return -1;
    }
    return 0;
}

int lg_write_file(const char *path, const char *text, size_t len) {
    char tmp[1100];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    int bad = fwrite(text, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e ? e : EIO;
        return -1;
    }
    return 0;
}
