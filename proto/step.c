/*
** step.c: encoder and decoder of the node protocol (see step.h).
**
** Encoder and decoder are asserted as a pair: step_size() and effect_size() say how
** many bytes a record takes, computed from its fields alone; the encoder asserts it
** wrote exactly that many and the decoder that it read exactly that many, so the two
** sides cannot drift apart on any field without an assertion failing in a test.
*/
#include "step.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "../lib/codec.h"

#define STEP_VERSION 3   /* 2: armed entries carry an action; 3: batches, clock_us */
#define STEP_HEADER 4     /* "ST" version nsteps */
#define REPLY_HEADER 4    /* "RP" version nsections */
#define SECTION_HEADER 7  /* seq status neffects */

const char *ox_step_kind_name(uint8_t kind) {
    switch (kind) {
    case OX_STEP_START: return "START";
    case OX_STEP_FRAME: return "FRAME";
    case OX_STEP_TIMER: return "TIMER";
    case OX_STEP_PAY: return "PAY";
    case OX_STEP_STOP: return "STOP";
    default: return "?";
    }
}

/* ---- sizes: what the encoder writes and the decoder reads, for one record ---- */

static size_t str8_size(const char *s) { return 1 + strlen(s); }

static size_t step_size(const ox_step *s) {
    size_t n = 4 + 1 + 8 + 8 + 1;   /* seq kind vtime_us clock_us narmed */
    for (int i = 0; i < s->narmed; i++) n += str8_size(s->armed[i].name) + 4 + 1;
    switch (s->kind) {
    case OX_STEP_FRAME: n += str8_size(s->from) + 4 + s->frame_len; break;
    case OX_STEP_TIMER: n += 4; break;
    case OX_STEP_PAY: n += 8 + 4 + 8; break;
    default: break;
    }
    return n;
}

static size_t effect_size(const ox_effect *e) {
    size_t n = 1;   /* type */
    switch (e->type) {
    case OX_FX_SEND:
        n += str8_size(e->to) + str8_size(e->queue) + str8_size(e->label) + 8 + 8 + 8;
        n += 4 + e->frame_len;
        break;
    case OX_FX_TIMER: n += 4 + 8; break;
    case OX_FX_REPLY: n += 8 + 1 + str8_size(e->detail); break;
    case OX_FX_NOTE: n += str8_size(e->label) + 8 + 2 + strlen(e->detail); break;
    case OX_FX_FAILPOINT:
    case OX_FX_INJECTED:
    case OX_FX_DECLARE: n += str8_size(e->label); break;
    case OX_FX_PASSED: n += str8_size(e->label) + 4; break;
    default: assert(!"unknown effect type");
    }
    return n;
}

/* ---- steps ---- */

static void put_step(ox_writer *w, const ox_step *s) {
    assert(s->narmed <= OX_STEP_MAX_ARMED);
    assert(s->kind >= OX_STEP_START);
    assert(s->kind <= OX_STEP_STOP);
    assert(s->kind != OX_STEP_FRAME || s->frame != NULL || s->frame_len == 0);
    size_t start = w->len;
    ox_put_u32(w, s->seq);
    ox_put_u8(w, s->kind);
    ox_put_i64(w, s->vtime_us);
    ox_put_i64(w, s->clock_us);
    ox_put_u8(w, s->narmed);
    for (int i = 0; i < s->narmed; i++) {
        assert(s->armed[i].action <= OX_ARM_INJECT);
        ox_put_str8(w, s->armed[i].name);
        ox_put_u32(w, s->armed[i].skip);
        ox_put_u8(w, s->armed[i].action);
    }
    switch (s->kind) {
    case OX_STEP_FRAME:
        ox_put_str8(w, s->from);
        ox_put_blob(w, s->frame, s->frame_len);
        break;
    case OX_STEP_TIMER:
        ox_put_u32(w, s->timer_id);
        break;
    case OX_STEP_PAY:
        ox_put_u64(w, s->pay_id);
        ox_put_u32(w, s->account);
        ox_put_i64(w, s->amount);
        break;
    default:
        break;
    }
    if (!w->err) assert(w->len - start == step_size(s));   /* paired with get_step */
}

