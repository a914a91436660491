/*
** wire.c: the frame encoder and decoder of wire.h.
**
** The decoder is the library's front door for bytes from the network, so it trusts
** nothing: it checks the size before the header, the header before the body, every
** field against what is left of the stated body, and finally that nothing is left.
** All reads go through the bounded reader of codec.h; a string's length byte is
** checked against the bytes left before the string is read, so that a short buffer
** (TRUNCATED) and a bad string (BAD_STRING) get their own codes.
**
** The pairs are asserted both ways: a frame the encoder writes decodes back to the
** same type, queue and message, and a frame the decoder accepts passes the encoder's
** own checks, so neither side can accept what the other refuses.
*/
#include "wire.h"

#include <assert.h>
#include <string.h>

#include "codec.h"

static const uint8_t MAGIC[2] = { 'O', 'X' };

static int type_known(uint8_t t) { return t >= OX_F_PUBLISH && t <= OX_F_DACK; }
static int kind_known(uint8_t k) { return k >= OX_M_PAYMENT && k <= OX_M_CONSUME_FAILED; }
static int has_msg(uint8_t t) { return t == OX_F_PUBLISH || t == OX_F_DELIVER; }
static ox_wire_err encode_check(const ox_frame *f);

/* ---- the table of frames ---- */

const ox_frame_route ox_wire_frames[OX_WIRE_NFRAMES] = {
    { OX_ROLE_PAYMENT, OX_ROLE_BROKER, OX_PAY_QUEUE, OX_F_PUBLISH, OX_M_PAYMENT,
      "PUBLISH PAYMENT", "an outbox row's message: after COMMIT, and again from the scan" },
    { OX_ROLE_BROKER, OX_ROLE_ACCOUNTING, OX_PAY_QUEUE, OX_F_DELIVER, OX_M_PAYMENT,
      "DELIVER PAYMENT", "the payment handed to accounting; again if not acked in time" },
    { OX_ROLE_ACCOUNTING, OX_ROLE_BROKER, OX_PAY_QUEUE, OX_F_DACK, 0,
      "DACK", "accounting is done with that delivery: the broker forgets it" },
    { OX_ROLE_ACCOUNTING, OX_ROLE_BROKER, OX_ACC_QUEUE, OX_F_PUBLISH, OX_M_CONSUMED,
      "PUBLISH CONSUMED", "accounting's answer: the voucher is written (or was already)" },
    { OX_ROLE_ACCOUNTING, OX_ROLE_BROKER, OX_ACC_QUEUE, OX_F_PUBLISH, OX_M_CONSUME_FAILED,
      "PUBLISH CONSUME_FAILED", "accounting's answer: refused, with the reason" },
    { OX_ROLE_BROKER, OX_ROLE_PAYMENT, OX_ACC_QUEUE, OX_F_DELIVER, OX_M_CONSUMED,
      "DELIVER CONSUMED", "the answer handed to payment: the outbox row becomes CONSUMED" },
    { OX_ROLE_BROKER, OX_ROLE_PAYMENT, OX_ACC_QUEUE, OX_F_DELIVER, OX_M_CONSUME_FAILED,
      "DELIVER CONSUME_FAILED", "the answer handed to payment: row FAILED, payment refunded" },
    { OX_ROLE_PAYMENT, OX_ROLE_BROKER, OX_ACC_QUEUE, OX_F_DACK, 0,
      "DACK", "payment is done with that answer: the broker forgets it" },
};

const char *ox_wire_label(const ox_frame *f) {
    assert(f != NULL);
    for (size_t i = 0; i < OX_WIRE_NFRAMES; i++) {
        const ox_frame_route *r = &ox_wire_frames[i];
        if (r->type != f->type) continue;
        if (r->type == OX_F_DACK || r->kind == f->msg.kind) return r->label;
    }
    return "?";
}

/* ---- constructors ---- */

static void set_queue(ox_frame *f, const char *queue) {
    assert(queue != NULL);
    size_t n = strlen(queue);
    assert(n > 0);
    assert(n <= OX_QUEUE_MAX);
    memcpy(f->queue, queue, n + 1);
}

ox_frame ox_wire_publish(const char *queue, const ox_msg *msg) {
    assert(msg != NULL);
    assert(kind_known(msg->kind));
    ox_frame f;
    memset(&f, 0, sizeof f);
    f.type = OX_F_PUBLISH;
    set_queue(&f, queue);
    f.msg = *msg;
    assert(encode_check(&f) == OX_WIRE_OK);
    return f;
}

