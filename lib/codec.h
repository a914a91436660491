/*
** codec.h: bounded little-endian byte writer and reader.
**
** Every frame this project puts on a wire (the outbox's own frames in wire.h and the
** simulator's node protocol in proto/step.h) is built and parsed with these two
** cursors.  The contract that keeps decoders safe:
**   - a reader never reads past `len`; the first short read sets `err` and every later
**     get returns zero/empty, so a decoder may read a whole record and check once;
**   - a writer never writes past `cap`; overflow sets `err` and later puts are no-ops.
** Strings are length-prefixed (u8 or u16), never NUL-terminated on the wire; readers
** copy them into caller buffers that are always NUL-terminated.
**
** The foundations layer (service.h, Layers): a leaf, shared with proto/step.c.
*/
#ifndef OX_CODEC_H
#define OX_CODEC_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int err;            /* nonzero once a put did not fit */
} ox_writer;

typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    int err;            /* nonzero once a get ran past the end or a string was bad */
} ox_reader;

void ox_writer_init(ox_writer *w, uint8_t *buf, size_t cap);
void ox_put_u8(ox_writer *w, uint8_t v);
void ox_put_u16(ox_writer *w, uint16_t v);
void ox_put_u32(ox_writer *w, uint32_t v);
void ox_put_u64(ox_writer *w, uint64_t v);
void ox_put_i64(ox_writer *w, int64_t v);
void ox_put_bytes(ox_writer *w, const void *p, size_t n);
/* u8 length + bytes; strings longer than 255 set err. */
void ox_put_str8(ox_writer *w, const char *s);
/* u16 length + bytes; strings longer than 65535 set err. */
void ox_put_str16(ox_writer *w, const char *s);
/* u32 length + bytes. */
void ox_put_blob(ox_writer *w, const void *p, size_t n);

void ox_reader_init(ox_reader *r, const uint8_t *buf, size_t len);
uint8_t ox_get_u8(ox_reader *r);
uint16_t ox_get_u16(ox_reader *r);
uint32_t ox_get_u32(ox_reader *r);
uint64_t ox_get_u64(ox_reader *r);
int64_t ox_get_i64(ox_reader *r);
/* Copies a str8/str16 into out[outcap] (NUL-terminated).  A string that does not fit
** in outcap-1 bytes, or contains a NUL byte, sets err. */
void ox_get_str8(ox_reader *r, char *out, size_t outcap);
void ox_get_str16(ox_reader *r, char *out, size_t outcap);
/* A u32-length blob: returns a pointer into the reader's buffer (not copied) and its
** length; a blob longer than maxlen sets err.  NULL/0 after an error. */
const uint8_t *ox_get_blob(ox_reader *r, size_t maxlen, size_t *outlen);
/* Bytes not yet read. */
size_t ox_reader_left(const ox_reader *r);

#endif
