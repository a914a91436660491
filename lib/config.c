/*
** config.c: defaults, the "key=value" knob parser and the design names of config.h.
**
** Every knob is one row of KNOBS: its name and a small setter that parses the text,
** checks the range documented in config.h and only then stores the value, so a
** rejected value leaves the config as it was.  Errors are one line, naming the knob,
** what it expects and what it got.  Parsers accept exactly the whole string: no
** leading blanks, no trailing junk, no "inf"/"nan".
*/
#include "config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- designs ---- */

static const char *const DESIGNS[OX_DESIGN_COUNT] = {
    "outbox", "direct", "publish-in-tx", "outbox-no-recovery",
    "outbox-no-dedupe", "mark-on-publish", "ack-before-apply", "resend-every-scan",
    "retries-not-attempts", "ok-before-commit", "alert-outside-tx", "cleanup-by-age",
    "ordered", "ordered-naive",
    "alert-stale-payment", "answer-unguarded", "limit-inclusive", "cleanup-takes-alerts",
    "auto-ack", "forget-unacked-on-restart", "redeliver-early",
    "relay-no-lease", "relay-short-lease", "relay-zombie",
    "dedupe-per-instance",
    "relay-skewed-clock",
    "swallow-error",
    "scan-newest-first",
    "lookup-left-open",
};

const char *ox_design_name(ox_design d) {
    return (unsigned)d < OX_DESIGN_COUNT ? DESIGNS[d] : "?";
}

int ox_design_parse(const char *name, ox_design *d) {
    assert(name);
    assert(d);
    for (int i = 0; i < OX_DESIGN_COUNT; i++) {
        if (strcmp(name, DESIGNS[i]) == 0) { *d = (ox_design)i; return 0; }
    }
    return -1;
}

const char *ox_design_names(void) {
    return "outbox, direct, publish-in-tx, outbox-no-recovery, outbox-no-dedupe, "
           "mark-on-publish, ack-before-apply, resend-every-scan, retries-not-attempts, "
           "ok-before-commit, alert-outside-tx, cleanup-by-age, ordered, ordered-naive"
           ", alert-stale-payment, answer-unguarded, limit-inclusive, cleanup-takes-alerts"
           ", auto-ack, forget-unacked-on-restart, redeliver-early"
           ", relay-no-lease, relay-short-lease, relay-zombie"
           ", dedupe-per-instance, relay-skewed-clock, swallow-error, scan-newest-first"
           ", lookup-left-open";
}

int ox_design_claims_ordering(ox_design d) {
    return d == OX_DESIGN_ORDERED || d == OX_DESIGN_ORDERED_NAIVE;
}

void ox_config_default(ox_config *c) {
    assert(c);
    memset(c, 0, sizeof *c);
    c->design = OX_DESIGN_OUTBOX;
    c->retry = OX_RETRY_LINEAR;
    c->retry_base_ms = 2000;
    c->retry_max_ms = 60000;
    c->jitter = 0.0;
    c->max_attempts = 8;
    c->scan_interval_ms = 1000;
    c->scan_batch = 100;
    c->delivery = OX_AT_LEAST_ONCE;
    c->durable = 0;
    c->visibility_ms = 5000;
    c->prefetch = 100;
    c->lease_ms = 10000;
    c->lease_skew_ms = 1000;
    c->relay_rtt_ms = 20;
    snprintf(c->owner, sizeof c->owner, "relay");
    c->synchronous = OX_SYNC_NORMAL;
    c->journal_mode = OX_JOURNAL_WAL;
    c->durable_send = 0;
    memset(c->role_sync, -1, sizeof c->role_sync);
    memset(c->role_journal, -1, sizeof c->role_journal);
    memset(c->role_durable_send, -1, sizeof c->role_durable_send);
    c->max_amount = 100000000;
    c->nfrozen = 0;
    c->cleanup_after_ms = 0;
    c->seed = 0;
    c->inbox_retention_ms = 0;
    c->completion = OX_COMPLETE_MARK;
    c->accounting_instances = 1;
}

/* ---- text parsers: 0 and *out, or -1 ---- */

static int parse_double(const char *v, double *out) {
    if (!*v || isspace((unsigned char)*v)) return -1;
    errno = 0;
    char *end;
    double d = strtod(v, &end);
    if (*end || errno || !isfinite(d)) return -1;
    *out = d;
    return 0;
}