size_t ox_steps_encode(const ox_step *steps, unsigned nsteps, uint8_t *out, size_t cap) {
    assert(steps != NULL);
    assert(out != NULL);
    assert(nsteps >= 1);
    assert(nsteps <= OX_BATCH_MAX);
    ox_writer w;
    ox_writer_init(&w, out, cap);
    ox_put_bytes(&w, "ST", 2);
    ox_put_u8(&w, STEP_VERSION);
    ox_put_u8(&w, (uint8_t)nsteps);
    for (unsigned i = 0; i < nsteps; i++) put_step(&w, &steps[i]);
    if (w.err) return 0;
    assert(w.len >= STEP_HEADER);
    assert(w.len <= cap);
    return w.len;
}

void ox_clock_text(int64_t clock_us, char out[OX_CLOCK_TEXT_LEN + 1]) {
    assert(clock_us >= 0);
    assert(clock_us <= OX_CLOCK_MAX_US);
    int n = snprintf(out, OX_CLOCK_TEXT_LEN + 1, "%010lld.%06lld", (long long)(clock_us / 1000000),
                     (long long)(clock_us % 1000000));
    assert(n == OX_CLOCK_TEXT_LEN);
    (void)n;
}

size_t ox_step_encode(const ox_step *s, uint8_t *out, size_t cap) {
    return ox_steps_encode(s, 1, out, cap);
}

/* One step of a batch (number `at`, from 1) into s; 0, or -1 with a reason. */
static int get_step(ox_reader *r, unsigned at, ox_step *s, char *err, size_t errlen) {
    assert(at >= 1);
    assert(at <= OX_BATCH_MAX);
    memset(s, 0, sizeof *s);
    size_t start = r->pos;
    s->seq = ox_get_u32(r);
    s->kind = ox_get_u8(r);
    s->vtime_us = ox_get_i64(r);
    s->clock_us = ox_get_i64(r);
    s->narmed = ox_get_u8(r);
    if (r->err) { snprintf(err, errlen, "step %u is truncated", at); return -1; }
    if (s->clock_us < 0 || s->clock_us > OX_CLOCK_MAX_US) {
        snprintf(err, errlen, "step %u sets the clock to %lld us, outside 0..%lld", at,
                 (long long)s->clock_us, OX_CLOCK_MAX_US);
        return -1;
    }
    if (s->narmed > OX_STEP_MAX_ARMED) {
        snprintf(err, errlen, "step arms %u failpoints, max %d", s->narmed, OX_STEP_MAX_ARMED);
        return -1;
    }
    for (int i = 0; i < s->narmed; i++) {
        ox_get_str8(r, s->armed[i].name, sizeof s->armed[i].name);
        s->armed[i].skip = ox_get_u32(r);
        s->armed[i].action = ox_get_u8(r);
        if (!r->err && s->armed[i].action > OX_ARM_INJECT) {
            /* not the name: it is unchecked bytes, and a reason is one line */
            snprintf(err, errlen, "armed entry %d has unknown action %u", i + 1,
                     s->armed[i].action);
            return -1;
        }
        if (!r->err && s->armed[i].name[0] == '\0') {
            snprintf(err, errlen, "armed entry %d has an empty name", i + 1);
            return -1;
        }
    }
    switch (s->kind) {
    case OX_STEP_START: case OX_STEP_STOP: break;
    case OX_STEP_FRAME:
        ox_get_str8(r, s->from, sizeof s->from);
        s->frame = ox_get_blob(r, OX_BLOB_MAX, &s->frame_len);
        break;
    case OX_STEP_TIMER: s->timer_id = ox_get_u32(r); break;
    case OX_STEP_PAY:
        s->pay_id = ox_get_u64(r);
        s->account = ox_get_u32(r);
        s->amount = ox_get_i64(r);
        break;
    default:
        snprintf(err, errlen, "unknown step kind %u", s->kind);
        return -1;
    }
    if (r->err) {
        snprintf(err, errlen, "truncated or malformed %s step", ox_step_kind_name(s->kind));
        return -1;
    }
    assert(r->pos - start == step_size(s));   /* paired with put_step */
    assert(s->narmed <= OX_STEP_MAX_ARMED);
    assert(s->clock_us >= 0);
    return 0;
}