ox_frame ox_wire_deliver(const char *queue, uint64_t delivery, uint32_t redeliveries,
                         const ox_msg *msg) {
    assert(msg != NULL);
    assert(kind_known(msg->kind));
    ox_frame f;
    memset(&f, 0, sizeof f);
    f.type = OX_F_DELIVER;
    set_queue(&f, queue);
    f.delivery = delivery;
    f.redeliveries = redeliveries;
    f.msg = *msg;
    assert(encode_check(&f) == OX_WIRE_OK);
    return f;
}

ox_frame ox_wire_dack(const char *queue, uint64_t delivery) {
    ox_frame f;
    memset(&f, 0, sizeof f);
    f.type = OX_F_DACK;
    set_queue(&f, queue);
    f.delivery = delivery;
    assert(encode_check(&f) == OX_WIRE_OK);
    return f;
}

/* ---- encoder ---- */

static void put_msg(ox_writer *w, const ox_msg *m) {
    ox_put_u8(w, m->kind);
    ox_put_u64(w, m->msg_id);
    ox_put_u64(w, m->pay_id);
    ox_put_u32(w, m->account);
    ox_put_i64(w, m->amount);
    ox_put_u32(w, m->attempt);
    ox_put_str8(w, m->reason);
}

/* The frame's own checks, so that we never emit what our decoder would refuse. */
static ox_wire_err encode_check(const ox_frame *f) {
    if (!type_known(f->type)) return OX_WIRE_UNKNOWN_TYPE;
    if (strnlen(f->queue, sizeof f->queue) > OX_QUEUE_MAX) return OX_WIRE_BAD_STRING;
    if (!has_msg(f->type)) return OX_WIRE_OK;
    if (!kind_known(f->msg.kind)) return OX_WIRE_UNKNOWN_KIND;
    if (strnlen(f->msg.reason, sizeof f->msg.reason) > OX_REASON_MAX) return OX_WIRE_BAD_STRING;
    return OX_WIRE_OK;
}

/* The pair's check: out[n] decodes back to f's fields. */
static int encoded_as(const ox_frame *f, const uint8_t *out, size_t n) {
    ox_frame back;
    if (ox_wire_decode(out, n, &back) != OX_WIRE_OK) return 0;
    if (back.type != f->type || strcmp(back.queue, f->queue) != 0) return 0;
    if (f->type != OX_F_PUBLISH && back.delivery != f->delivery) return 0;
    if (f->type == OX_F_DELIVER && back.redeliveries != f->redeliveries) return 0;
    if (!has_msg(f->type)) return 1;
    const ox_msg *a = &back.msg, *b = &f->msg;
    return a->kind == b->kind && a->msg_id == b->msg_id && a->pay_id == b->pay_id
           && a->account == b->account && a->amount == b->amount && a->attempt == b->attempt
           && strcmp(a->reason, b->reason) == 0;
}

size_t ox_wire_encode(const ox_frame *f, uint8_t *out, size_t cap, ox_wire_err *err) {
    assert(f);
    assert(out);
    assert(err);
    *err = encode_check(f);
    if (*err != OX_WIRE_OK) return 0;
    if (cap > OX_FRAME_MAX) cap = OX_FRAME_MAX;
    if (cap < OX_FRAME_HEADER) { *err = OX_WIRE_NO_SPACE; return 0; }

    ox_writer w;
    ox_writer_init(&w, out + OX_FRAME_HEADER, cap - OX_FRAME_HEADER);
    ox_put_str8(&w, f->queue);
    if (f->type != OX_F_PUBLISH) ox_put_u64(&w, f->delivery);
    if (f->type == OX_F_DELIVER) ox_put_u32(&w, f->redeliveries);
    if (has_msg(f->type)) put_msg(&w, &f->msg);
    if (w.err) { *err = OX_WIRE_NO_SPACE; return 0; }

    ox_writer h;
    ox_writer_init(&h, out, OX_FRAME_HEADER);
    ox_put_bytes(&h, MAGIC, 2);
    ox_put_u8(&h, OX_WIRE_VERSION);
    ox_put_u8(&h, f->type);
    ox_put_u32(&h, (uint32_t)w.len);
    assert(!h.err);
    assert(h.len == OX_FRAME_HEADER);
    assert(encoded_as(f, out, OX_FRAME_HEADER + w.len));
    return OX_FRAME_HEADER + w.len;
}

/* ---- decoder ---- */

/* A str8 into out[cap]: TRUNCATED if its bytes are not there, BAD_STRING if it is
** longer than cap-1 or holds a NUL. */
static ox_wire_err get_str8(ox_reader *r, char *out, size_t cap) {
    out[0] = '\0';
    if (ox_reader_left(r) < 1) return OX_WIRE_TRUNCATED;
    size_t n = r->buf[r->pos];
    if (ox_reader_left(r) < 1 + n) return OX_WIRE_TRUNCATED;
    ox_get_str8(r, out, cap);
    return r->err ? OX_WIRE_BAD_STRING : OX_WIRE_OK;
}