static int parse_i64(const char *v, int64_t *out) {
    if (!*v || isspace((unsigned char)*v)) return -1;
    errno = 0;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (*end || errno) return -1;
    *out = (int64_t)x;
    return 0;
}

static int parse_u64(const char *v, uint64_t *out) {
    if (!*v || !isdigit((unsigned char)*v)) return -1;   /* strtoull takes "-1" */
    int base = (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) ? 16 : 10;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(v, &end, base);
    if (*end || errno || end == v + (base == 16 ? 2 : 0)) return -1;
    *out = (uint64_t)x;
    return 0;
}

/* Seconds (fractions allowed) as milliseconds; a billion seconds keeps the
** arithmetic on times far from overflow. */
static int parse_ms(const char *v, int allow_zero, int64_t *out) {
    double d;
    if (parse_double(v, &d) || d > 1e9) return -1;
    int64_t ms = (int64_t)llround(d * 1000.0);
    if (d < 0 || ms < 0 || (ms == 0 && !(allow_zero && d == 0))) return -1;
    *out = ms;
    return 0;
}

/* ---- setters, one per knob ---- */

typedef int (*setter)(ox_config *c, const char *v);

static int set_design(ox_config *c, const char *v) { return ox_design_parse(v, &c->design); }

static int set_retry(ox_config *c, const char *v) {
    if (strcmp(v, "linear") == 0) c->retry = OX_RETRY_LINEAR;
    else if (strcmp(v, "exponential") == 0) c->retry = OX_RETRY_EXPONENTIAL;
    else return -1;
    return 0;
}

static int set_delivery(ox_config *c, const char *v) {
    if (strcmp(v, "at-least-once") == 0) c->delivery = OX_AT_LEAST_ONCE;
    else if (strcmp(v, "at-most-once") == 0) c->delivery = OX_AT_MOST_ONCE;
    else return -1;
    return 0;
}

static const char *const SYNCS[] = { "off", "normal", "full", "extra", NULL };
static const char *const JOURNALS[] = { "wal", "delete", NULL };

const char *ox_sync_name(ox_sync s) { return (unsigned)s <= OX_SYNC_EXTRA ? SYNCS[s] : "?"; }
const char *ox_journal_name(ox_journal j) {
    return (unsigned)j <= OX_JOURNAL_DELETE ? JOURNALS[j] : "?";
}

/* The index of v in names, or -1. */
static int name_index(const char *const *names, const char *v) {
    for (int i = 0; names[i]; i++)
        if (strcmp(v, names[i]) == 0) return i;
    return -1;
}

static int set_synchronous(ox_config *c, const char *v) {
    int i = name_index(SYNCS, v);
    if (i < 0) return -1;
    c->synchronous = (ox_sync)i;
    return 0;
}

static int set_journal_mode(ox_config *c, const char *v) {
    int i = name_index(JOURNALS, v);
    if (i < 0) return -1;
    c->journal_mode = (ox_journal)i;
    return 0;
}

static int set_retry_base(ox_config *c, const char *v) { return parse_ms(v, 0, &c->retry_base_ms); }
static int set_retry_max(ox_config *c, const char *v) { return parse_ms(v, 0, &c->retry_max_ms); }
static int set_scan_interval(ox_config *c, const char *v) {
    return parse_ms(v, 0, &c->scan_interval_ms);
}
static int set_visibility(ox_config *c, const char *v) { return parse_ms(v, 0, &c->visibility_ms); }
static int set_cleanup_after(ox_config *c, const char *v) {
    return parse_ms(v, 1, &c->cleanup_after_ms);
}

static int set_jitter(ox_config *c, const char *v) {
    double d;
    if (parse_double(v, &d) || d < 0 || d > 1) return -1;
    c->jitter = d;
    return 0;
}

static int set_int(int *field, const char *v, int64_t lo, int64_t hi) {
    int64_t x;
    if (parse_i64(v, &x) || x < lo || x > hi) return -1;
    *field = (int)x;
    return 0;
}