/* What a batch must be beyond its steps being well formed (step.h). */
static int check_batch(const ox_step *steps, unsigned n, char *err, size_t errlen) {
    for (unsigned i = 0; i < n; i++) {
        const ox_step *s = &steps[i];
        if (n > 1 && (s->kind == OX_STEP_START || s->kind == OX_STEP_STOP)) {
            snprintf(err, errlen, "a %s step in a batch of %u", ox_step_kind_name(s->kind), n);
            return -1;
        }
        if (i > 0 && (s->seq != steps[i - 1].seq + 1 || s->vtime_us < steps[i - 1].vtime_us)) {
            snprintf(err, errlen, "step %u of the batch does not follow step %u (seq or vtime)",
                     i + 1, i);
            return -1;
        }
    }
    return 0;
}

int ox_steps_decode(const uint8_t *buf, size_t len, ox_step *steps, unsigned *nsteps,
                    char *err, size_t errlen) {
    assert(buf != NULL || len == 0);
    assert(steps != NULL);
    assert(nsteps != NULL);
    assert(err != NULL);
    assert(errlen > 0);
    *nsteps = 0;
    memset(&steps[0], 0, sizeof steps[0]);
    if (len > OX_STEP_MAX) {
        snprintf(err, errlen, "step of %zu bytes exceeds %u", len, OX_STEP_MAX);
        return -1;
    }
    ox_reader r;
    ox_reader_init(&r, buf, len);
    uint8_t m0 = ox_get_u8(&r), m1 = ox_get_u8(&r), v = ox_get_u8(&r);
    if (r.err || m0 != 'S' || m1 != 'T' || v != STEP_VERSION) {
        snprintf(err, errlen, "not a step frame (bad magic or version)");
        return -1;
    }
    unsigned n = ox_get_u8(&r);
    if (r.err || n == 0 || n > OX_BATCH_MAX) {
        snprintf(err, errlen, "a batch of %u steps (1..%d)", n, OX_BATCH_MAX);
        return -1;
    }
    for (unsigned i = 0; i < n; i++)
        if (get_step(&r, i + 1, &steps[i], err, errlen) != 0) return -1;
    if (ox_reader_left(&r)) {
        snprintf(err, errlen, "%zu trailing bytes after the steps", ox_reader_left(&r));
        return -1;
    }
    if (check_batch(steps, n, err, errlen) != 0) return -1;
    assert(r.pos == len);
    *nsteps = n;
    return 0;
}

int ox_step_decode(const uint8_t *buf, size_t len, ox_step *s, char *err, size_t errlen) {
    ox_step steps[OX_BATCH_MAX];
    unsigned n = 0;
    int rc = ox_steps_decode(buf, len, steps, &n, err, errlen);
    *s = steps[0];   /* on error too: a node answers a bad step with its seq if it has one */
    if (rc == 0 && n != 1) {
        snprintf(err, errlen, "a batch of %u steps where one was expected", n);
        return -1;
    }
    return rc;
}

/* ---- replies ---- */

static void open_section(ox_reply_builder *b, uint32_t seq) {
    assert(!b->overflow);
    assert(b->len >= REPLY_HEADER);
    assert(b->len <= b->cap);
    b->section = b->len;
    b->neffects = 0;
    ox_writer w;
    ox_writer_init(&w, b->buf + b->len, b->cap - b->len);
    ox_put_u32(&w, seq);
    ox_put_u8(&w, OX_REPLY_OK);   /* patched when the section closes */
    ox_put_u16(&w, 0);            /* patched when the section closes */
    if (w.err || b->nsections == UINT8_MAX) { b->overflow = 1; return; }
    b->len += w.len;
    b->nsections++;
}

static void close_section(ox_reply_builder *b, uint8_t status) {
    assert(status <= OX_REPLY_FATAL);
    if (b->overflow) return;
    assert(b->section + SECTION_HEADER <= b->len);
    assert(b->neffects <= OX_STEP_MAX_EFFECTS);
    uint8_t *h = b->buf + b->section;
    h[4] = status;
    h[5] = (uint8_t)b->neffects;
    h[6] = (uint8_t)(b->neffects >> 8);
}

