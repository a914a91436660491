/*
** shrink_json.c: a small JSON reader (see shrink_json.h).
*/
#include "shrink_json.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    sj_doc *d;
    const char *s, *end, *start;
    char *err;
    size_t errlen;
    int failed;
} sj_parser;

static int bad(sj_parser *p, const char *what) {
    if (!p->failed) snprintf(p->err, p->errlen, "%s at byte %zu", what, (size_t)(p->s - p->start));
    p->failed = 1;
    return -1;
}

static void skip_ws(sj_parser *p) {
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

static int new_node(sj_parser *p, sj_type t) {
    sj_doc *d = p->d;
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 256;
        sj_node *nn = realloc(d->nodes, (size_t)cap * sizeof *nn);
        if (!nn) return bad(p, "out of memory");
        d->nodes = nn;
        d->cap = cap;
    }
    sj_node *n = &d->nodes[d->n];
    memset(n, 0, sizeof *n);
    n->type = t;
    n->key = SIZE_MAX;
    n->first = n->next = -1;
    return d->n++;
}

static int put_byte(sj_parser *p, char c) {
    sj_doc *d = p->d;
    if (d->slen == d->scap) {
        size_t cap = d->scap ? d->scap * 2 : 4096;
        char *ns = realloc(d->strs, cap);
        if (!ns) return bad(p, "out of memory");
        d->strs = ns;
        d->scap = cap;
    }
    d->strs[d->slen++] = c;
    return 0;
}

static int put_utf8(sj_parser *p, unsigned cp) {
    if (cp < 0x80) return put_byte(p, (char)cp);
    if (cp < 0x800)
        return put_byte(p, (char)(0xC0 | (cp >> 6))) | put_byte(p, (char)(0x80 | (cp & 0x3F)));
    return put_byte(p, (char)(0xE0 | (cp >> 12))) | put_byte(p, (char)(0x80 | ((cp >> 6) & 0x3F))) |
           put_byte(p, (char)(0x80 | (cp & 0x3F)));
}

/* A string at p->s (at its quote); its unescaped bytes go to strs; returns the offset. */
static int64_t parse_string(sj_parser *p) {
    assert(*p->s == '"');
    p->s++;
    size_t off = p->d->slen;
    while (p->s < p->end && *p->s != '"') {
        char c = *p->s++;
        if ((unsigned char)c < 0x20) return bad(p, "control character in a string");
        if (c != '\\') { if (put_byte(p, c)) return -1; continue; }
        if (p->s >= p->end) break;
        char e = *p->s++, plain = 0;
        switch (e) {
        case '"': case '\\': case '/': plain = e; break;
        case 'b': plain = '\b'; break;
        case 'f': plain = '\f'; break;
        case 'n': plain = '\n'; break;
        case 'r': plain = '\r'; break;
        case 't': plain = '\t'; break;
        default: break;
        }
        if (plain) {
            if (put_byte(p, plain)) return -1;
        } else if (e == 'u') {
            if (p->end - p->s < 4) return bad(p, "short \\u escape");
            char hex[5] = { p->s[0], p->s[1], p->s[2], p->s[3], 0 };
            char *x;
            unsigned long cp = strtoul(hex, &x, 16);
            if (*x) return bad(p, "bad \\u escape");
            p->s += 4;
            if (put_utf8(p, (unsigned)cp)) return -1;
        } else {
            return bad(p, "bad escape in a string");
        }
    }
    if (p->s >= p->end) return bad(p, "unterminated string");
    p->s++;
    if (put_byte(p, '\0')) return -1;
    return (int64_t)off;
}

static int parse_value(sj_parser *p, int depth);