static int set_max_attempts(ox_config *c, const char *v) {
    return set_int(&c->max_attempts, v, 1, 1000);
}
static int set_scan_batch(ox_config *c, const char *v) {
    return set_int(&c->scan_batch, v, 1, 10000);
}
static int set_prefetch(ox_config *c, const char *v) { return set_int(&c->prefetch, v, 1, 10000); }
static int set_durable(ox_config *c, const char *v) { return set_int(&c->durable, v, 0, 1); }
static int set_durable_send(ox_config *c, const char *v) {
    return set_int(&c->durable_send, v, 0, 1);
}

static int set_max_amount(ox_config *c, const char *v) {
    int64_t x;
    if (parse_i64(v, &x) || x <= 0) return -1;
    c->max_amount = x;
    return 0;
}

static int set_seed(ox_config *c, const char *v) { return parse_u64(v, &c->seed); }

static int set_inbox_retention(ox_config *c, const char *v) {
    return parse_ms(v, 1, &c->inbox_retention_ms);
}

static int set_relays(ox_config *c, const char *v) { return set_int(&c->relays, v, 0, 8); }
static int set_lease(ox_config *c, const char *v) { return parse_ms(v, 0, &c->lease_ms); }
/* An hour at most: a margin longer than that is a lease nobody gets back, not a margin. */
static int set_lease_skew(ox_config *c, const char *v) {
    int64_t ms;
    if (parse_ms(v, 1, &ms) || ms > 3600 * 1000) return -1;
    c->lease_skew_ms = ms;
    return 0;
}
static int set_relay_rtt(ox_config *c, const char *v) { return parse_ms(v, 0, &c->relay_rtt_ms); }

/* A relay's name: letters, digits, '-' and '_', 1..23 of them (it is written into rows
** and notes, so nothing that needs quoting). */
static int set_owner(ox_config *c, const char *v) {
    size_t n = strlen(v);
    if (n == 0 || n >= sizeof c->owner) return -1;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)v[i]) && v[i] != '-' && v[i] != '_') return -1;
    memcpy(c->owner, v, n + 1);
    return 0;
}

static const char *const COMPLETIONS[] = { "mark", "delete", "archive", NULL };

const char *ox_completion_name(ox_completion m) {
    return (unsigned)m <= OX_COMPLETE_ARCHIVE ? COMPLETIONS[m] : "?";
}

static int set_completion(ox_config *c, const char *v) {
    int i = name_index(COMPLETIONS, v);
    if (i < 0) return -1;
    c->completion = (ox_completion)i;
    return 0;
}

/* A comma list of u32 account numbers; "" clears it.  Parsed into a copy first, so a
** bad list changes nothing. */
static int set_frozen(ox_config *c, const char *v) {
    uint32_t acc[OX_MAX_FROZEN];
    int n = 0;
    const char *p = v;
    while (*p) {
        if (n == OX_MAX_FROZEN || !isdigit((unsigned char)*p)) return -1;
        errno = 0;
        char *end;
        unsigned long long x = strtoull(p, &end, 10);
        if (errno || x > UINT32_MAX || (*end && *end != ',')) return -1;
        acc[n++] = (uint32_t)x;
        p = *end ? end + 1 : end;
        if (*end && !*p) return -1;          /* a trailing comma */
    }
    memcpy(c->frozen, acc, sizeof acc[0] * (size_t)n);
    c->nfrozen = n;
    return 0;
}

typedef struct {
    const char *name;
    setter set;
    const char *expects;    /* for the error line */
} knob;

static int set_accounting_instances(ox_config *c, const char *v) {
    return set_int(&c->accounting_instances, v, 1, OX_MAX_INSTANCES);
}

