/*
** json.c: the JSON writer and the reading helpers over jansson (see json.h).
*/
#include "json.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- the buffer ----------------------------------------------------------------- */

static void start(json_w *w, char *buf, size_t cap, int flags) {
    assert(flags >= 0);
    assert(flags <= (JSON_SPACED | JSON_HTML));
    memset(w, 0, offsetof(json_w, fbuf));
    w->buf = buf;
    w->cap = cap;
    w->flags = flags;
    w->brk = -1;
}

void json_w_init_buf(json_w *w, char *buf, size_t cap, int flags) {
    assert(buf);
    assert(cap > 0);
    start(w, buf, cap, flags);
}

void json_w_init_grow(json_w *w, int flags) {
    start(w, NULL, 0, flags);
    w->grow = 1;
}

void json_w_init_file(json_w *w, FILE *f, int flags) {
    assert(f);
    start(w, w->fbuf, sizeof w->fbuf, flags);
    w->f = f;
}

void json_w_reset(json_w *w) {
    w->len = 0;
    w->overflow = 0;
    w->comma = 0;
    w->brk = -1;
    w->depth = 0;
    w->in_obj = 0;
    w->after_key = 0;
}

static void drain(json_w *w) {
    assert(w->f);
    if (w->len && fwrite(w->buf, 1, w->len, w->f) != w->len) w->failed = 1;
    w->len = 0;
}

int json_w_flush(json_w *w) {
    if (w->f) {
        drain(w);
        if (fflush(w->f) != 0) w->failed = 1;
    }
    return w->failed || w->overflow ? -1 : 0;
}

void json_w_free(json_w *w) {
    assert(w->grow);
    free(w->buf);
    w->buf = NULL;
    w->len = 0;
    w->cap = 0;
}

/* Makes room for n more bytes; 0 if there is none.  A file writer drains its buffer (a
** run longer than the buffer is then the caller's to write); a growable one doubles;
** a fixed one, or a growable one out of memory, overflows. */
static int room(json_w *w, size_t n) {
    if (n <= w->cap - w->len) return 1;
    if (w->f) {
        drain(w);
        return n <= w->cap;
    }
    if (w->grow && !w->overflow) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap - w->len < n) cap *= 2;
        char *p = realloc(w->buf, cap);
        if (p) {
            w->buf = p;
            w->cap = cap;
            return 1;
        }
    }
    w->overflow = 1;
    return 0;
}