/* Members of an array or object, after its opening bracket. */
static int parse_members(sj_parser *p, int self, int is_obj, int depth) {
    char close = is_obj ? '}' : ']';
    int last = -1;
    skip_ws(p);
    if (p->s < p->end && *p->s == close) { p->s++; return 0; }
    for (;;) {
        int64_t key = -1;
        skip_ws(p);
        if (is_obj) {
            if (p->s >= p->end || *p->s != '"') return bad(p, "expected a key");
            if ((key = parse_string(p)) < 0) return -1;
            skip_ws(p);
            if (p->s >= p->end || *p->s != ':') return bad(p, "expected ':'");
            p->s++;
        }
        int child = parse_value(p, depth + 1);
        if (child < 0) return -1;
        if (is_obj) p->d->nodes[child].key = (size_t)key;
        if (last < 0) p->d->nodes[self].first = child;
        else p->d->nodes[last].next = child;
        last = child;
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') { p->s++; continue; }
        if (p->s < p->end && *p->s == close) { p->s++; return 0; }
        return bad(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_number(sj_parser *p) {
    const char *b = p->s;
    while (p->s < p->end && strchr("+-0123456789.eE", *p->s)) p->s++;
    char buf[64];
    size_t n = (size_t)(p->s - b);
    if (n == 0 || n >= sizeof buf) return bad(p, "bad number");
    memcpy(buf, b, n);
    buf[n] = '\0';
    char *x;
    errno = 0;
    (void)strtod(buf, &x);
    if (*x || errno) return bad(p, "bad number");
    int node = new_node(p, SJ_NUM);
    if (node < 0) return -1;
    p->d->nodes[node].text = p->d->slen;
    for (size_t i = 0; i <= n; i++)
        if (put_byte(p, buf[i])) return -1;
    return node;
}

static int literal(sj_parser *p, const char *word, sj_type t, int val) {
    size_t n = strlen(word);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
        return bad(p, "unexpected character");
    p->s += n;
    int node = new_node(p, t);
    if (node >= 0) p->d->nodes[node].boolean = val;
    return node;
}

static int parse_value(sj_parser *p, int depth) {
    if (depth > SJ_MAX_DEPTH) return bad(p, "nested too deeply");
    skip_ws(p);
    if (p->s >= p->end) return bad(p, "unexpected end");
    char c = *p->s;
    if (c == '{' || c == '[') {
        p->s++;
        int node = new_node(p, c == '{' ? SJ_OBJ : SJ_ARR);
        if (node < 0 || parse_members(p, node, c == '{', depth) < 0) return -1;
        return node;
    }
    if (c == '"') {
        int node = new_node(p, SJ_STR);
        if (node < 0) return -1;
        int64_t off = parse_string(p);
        if (off < 0) return -1;
        p->d->nodes[node].text = (size_t)off;
        return node;
    }
    if (c == 't') return literal(p, "true", SJ_BOOL, 1);
    if (c == 'f') return literal(p, "false", SJ_BOOL, 0);
    if (c == 'n') return literal(p, "null", SJ_NULL, 0);
    return parse_number(p);
}

int sj_parse(sj_doc *d, const char *text, size_t len, char *err, size_t errlen) {
    d->n = 0;
    d->slen = 0;
    sj_parser p = {
        .d = d, .s = text, .end = text + len, .start = text, .err = err, .errlen = errlen
    };
    if (parse_value(&p, 0) < 0) return -1;
    skip_ws(&p);
    if (p.s != p.end) return bad(&p, "text after the value");
    return 0;
}

int sj_load(sj_doc *d, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(err, errlen, "%s: %s", path, strerror(errno)); return -1; }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size > (off_t)SJ_MAX_FILE) {
        snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path, SJ_MAX_FILE);
        fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) { fclose(f); snprintf(err, errlen, "%s: out of memory", path); return -1; }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    int rc = -1;
    char why[200];
    if (got != n) snprintf(err, errlen, "%s: short read", path);
    else if (sj_parse(d, buf, n, why, sizeof why) != 0)
        snprintf(err, errlen, "%s: not valid JSON: %s", path, why);
    else rc = 0;
    free(buf);
    return rc;
}

void sj_free(sj_doc *d) {
    free(d->nodes);
    free(d->strs);
    memset(d, 0, sizeof *d);
}

int sj_is(const sj_doc *d, int i, sj_type t) { return i >= 0 && i < d->n && d->nodes[i].type == t; }

const char *sj_key(const sj_doc *d, int i) {
    return (i >= 0 && i < d->n && d->nodes[i].key != SIZE_MAX) ? d->strs + d->nodes[i].key : "";
}

int sj_get(const sj_doc *d, int obj, const char *key) {
    if (!sj_is(d, obj, SJ_OBJ)) return -1;
    for (int c = d->nodes[obj].first; c >= 0; c = d->nodes[c].next)
        if (!strcmp(d->strs + d->nodes[c].key, key)) return c;
    return -1;
}

const char *sj_str(const sj_doc *d, int i) {
    return sj_is(d, i, SJ_STR) ? d->strs + d->nodes[i].text : "";
}

int64_t sj_int(const sj_doc *d, int i, int64_t def) {
    if (!sj_is(d, i, SJ_NUM)) return def;
    const char *s = d->strs + d->nodes[i].text;
    char *x;
    errno = 0;
    long long v = strtoll(s, &x, 10);
    return (*x || errno) ? def : (int64_t)v;
}

int64_t sj_us(const sj_doc *d, int i, int64_t def) {
    if (!sj_is(d, i, SJ_NUM)) return def;
    const char *s = d->strs + d->nodes[i].text;
    int neg = *s == '-';
    if (neg) s++;
    int64_t whole = 0, frac = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (whole > INT64_MAX / 100) return def;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++)
            if (digits < 6) { frac = frac * 10 + (*s - '0'); digits++; }
    }
    if (*s) return def;      /* an exponent: not written by the simulator */
    for (; digits < 6; digits++) frac *= 10;
    if (whole > (INT64_MAX - frac) / 1000000) return def;
    int64_t v = whole * 1000000 + frac;
    return neg ? -v : v;
}

int sj_bool(const sj_doc *d, int i, int def) {
    return sj_is(d, i, SJ_BOOL) ? d->nodes[i].boolean : def;
}

const char *sj_gets(const sj_doc *d, int obj, const char *key) {
    return sj_str(d, sj_get(d, obj, key));
}

int64_t sj_geti(const sj_doc *d, int obj, const char *key, int64_t def) {
    return sj_int(d, sj_get(d, obj, key), def);
}