static const knob KNOBS[] = {
    { "design", set_design, "a design name (outbox, direct, publish-in-tx, outbox-no-recovery, "
                            "outbox-no-dedupe, mark-on-publish, ack-before-apply, "
                            "resend-every-scan, retries-not-attempts, ok-before-commit, "
                            "alert-outside-tx, cleanup-by-age, ordered, ordered-naive"
                            ", alert-stale-payment, answer-unguarded, limit-inclusive"
                            ", cleanup-takes-alerts, auto-ack, forget-unacked-on-restart"
                            ", redeliver-early, relay-no-lease, relay-short-lease"
                            ", relay-zombie, dedupe-per-instance, relay-skewed-clock"
                            ", swallow-error, scan-newest-first, lookup-left-open)" },
    { "retry", set_retry, "linear or exponential" },
    { "retry_base", set_retry_base, "seconds > 0" },
    { "retry_max", set_retry_max, "seconds > 0" },
    { "jitter", set_jitter, "a fraction 0..1" },
    { "max_attempts", set_max_attempts, "an integer 1..1000" },
    { "scan_interval", set_scan_interval, "seconds > 0" },
    { "scan_batch", set_scan_batch, "an integer 1..10000" },
    { "delivery", set_delivery, "at-least-once or at-most-once" },
    { "durable", set_durable, "0 or 1" },
    { "visibility", set_visibility, "seconds > 0" },
    { "prefetch", set_prefetch, "an integer 1..10000" },
    { "synchronous", set_synchronous, "off, normal, full or extra" },
    { "journal_mode", set_journal_mode, "wal or delete" },
    { "durable_send", set_durable_send, "0 or 1" },
    { "max_amount", set_max_amount, "cents > 0" },
    { "frozen", set_frozen, "a comma list of up to 16 account numbers" },
    { "cleanup_after", set_cleanup_after, "seconds >= 0" },
    { "seed", set_seed, "an unsigned 64-bit integer" },
    { "inbox_retention", set_inbox_retention, "seconds >= 0" },
    { "completion", set_completion, "mark, delete or archive" },
    { "relays", set_relays, "an integer 0..8" },
    { "lease", set_lease, "seconds > 0" },
    { "lease_skew", set_lease_skew, "seconds 0..3600" },
    { "relay_rtt", set_relay_rtt, "seconds > 0" },
    { "owner", set_owner, "a name of 1..23 letters, digits, '-' or '_'" },
    { "accounting_instances", set_accounting_instances, "an integer 1..16" },
};
#define NKNOBS (sizeof KNOBS / sizeof KNOBS[0])

static void unknown_knob(const char *key, char *err, size_t errlen) {
    int n = snprintf(err, errlen, "unknown knob '%s' (known:", key);
    for (size_t i = 0; i < NKNOBS && n >= 0 && (size_t)n < errlen; i++) {
        n += snprintf(err + n, errlen - (size_t)n, "%s %s", i ? "," : "", KNOBS[i].name);
    }
    if (n >= 0 && (size_t)n < errlen) snprintf(err + n, errlen - (size_t)n, ")");
}

/* ---- per-role knobs: "payment.synchronous=full" ---- */

/* The override slot of a role-prefixed key, or NULL (not prefixed, or *bad set: a known
** role with a knob that cannot be set per role, or an unknown prefix). */
static int8_t *role_slot(ox_config *c, const char *key, const char **knob_name, int *bad) {
    const char *dot = strchr(key, '.');
    *bad = 0;
    if (!dot) return NULL;
    char role[16];
    size_t n = (size_t)(dot - key);
    ox_role r;
    *knob_name = dot + 1;
    if (n >= sizeof role) { *bad = 1; return NULL; }
    memcpy(role, key, n);
    role[n] = '\0';
    if (ox_role_parse(role, &r) != 0) { *bad = 1; return NULL; }
    assert((unsigned)r < OX_ROLE_COUNT);
    if (strcmp(dot + 1, "synchronous") == 0) return &c->role_sync[r];
    if (strcmp(dot + 1, "journal_mode") == 0) return &c->role_journal[r];
    if (strcmp(dot + 1, "durable_send") == 0) return &c->role_durable_send[r];
    *bad = 1;
    return NULL;
}

/* Parses value on a scratch copy with the unprefixed knob's setter, so the error line and
** the ranges are the same, and keeps the result only in the role's slot. */
static int set_role_knob(ox_config *c, const char *key, const char *value, char *err,
                         size_t errlen) {
    const char *name = NULL;
    int bad = 0;
    int8_t *slot = role_slot(c, key, &name, &bad);
    if (!slot) {
        if (errlen)
            snprintf(err, errlen, "%s: only synchronous, journal_mode and durable_send take a "
                     "role prefix (payment., broker., accounting.)", key);
        return -1;
    }
    ox_config tmp = *c;
    char why[256];
    if (ox_config_set(&tmp, name, value, why, sizeof why) != 0) {
        if (errlen) snprintf(err, errlen, "%.*s%s", (int)(name - key), key, why);
        return -1;
    }
    if (strcmp(name, "synchronous") == 0) *slot = (int8_t)tmp.synchronous;
    else if (strcmp(name, "journal_mode") == 0) *slot = (int8_t)tmp.journal_mode;
    else *slot = (int8_t)tmp.durable_send;
    assert(*slot >= 0);
    return 0;
}