void json_w_put(json_w *w, const char *s, size_t n) {
    if (n > w->cap - w->len && !room(w, n)) {
        /* A file writer takes what its buffer cannot hold directly. */
        if (w->f && fwrite(s, 1, n, w->f) != n) w->failed = 1;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void put1(json_w *w, char c) {
    if (w->len < w->cap || room(w, 1)) w->buf[w->len++] = c;
}

/* ---- structure ------------------------------------------------------------------ */

/* What comes before a key, a value or a closing bracket: the comma, the break. */
static void sep(json_w *w, int closing) {
    if (!w->comma && w->brk < 0) return;
    if (w->comma && !closing) put1(w, ',');
    if (w->brk >= 0) {
        put1(w, '\n');
        for (int i = 0; i < w->brk; i++) put1(w, ' ');
        w->brk = -1;
    } else if (w->comma && !closing && (w->flags & JSON_SPACED)) {
        put1(w, ' ');
    }
    w->comma = 0;
}

static int in_object(const json_w *w) {
    return w->depth > 0 && ((w->in_obj >> (w->depth - 1)) & 1u);
}

/* Before a value: a key was given in an object, none in an array or at the top. */
static void value(json_w *w) {
    if (w->after_key) {
        assert(in_object(w));
        w->after_key = 0;
        return;
    }
    assert(!in_object(w));
    sep(w, 0);
}

static void begin(json_w *w, char c, int obj) {
    value(w);
    assert(w->depth < JSON_W_DEPTH);
    if (obj) w->in_obj |= 1u << w->depth;
    else w->in_obj &= ~(1u << w->depth);
    w->depth++;
    put1(w, c);
}

static void end(json_w *w, char c, int obj) {
    assert(w->depth > 0);
    assert(!w->after_key);
    assert(in_object(w) == obj);
    sep(w, 1);
    w->depth--;
    put1(w, c);
    w->comma = 1;
}

void json_w_obj(json_w *w) { begin(w, '{', 1); }
void json_w_obj_end(json_w *w) { end(w, '}', 1); }
void json_w_arr(json_w *w) { begin(w, '[', 0); }
void json_w_arr_end(json_w *w) { end(w, ']', 0); }

void json_w_break(json_w *w, int indent) {
    assert(indent >= 0);
    assert(!w->after_key);
    w->brk = indent;
}

/* ---- strings -------------------------------------------------------------------- */

/* The bytes a string cannot hold as they are; NUL too, where a string's scan stops. */
#define ESC_CTRL 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, \
    1, 1, 1, 1, 1
static const unsigned char esc_json[256] = { ESC_CTRL, ['"'] = 1, ['\\'] = 1 };
static const unsigned char esc_html[256] = {
    ESC_CTRL, ['"'] = 1, ['\\'] = 1, ['<'] = 1, ['>'] = 1, ['&'] = 1
};

static const unsigned char *esc_table(int flags) {
    return (flags & JSON_HTML) ? esc_html : esc_json;
}

/* The escape of one byte that needs one, into e[6]; returns its length. */
static size_t escape1(unsigned char c, char *e) {
    static const char hex[] = "0123456789abcdef";
    e[0] = '\\';
    if (c == '"' || c == '\\') { e[1] = (char)c; return 2; }
    if (c == '\n') { e[1] = 'n'; return 2; }
    if (c == '\t') { e[1] = 't'; return 2; }
    memcpy(e + 1, "u00", 3);
    e[4] = hex[c >> 4];
    e[5] = hex[c & 15];
    return 6;
}

size_t json_w_escape(char *out, size_t cap, size_t len, const char *s, int flags) {
    assert(len <= cap);
    const unsigned char *tab = esc_table(flags);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[6];
        size_t n = 1;
        if (tab[c]) n = escape1(c, e);
        else e[0] = (char)c;
        if (n > cap - len) return cap;
        memcpy(out + len, e, n);
        len += n;
    }
    return len;
}

/* The body of the string, n bytes or up to a NUL: runs of plain bytes are copied whole.
** Most strings are short names without a byte to escape: one scan, one copy. */
static void body(json_w *w, const char *s, size_t n) {
    const unsigned char *tab = esc_table(w->flags);
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = n == SIZE_MAX ? NULL : p + n;
    for (;;) {
        const unsigned char *q = p;
        if (!end) while (!tab[*q]) q++;
        else while (q < end && !tab[*q]) q++;
        if (q > p) json_w_put(w, (const char *)p, (size_t)(q - p));
        if (q == end || !*q) return;
        char e[6];
        json_w_put(w, e, escape1(*q, e));
        p = q + 1;
    }
}

/* A NUL-terminated s with no byte to escape, quoted and followed by tail[ntail], in one
** copy if the buffer has room; 0 (nothing written) otherwise.  The fast path of the
** trace's keys and names. */
static int quoted_plain(json_w *w, const char *s, const char *tail, size_t ntail) {
    const unsigned char *tab = esc_table(w->flags);
    size_t n = 0;
    while (!tab[(unsigned char)s[n]]) n++;
    if (s[n] || n + 2 + ntail > w->cap - w->len) return 0;
    char *o = w->buf + w->len;
    o[0] = '"';
    memcpy(o + 1, s, n);
    o[n + 1] = '"';
    memcpy(o + n + 2, tail, ntail);
    w->len += n + 2 + ntail;
    return 1;
}

void json_w_strn(json_w *w, const char *s, size_t n) {
    value(w);
    w->comma = 1;
    if (n == SIZE_MAX && s && quoted_plain(w, s, "", 0)) return;
    put1(w, '"');
    if (s) body(w, s, n);
    put1(w, '"');
}

void json_w_str(json_w *w, const char *s) { json_w_strn(w, s, SIZE_MAX); }

void json_w_key(json_w *w, const char *k) {
    assert(k);
    assert(in_object(w));
    assert(!w->after_key);
    sep(w, 0);
    w->after_key = 1;
    size_t ntail = (w->flags & JSON_SPACED) ? 2 : 1;
    if (quoted_plain(w, k, ": ", ntail)) return;
    put1(w, '"');
    body(w, k, SIZE_MAX);
    put1(w, '"');
    json_w_put(w, ": ", ntail);
}

/* ---- numbers and literals ------------------------------------------------------- */

/* Decimal digits of v, at least width of them (zero padded): by hand, see json.h. */
static void digits(json_w *w, uint64_t v, int width) {
    char num[24];
    int n = 0;
    assert(width >= 1);
    assert(width <= 20);
    do { num[sizeof num - 1 - n++] = (char)('0' + v % 10); v /= 10; } while (v || n < width);
    assert(n <= (int)sizeof num);
    json_w_put(w, num + sizeof num - n, (size_t)n);
}

/* |v| without overflow for INT64_MIN. */
static uint64_t magnitude(int64_t v) { return v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v; }

void json_w_uint(json_w *w, uint64_t v) {
    value(w);
    digits(w, v, 1);
    w->comma = 1;
}

void json_w_int(json_w *w, int64_t v) {
    value(w);
    if (v < 0) put1(w, '-');
    digits(w, magnitude(v), 1);
    w->comma = 1;
}

void json_w_time(json_w *w, int64_t us) {
    value(w);
    if (us < 0) put1(w, '-');
    uint64_t a = magnitude(us);
    digits(w, a / 1000000, 1);
    put1(w, '.');
    digits(w, a % 1000000, 6);
    w->comma = 1;
}

void json_w_raw(json_w *w, const char *s) {
    assert(s);
    assert(*s);
    value(w);
    json_w_put(w, s, strlen(s));
    w->comma = 1;
}

void json_w_bool(json_w *w, int v) { json_w_raw(w, v ? "true" : "false"); }
void json_w_null(json_w *w) { json_w_raw(w, "null"); }

void json_w_fmt(json_w *w, const char *fmt, ...) {
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    assert(n >= 0);
    value(w);
    if ((size_t)n < sizeof small) {
        json_w_put(w, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (!big) { w->overflow = 1; w->comma = 1; return; }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        json_w_put(w, big, (size_t)n);
        free(big);
    }
    w->comma = 1;
}

void json_w_kstr(json_w *w, const char *k, const char *s) { json_w_key(w, k); json_w_str(w, s); }
void json_w_kint(json_w *w, const char *k, int64_t v) { json_w_key(w, k); json_w_int(w, v); }
void json_w_kuint(json_w *w, const char *k, uint64_t v) { json_w_key(w, k); json_w_uint(w, v); }
void json_w_ktime(json_w *w, const char *k, int64_t us) { json_w_key(w, k); json_w_time(w, us); }
void json_w_kbool(json_w *w, const char *k, int v) { json_w_key(w, k); json_w_bool(w, v); }

/* ---- reading -------------------------------------------------------------------- */

static void load_error(const json_error_t *e, const char *name, char *err, size_t cap) {
    if (!cap) return;
    if (e->line > 0)
        snprintf(err, cap, "%s:%d:%d: %s", name, e->line, e->column, e->text);
    else
        snprintf(err, cap, "%s: %s", name, e->text);
}

/* An integer token beyond int64 (jansson's integers): "18446744073709551615". */
static int too_big(const char *p, size_t n) {
    static const char max[] = "9223372036854775807";
    size_t d = n - (p[0] == '-');
    const char *digits = p + (n - d);
    for (size_t i = 0; i < d; i++)
        if (digits[i] < '0' || digits[i] > '9') return 0;   /* a real, or not a number */
    if (d != sizeof max - 1) return d > sizeof max - 1;
    return memcmp(digits, max, d) > 0;
}

/* text with every integer beyond int64 outside strings put in quotes, so that jansson
** reads the document and json_r_uint() the number (a seed may be up to 2^64 - 1).
** NULL when out of memory. */
static char *quote_big(const char *text, size_t len, size_t *out_len) {
    char *q = malloc(len * 3 + 1);      /* at worst every byte a one-digit token: 3 bytes */
    if (!q) return NULL;
    size_t n = 0;
    int in_str = 0;
    for (size_t i = 0; i < len;) {
        char c = text[i];
        if (in_str || c == '"') {
            if (in_str && c == '\\' && i + 1 < len) q[n++] = text[i++];
            else if (c == '"') in_str = !in_str;
            q[n++] = text[i++];
            continue;
        }
        size_t k = i;
        while (k < len && strchr("+-.eE0123456789", text[k]) && text[k]) k++;
        if (k == i) { q[n++] = text[i++]; continue; }
        int quote = too_big(text + i, k - i);
        if (quote) q[n++] = '"';
        memcpy(q + n, text + i, k - i);
        n += k - i;
        if (quote) q[n++] = '"';
        i = k;
    }
    assert(n <= len * 3);
    q[n] = '\0';
    *out_len = n;
    return q;
}

static json_t *parse(const char *text, size_t len, const char *name, char *err, size_t cap) {
    json_error_t e;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!doc && json_error_code(&e) == json_error_numeric_overflow) {
        size_t qlen = 0;
        char *q = quote_big(text, len, &qlen);
        if (q) doc = json_loadb(q, qlen, JSON_REJECT_DUPLICATES, &e);
        free(q);
    }
    if (!doc) load_error(&e, name, err, cap);
    return doc;
}

#define JSON_R_MAX_FILE (256u << 20)   /* larger is not a file of ours */

json_t *json_r_load(const char *path, char *err, size_t cap) {
    assert(path);
    FILE *f = fopen(path, "re");
    if (!f) {
        if (cap) snprintf(err, cap, "%s: cannot read it: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, room = 0;
    int bad = 0;
    for (;;) {
        if (len == room) {
            room = room ? room * 2 : 16384;
            char *t = room <= JSON_R_MAX_FILE ? realloc(text, room) : NULL;
            if (!t) { bad = 1; break; }
            text = t;
        }
        size_t got = fread(text + len, 1, room - len, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) bad = 1;
    fclose(f);
    json_t *doc = NULL;
    if (bad) {
        if (cap) snprintf(err, cap, "%s: cannot read it (too large, or a read error)", path);
    } else {
        doc = parse(text, len, path, err, cap);
    }
    free(text);
    return doc;
}

json_t *json_r_parse(const char *text, const char *name, char *err, size_t cap) {
    assert(text);
    assert(name);
    return parse(text, strlen(text), name, err, cap);
}

/* The member, or NULL if o is not an object or has no such member. */
static json_t *member(const json_t *o, const char *key) {
    assert(key);
    return json_is_object(o) ? json_object_get(o, key) : NULL;
}

json_t *json_r_obj(const json_t *o, const char *key) {
    json_t *v = member(o, key);
    return json_is_object(v) ? v : NULL;
}

json_t *json_r_arr(const json_t *o, const char *key) {
    json_t *v = member(o, key);
    return json_is_array(v) ? v : NULL;
}

const char *json_r_str(const json_t *o, const char *key) {
    json_t *v = member(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int json_r_strcpy(const json_t *o, const char *key, char *out, size_t cap) {
    assert(out);
    assert(cap > 0);
    json_t *v = member(o, key);
    if (!json_is_string(v) || json_string_length(v) >= cap) { out[0] = '\0'; return -1; }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int json_r_int(const json_t *o, const char *key, int64_t *out) {
    json_t *v = member(o, key);
    if (!json_is_integer(v)) return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

int json_r_uint(const json_t *o, const char *key, uint64_t *out) {
    json_t *v = member(o, key);
    if (json_is_string(v)) {
        /* Beyond int64: kept as its digits by quote_big(). */
        const char *s = json_string_value(v);
        char *end;
        if (*s < '0' || *s > '9') return -1;
        errno = 0;
        unsigned long long u = strtoull(s, &end, 10);
        if (errno || *end) return -1;
        *out = u;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

int json_r_num(const json_t *o, const char *key, double *out) {
    json_t *v = member(o, key);
    if (!json_is_number(v)) return -1;
    *out = json_number_value(v);
    return 0;
}

int json_r_bool(const json_t *o, const char *key) {
    json_t *v = member(o, key);
    return json_is_boolean(v) ? json_is_true(v) : -1;
}