void ox_reply_begin(ox_reply_builder *b, uint8_t *buf, size_t cap, uint32_t seq) {
    assert(b != NULL);
    assert(buf != NULL);
    assert(cap >= REPLY_HEADER + SECTION_HEADER);
    b->buf = buf;
    b->cap = cap;
    b->len = 0;
    b->nsections = 0;
    b->overflow = 0;
    ox_writer w;
    ox_writer_init(&w, buf, cap);
    ox_put_bytes(&w, "RP", 2);
    ox_put_u8(&w, STEP_VERSION);
    ox_put_u8(&w, 0);             /* nsections: patched by finish */
    assert(!w.err);
    assert(w.len == REPLY_HEADER);
    b->len = w.len;
    open_section(b, seq);
}

void ox_reply_next(ox_reply_builder *b, uint32_t seq) {
    close_section(b, OX_REPLY_OK);
    if (!b->overflow) open_section(b, seq);
}

void ox_reply_add(ox_reply_builder *b, const ox_effect *e) {
    assert(e != NULL);
    assert(e->type != OX_FX_SEND || e->frame != NULL || e->frame_len == 0);
    if (b->overflow) return;
    if (b->neffects >= OX_STEP_MAX_EFFECTS) { b->overflow = 1; return; }
    ox_writer w;
    ox_writer_init(&w, b->buf + b->len, b->cap - b->len);
    ox_put_u8(&w, e->type);
    switch (e->type) {
    case OX_FX_SEND:
        ox_put_str8(&w, e->to);
        ox_put_str8(&w, e->queue);
        ox_put_str8(&w, e->label);
        ox_put_u64(&w, e->pay);
        ox_put_u64(&w, e->msg);
        ox_put_u64(&w, e->delivery);
        ox_put_blob(&w, e->frame, e->frame_len);
        break;
    case OX_FX_TIMER:
        ox_put_u32(&w, e->timer_id);
        ox_put_i64(&w, e->delay_us);
        break;
    case OX_FX_REPLY:
        ox_put_u64(&w, e->pay);
        ox_put_u8(&w, e->ok);
        ox_put_str8(&w, e->detail);
        break;
    case OX_FX_NOTE:
        ox_put_str8(&w, e->label);
        ox_put_u64(&w, e->pay);
        ox_put_str16(&w, e->detail);
        break;
    case OX_FX_FAILPOINT:
    case OX_FX_INJECTED:
    case OX_FX_DECLARE:
        ox_put_str8(&w, e->label);
        break;
    case OX_FX_PASSED:
        ox_put_str8(&w, e->label);
        ox_put_u32(&w, e->count);
        break;
    default:
        assert(!"unknown effect type");
    }
    /* A section keeps to what one step alone may produce (OX_STEP_MAX with its header). */
    if (w.err || b->len + w.len - b->section > OX_STEP_MAX - REPLY_HEADER) {
        b->overflow = 1;
        return;
    }
    assert(w.len == effect_size(e));   /* paired with decode_effect */
    b->len += w.len;
    b->neffects++;
    assert(b->len <= b->cap);
}

size_t ox_reply_finish(ox_reply_builder *b, uint8_t status) {
    close_section(b, status);
    if (b->overflow) return 0;
    assert(b->nsections >= 1);
    assert(b->nsections <= OX_BATCH_MAX);
    assert(b->len <= OX_REPLY_MAX);
    b->buf[3] = b->nsections;
    return b->len;
}

static int decode_effect(ox_reader *r, ox_effect *e) {
    memset(e, 0, sizeof *e);
    size_t start = r->pos;
    e->type = ox_get_u8(r);
    switch (e->type) {
    case OX_FX_SEND:
        ox_get_str8(r, e->to, sizeof e->to);
        ox_get_str8(r, e->queue, sizeof e->queue);
        ox_get_str8(r, e->label, sizeof e->label);
        e->pay = ox_get_u64(r);
        e->msg = ox_get_u64(r);
        e->delivery = ox_get_u64(r);
        e->frame = ox_get_blob(r, OX_BLOB_MAX, &e->frame_len);
        break;
    case OX_FX_TIMER:
        e->timer_id = ox_get_u32(r);
        e->delay_us = ox_get_i64(r);
        break;
    case OX_FX_REPLY:
        e->pay = ox_get_u64(r);
        e->ok = ox_get_u8(r);
        ox_get_str8(r, e->detail, sizeof e->detail);
        break;
    case OX_FX_NOTE:
        ox_get_str8(r, e->label, sizeof e->label);
        e->pay = ox_get_u64(r);
        ox_get_str16(r, e->detail, sizeof e->detail);
        break;
    case OX_FX_FAILPOINT:
    case OX_FX_INJECTED:
    case OX_FX_DECLARE:
        ox_get_str8(r, e->label, sizeof e->label);
        break;
    case OX_FX_PASSED:
        ox_get_str8(r, e->label, sizeof e->label);
        e->count = ox_get_u32(r);
        break;
    default:
        return -1;
    }
    if (r->err) return -1;
    assert(r->pos - start == effect_size(e));   /* paired with ox_reply_add */
    return 0;
}