/* The fixed part of a msg is 1+8+8+4+8+4 bytes, then the reason string. */
#define MSG_FIXED 33

static ox_wire_err get_msg(ox_reader *r, ox_msg *m) {
    if (ox_reader_left(r) < MSG_FIXED) return OX_WIRE_TRUNCATED;
    m->kind = ox_get_u8(r);
    if (!kind_known(m->kind)) return OX_WIRE_UNKNOWN_KIND;
    m->msg_id = ox_get_u64(r);
    m->pay_id = ox_get_u64(r);
    m->account = ox_get_u32(r);
    m->amount = ox_get_i64(r);
    m->attempt = ox_get_u32(r);
    assert(!r->err);
    return get_str8(r, m->reason, sizeof m->reason);
}

static ox_wire_err get_body(ox_reader *r, ox_frame *f) {
    ox_wire_err e = get_str8(r, f->queue, sizeof f->queue);
    if (e != OX_WIRE_OK) return e;
    if (f->type != OX_F_PUBLISH) {
        if (ox_reader_left(r) < 8) return OX_WIRE_TRUNCATED;
        f->delivery = ox_get_u64(r);
    }
    if (f->type == OX_F_DELIVER) {
        if (ox_reader_left(r) < 4) return OX_WIRE_TRUNCATED;
        f->redeliveries = ox_get_u32(r);
    }
    if (has_msg(f->type)) return get_msg(r, &f->msg);
    return OX_WIRE_OK;
}

ox_wire_err ox_wire_decode(const uint8_t *buf, size_t len, ox_frame *f) {
    assert(f);
    assert(buf || len == 0);
    memset(f, 0, sizeof *f);
    if (len > OX_FRAME_MAX) return OX_WIRE_OVERSIZED;
    if (len < OX_FRAME_HEADER) return OX_WIRE_TRUNCATED;
    if (memcmp(buf, MAGIC, 2) != 0) return OX_WIRE_BAD_MAGIC;
    if (buf[2] != OX_WIRE_VERSION) return OX_WIRE_BAD_VERSION;
    if (!type_known(buf[3])) return OX_WIRE_UNKNOWN_TYPE;
    f->type = buf[3];

    ox_reader h;
    ox_reader_init(&h, buf + 4, 4);
    uint32_t n = ox_get_u32(&h);
    if (n > OX_FRAME_MAX - OX_FRAME_HEADER) return OX_WIRE_OVERSIZED;
    if (n > len - OX_FRAME_HEADER) return OX_WIRE_TRUNCATED;

    /* The body reader ends at the stated length, never at the buffer's end. */
    ox_reader r;
    ox_reader_init(&r, buf + OX_FRAME_HEADER, n);
    ox_wire_err e = get_body(&r, f);
    if (e != OX_WIRE_OK) return e;
    if (ox_reader_left(&r) != 0 || OX_FRAME_HEADER + (size_t)n != len) return OX_WIRE_TRAILING;
    assert(encode_check(f) == OX_WIRE_OK);   /* the encoder would write what we accepted */
    return OX_WIRE_OK;
}

/* ---- names ---- */

const char *ox_wire_strerror(ox_wire_err e) {
    switch (e) {
    case OX_WIRE_OK: return "ok";
    case OX_WIRE_TRUNCATED: return "truncated frame";
    case OX_WIRE_OVERSIZED: return "oversized frame";
    case OX_WIRE_BAD_MAGIC: return "bad magic";
    case OX_WIRE_BAD_VERSION: return "bad version";
    case OX_WIRE_UNKNOWN_TYPE: return "unknown frame type";
    case OX_WIRE_UNKNOWN_KIND: return "unknown message kind";
    case OX_WIRE_BAD_STRING: return "bad string";
    case OX_WIRE_TRAILING: return "trailing bytes";
    case OX_WIRE_NO_SPACE: return "no space";
    }
    return "unknown wire error";
}

const char *ox_wire_type_name(uint8_t type) {
    switch (type) {
    case OX_F_PUBLISH: return "PUBLISH";
    case OX_F_DELIVER: return "DELIVER";
    case OX_F_DACK: return "DACK";
    }
    return "?";
}

const char *ox_wire_kind_name(uint8_t kind) {
    switch (kind) {
    case OX_M_PAYMENT: return "PAYMENT";
    case OX_M_CONSUMED: return "CONSUMED";
    case OX_M_CONSUME_FAILED: return "CONSUME_FAILED";
    }
    return "?";
}