void ox_config_resolve(ox_config *c, ox_role role) {
    assert(c);
    assert((unsigned)role < OX_ROLE_COUNT);
    if (c->role_sync[role] >= 0) c->synchronous = (ox_sync)c->role_sync[role];
    if (c->role_journal[role] >= 0) c->journal_mode = (ox_journal)c->role_journal[role];
    if (c->role_durable_send[role] >= 0) c->durable_send = c->role_durable_send[role];
    memset(c->role_sync, -1, sizeof c->role_sync);
    memset(c->role_journal, -1, sizeof c->role_journal);
    memset(c->role_durable_send, -1, sizeof c->role_durable_send);
}

int ox_config_durable(const ox_config *c) {
    assert(c);
    assert((unsigned)c->synchronous <= OX_SYNC_EXTRA);
    if (c->durable_send) return 1;
    if (c->journal_mode == OX_JOURNAL_DELETE) return c->synchronous == OX_SYNC_EXTRA;
    return c->synchronous >= OX_SYNC_FULL;
}

int ox_config_set(ox_config *c, const char *key, const char *value, char *err, size_t errlen) {
    assert(c);
    assert(key);
    assert(value);
    assert(err || errlen == 0);
    if (strchr(key, '.')) return set_role_knob(c, key, value, err, errlen);
    for (size_t i = 0; i < NKNOBS; i++) {
        if (strcmp(key, KNOBS[i].name) != 0) continue;
        if (KNOBS[i].set(c, value) == 0) return 0;
        if (errlen)
            snprintf(err, errlen, "%s: expected %s, got '%s'", key, KNOBS[i].expects, value);
        return -1;
    }
    if (errlen) unknown_knob(key, err, errlen);
    return -1;
}

int ox_config_set_kv(ox_config *c, const char *kv, char *err, size_t errlen) {
    assert(c);
    assert(kv);
    char key[64];
    const char *eq = strchr(kv, '=');
    size_t n = eq ? (size_t)(eq - kv) : 0;
    if (!eq || n == 0 || n >= sizeof key) {
        if (errlen) snprintf(err, errlen, "expected key=value, got '%s'", kv);
        return -1;
    }
    memcpy(key, kv, n);
    key[n] = '\0';
    return ox_config_set(c, key, eq + 1, err, errlen);
}

/* ---- instance names (competing consumers) ---- */

int ox_config_instance_name(const char *role, int i, int n, char *out, size_t cap) {
    assert(role != NULL);
    assert(out != NULL);
    if (n < 1 || n > OX_MAX_INSTANCES || i < 1 || i > n || cap == 0) return -1;
    int w = i == 1 ? snprintf(out, cap, "%s", role) : snprintf(out, cap, "%s-%d", role, i);
    if (w < 0 || (size_t)w >= cap) { out[0] = '\0'; return -1; }
    return 0;
}

/* ---- the configuration as text (ox_config_format) ---- */

/* Which roles read a knob: bits of ox_role. */
#define READ_BY(r) (1u << (r))
#define SCAN_ROLES (READ_BY(OX_ROLE_PAYMENT) | READ_BY(OX_ROLE_RELAY))

typedef struct {
    char *out;
    size_t cap, len;
    int over;                 /* something did not fit */
} cfg_text;