int ox_reply_open(ox_reply_reader *rd, const uint8_t *buf, size_t len, char *err, size_t errlen) {
    assert(rd != NULL);
    assert(buf != NULL || len == 0);
    assert(err != NULL);
    assert(errlen > 0);
    memset(rd, 0, sizeof *rd);
    if (len > OX_REPLY_MAX) {
        snprintf(err, errlen, "reply of %zu bytes exceeds %u", len, OX_REPLY_MAX);
        return -1;
    }
    ox_reader r;
    ox_reader_init(&r, buf, len);
    uint8_t m0 = ox_get_u8(&r), m1 = ox_get_u8(&r), v = ox_get_u8(&r);
    if (r.err || m0 != 'R' || m1 != 'P' || v != STEP_VERSION) {
        snprintf(err, errlen, "not a reply frame (bad magic or version)");
        return -1;
    }
    unsigned n = ox_get_u8(&r);
    if (r.err || n == 0 || n > OX_BATCH_MAX) {
        snprintf(err, errlen, "a reply of %u sections (1..%d)", n, OX_BATCH_MAX);
        return -1;
    }
    rd->buf = buf;
    rd->len = len;
    rd->off = REPLY_HEADER;
    rd->nsections = n;
    return 0;
}

int ox_reply_next_section(ox_reply_reader *rd, ox_reply *rep, char *err, size_t errlen) {
    assert(rep->effects);
    assert(rd->off <= rd->len);
    assert(rd->read <= rd->nsections);
    ox_reader r;
    ox_reader_init(&r, rd->buf + rd->off, rd->len - rd->off);
    if (rd->read == rd->nsections) {
        if (ox_reader_left(&r)) {
            snprintf(err, errlen, "%zu trailing bytes after reply", ox_reader_left(&r));
            return -1;
        }
        return 0;
    }
    unsigned at = ++rd->read;
    rep->seq = ox_get_u32(&r);
    rep->status = ox_get_u8(&r);
    rep->neffects = ox_get_u16(&r);
    if (r.err) { snprintf(err, errlen, "truncated header of reply section %u", at); return -1; }
    if (rep->status > OX_REPLY_FATAL) {
        snprintf(err, errlen, "unknown reply status %u", rep->status);
        return -1;
    }
    if (rep->status != OX_REPLY_OK && at < rd->nsections) {
        snprintf(err, errlen, "reply section %u of %u has status %u: only the last may", at,
                 rd->nsections, rep->status);
        return -1;
    }
    if (rep->neffects > OX_STEP_MAX_EFFECTS) {
        snprintf(err, errlen, "reply lists %u effects, max %d", rep->neffects, OX_STEP_MAX_EFFECTS);
        return -1;
    }
    for (unsigned i = 0; i < rep->neffects; i++) {
        if (decode_effect(&r, &rep->effects[i]) != 0) {
            snprintf(err, errlen, "reply effect %u of %u is truncated or of unknown type", i + 1,
                     rep->neffects);
            return -1;
        }
    }
    rd->off += r.pos;
    assert(rd->off <= rd->len);
    return 1;
}

int ox_reply_decode(const uint8_t *buf, size_t len, ox_reply *rep, char *err, size_t errlen) {
    ox_reply_reader rd;
    if (ox_reply_open(&rd, buf, len, err, errlen) != 0) return -1;
    if (rd.nsections != 1) {
        snprintf(err, errlen, "a reply of %u sections where one was expected", rd.nsections);
        return -1;
    }
    if (ox_reply_next_section(&rd, rep, err, errlen) != 1) return -1;
    return ox_reply_next_section(&rd, rep, err, errlen) == 0 ? 0 : -1;
}
