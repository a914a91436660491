/*
** codec.c: the bounded byte cursors declared in codec.h.
*/
#include "codec.h"

#include <assert.h>
#include <string.h>

void ox_writer_init(ox_writer *w, uint8_t *buf, size_t cap) {
    assert(w);
    assert(buf || cap == 0);
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->err = 0;
}

void ox_put_bytes(ox_writer *w, const void *p, size_t n) {
    if (w->err) return;
    if (n > w->cap - w->len) { w->err = 1; return; }
    if (n) memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void ox_put_u8(ox_writer *w, uint8_t v) { ox_put_bytes(w, &v, 1); }

void ox_put_u16(ox_writer *w, uint16_t v) {
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    ox_put_bytes(w, b, 2);
}

void ox_put_u32(ox_writer *w, uint32_t v) {
    uint8_t b[4];
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
    ox_put_bytes(w, b, 4);
}

void ox_put_u64(ox_writer *w, uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    ox_put_bytes(w, b, 8);
}

void ox_put_i64(ox_writer *w, int64_t v) { ox_put_u64(w, (uint64_t)v); }

void ox_put_str8(ox_writer *w, const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n > 255) { w->err = 1; return; }
    ox_put_u8(w, (uint8_t)n);
    ox_put_bytes(w, s, n);
}

void ox_put_str16(ox_writer *w, const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n > 65535) { w->err = 1; return; }
    ox_put_u16(w, (uint16_t)n);
    ox_put_bytes(w, s, n);
}

void ox_put_blob(ox_writer *w, const void *p, size_t n) {
    if (n > UINT32_MAX) { w->err = 1; return; }
    ox_put_u32(w, (uint32_t)n);
    ox_put_bytes(w, p, n);
}

void ox_reader_init(ox_reader *r, const uint8_t *buf, size_t len) {
    assert(r);
    assert(buf || len == 0);
    r->buf = buf;
    r->len = len;
    r->pos = 0;
    r->err = 0;
}

size_t ox_reader_left(const ox_reader *r) { return r->len - r->pos; }

/* Returns a pointer to n readable bytes, or NULL (and sets err) if there are fewer. */
static const uint8_t *take(ox_reader *r, size_t n) {
    if (r->err) return NULL;
    if (n > r->len - r->pos) { r->err = 1; return NULL; }
    const uint8_t *p = r->buf + r->pos;
    r->pos += n;
    return p;
}

uint8_t ox_get_u8(ox_reader *r) {
    const uint8_t *p = take(r, 1);
    return p ? p[0] : 0;
}

uint16_t ox_get_u16(ox_reader *r) {
    const uint8_t *p = take(r, 2);
    return p ? (uint16_t)(p[0] | (p[1] << 8)) : 0;
}

uint32_t ox_get_u32(ox_reader *r) {
    const uint8_t *p = take(r, 4);
    if (!p) return 0;
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

uint64_t ox_get_u64(ox_reader *r) {
    const uint8_t *p = take(r, 8);
    if (!p) return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

int64_t ox_get_i64(ox_reader *r) { return (int64_t)ox_get_u64(r); }

static void get_str(ox_reader *r, size_t n, char *out, size_t outcap) {
    assert(out);
    assert(outcap > 0);
    out[0] = '\0';
    const uint8_t *p = take(r, n);
    if (!p) return;
    if (n >= outcap || memchr(p, '\0', n)) { r->err = 1; return; }
    memcpy(out, p, n);
    out[n] = '\0';
}

void ox_get_str8(ox_reader *r, char *out, size_t outcap) {
    size_t n = ox_get_u8(r);
    get_str(r, n, out, outcap);
}

void ox_get_str16(ox_reader *r, char *out, size_t outcap) {
    size_t n = ox_get_u16(r);
    get_str(r, n, out, outcap);
}

const uint8_t *ox_get_blob(ox_reader *r, size_t maxlen, size_t *outlen) {
    size_t n = ox_get_u32(r);
    *outlen = 0;
    if (r->err) return NULL;
    if (n > maxlen) { r->err = 1; return NULL; }
    const uint8_t *p = take(r, n);
    if (p) *outlen = n;
    return p;
}