static void put(cfg_text *t, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void put(cfg_text *t, const char *key, const char *fmt, ...) {
    char value[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof value) { t->over = 1; return; }
    int w = snprintf(t->out + t->len, t->cap - t->len, "%s%s=%s", t->len ? " " : "", key, value);
    if (w < 0 || (size_t)w >= t->cap - t->len) { t->over = 1; return; }
    t->len += (size_t)w;
}

/* Seconds as the knobs spell them: "2", "0.02", "1.5". */
static void put_ms(cfg_text *t, const char *key, int64_t ms) {
    assert(ms >= 0);
    int64_t frac = ms % 1000;
    if (frac == 0) { put(t, key, "%lld", (long long)(ms / 1000)); return; }
    char digits[4];
    snprintf(digits, sizeof digits, "%03lld", (long long)frac);
    for (int i = 2; i > 0 && digits[i] == '0'; i--) digits[i] = '\0';
    put(t, key, "%lld.%s", (long long)(ms / 1000), digits);
}

static void put_frozen(cfg_text *t, const ox_config *c) {
    char list[OX_MAX_FROZEN * 11 + 1] = "";
    size_t n = 0;
    assert(c->nfrozen >= 0 && c->nfrozen <= OX_MAX_FROZEN);
    for (int i = 0; i < c->nfrozen; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%u", i ? "," : "", c->frozen[i]);
    put(t, "frozen", "%s", list);
}

static void format_scan(cfg_text *t, const ox_config *c) {
    put(t, "retry", "%s", c->retry == OX_RETRY_EXPONENTIAL ? "exponential" : "linear");
    put_ms(t, "retry_base", c->retry_base_ms);
    put_ms(t, "retry_max", c->retry_max_ms);
    put(t, "jitter", "%g", c->jitter);
    put(t, "max_attempts", "%d", c->max_attempts);
}

static void format_broker(cfg_text *t, const ox_config *c) {
    put(t, "delivery", "%s", c->delivery == OX_AT_MOST_ONCE ? "at-most-once" : "at-least-once");
    put(t, "durable", "%d", c->durable);
    put_ms(t, "visibility", c->visibility_ms);
    put(t, "prefetch", "%d", c->prefetch);
}

static void format_store(cfg_text *t, const ox_config *c) {
    put(t, "synchronous", "%s", ox_sync_name(c->synchronous));
    put(t, "journal_mode", "%s", ox_journal_name(c->journal_mode));
    put(t, "durable_send", "%d", c->durable_send);
}

/* The rest of config.h's table, from max_amount on, each for the roles that read it. */
static void format_rest(cfg_text *t, const ox_config *c, unsigned r) {
    if (r & READ_BY(OX_ROLE_ACCOUNTING)) put(t, "max_amount", "%lld", (long long)c->max_amount);
    if (r & READ_BY(OX_ROLE_ACCOUNTING)) put_frozen(t, c);
    if (r & SCAN_ROLES) put_ms(t, "cleanup_after", c->cleanup_after_ms);
    if (r & SCAN_ROLES) put(t, "seed", "%llu", (unsigned long long)c->seed);
    if (r & READ_BY(OX_ROLE_ACCOUNTING)) put_ms(t, "inbox_retention", c->inbox_retention_ms);
    if (r & READ_BY(OX_ROLE_PAYMENT)) put(t, "completion", "%s", ox_completion_name(c->completion));
    if (r & SCAN_ROLES) put(t, "relays", "%d", c->relays);
    if (r & READ_BY(OX_ROLE_RELAY)) put_ms(t, "lease", c->lease_ms);
    if (r & READ_BY(OX_ROLE_RELAY)) put_ms(t, "lease_skew", c->lease_skew_ms);
    if (r & READ_BY(OX_ROLE_RELAY)) put_ms(t, "relay_rtt", c->relay_rtt_ms);
    if (r & READ_BY(OX_ROLE_RELAY)) put(t, "owner", "%s", c->owner);
    if (r & READ_BY(OX_ROLE_BROKER)) put(t, "accounting_instances", "%d", c->accounting_instances);
}

int ox_config_format(const ox_config *c, ox_role role, char *out, size_t cap) {
    assert(c);
    assert(out);
    assert(cap > 0);
    assert((unsigned)role < OX_ROLE_COUNT);
    unsigned r = READ_BY(role);
    cfg_text t = { .out = out, .cap = cap };
    out[0] = '\0';
    put(&t, "design", "%s", ox_design_name(c->design));
    if (r & SCAN_ROLES) format_scan(&t, c);
    if (r & (SCAN_ROLES | READ_BY(OX_ROLE_ACCOUNTING)))
        put_ms(&t, "scan_interval", c->scan_interval_ms);
    if (r & (SCAN_ROLES | READ_BY(OX_ROLE_ACCOUNTING)))
        put(&t, "scan_batch", "%d", c->scan_batch);
    if (r & READ_BY(OX_ROLE_BROKER)) format_broker(&t, c);
    format_store(&t, c);
    format_rest(&t, c, r);
    if (t.over) { out[0] = '\0'; return -1; }
    assert(t.len < cap);
    return (int)t.len;
}
