/*
** test_wire.c: the frame encoder and decoder (lib/wire.h), the frame constructors,
** and the name tables of frames (lib/wire.h) and roles (lib/role.h).
**
** Round trips of every frame type at the edges of every field, each decode error
** reached by a frame that is wrong in exactly one way, and a seeded mutation run on
** exact-size heap buffers so that any read out of bounds trips the sanitizer.  The
** tables: every frame's label is its type and kind names, found again by
** ox_wire_label; every role name parses back to its role.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../lib/prng.h"
#include "../../../lib/role.h"
#include "../../../lib/wire.h"

static ox_frame sample(uint8_t type) {
    ox_frame f;
    memset(&f, 0, sizeof f);
    f.type = type;
    strcpy(f.queue, OX_PAY_QUEUE);
    if (type != OX_F_PUBLISH) f.delivery = 0x0123456789abcdefULL;
    if (type == OX_F_DELIVER) f.redeliveries = 7;
    if (type != OX_F_DACK) {
        f.msg.kind = OX_M_CONSUME_FAILED;
        f.msg.msg_id = 42;
        f.msg.pay_id = UINT64_MAX;
        f.msg.account = UINT32_MAX;
        f.msg.amount = INT64_MIN;
        f.msg.attempt = 3;
        strcpy(f.msg.reason, "account 9 is frozen");
    }
    return f;
}

static size_t enc(const ox_frame *f, uint8_t *buf) {
    ox_wire_err e = OX_WIRE_TRAILING;
    size_t n = ox_wire_encode(f, buf, OX_FRAME_MAX, &e);
    assert_int_equal(e, OX_WIRE_OK);
    assert_true(n >= OX_FRAME_HEADER && n <= OX_FRAME_MAX);
    return n;
}

/* Decodes a private heap copy of exactly n bytes, so a read past n is caught. */
static ox_wire_err dec(const uint8_t *buf, size_t n, ox_frame *f) {
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n) memcpy(copy, buf, n);
    ox_wire_err e = ox_wire_decode(copy, n, f);
    free(copy);
    return e;
}

static void assert_same(const ox_frame *a, const ox_frame *b) {
    assert_int_equal(a->type, b->type);
    assert_string_equal(a->queue, b->queue);
    assert_true(a->delivery == b->delivery);
    assert_int_equal(a->redeliveries, b->redeliveries);
    assert_int_equal(a->msg.kind, b->msg.kind);
    assert_true(a->msg.msg_id == b->msg.msg_id);
    assert_true(a->msg.pay_id == b->msg.pay_id);
    assert_int_equal(a->msg.account, b->msg.account);
    assert_true(a->msg.amount == b->msg.amount);
    assert_int_equal(a->msg.attempt, b->msg.attempt);
    assert_string_equal(a->msg.reason, b->msg.reason);
}

static void test_round_trip_every_type(void **state) {
    (void)state;
    for (uint8_t t = OX_F_PUBLISH; t <= OX_F_DACK; t++) {
        ox_frame f = sample(t), g;
        uint8_t buf[OX_FRAME_MAX];
        size_t n = enc(&f, buf);
        assert_int_equal(dec(buf, n, &g), OX_WIRE_OK);
        assert_same(&f, &g);
    }
}

static void test_round_trip_longest_strings(void **state) {
    (void)state;
    ox_frame f = sample(OX_F_DELIVER), g;
    memset(f.queue, 'Q', OX_QUEUE_MAX);
    f.queue[OX_QUEUE_MAX] = '\0';
    memset(f.msg.reason, 'r', OX_REASON_MAX);
    f.msg.reason[OX_REASON_MAX] = '\0';
    uint8_t buf[OX_FRAME_MAX];
    size_t n = enc(&f, buf);
    /* header + queue + delivery + redeliveries + msg with the longest reason */
    assert_int_equal(n, 8 + 1 + OX_QUEUE_MAX + 8 + 4 + 33 + 1 + OX_REASON_MAX);
    assert_int_equal(dec(buf, n, &g), OX_WIRE_OK);
    assert_same(&f, &g);
}

static void test_layout_is_little_endian(void **state) {
    (void)state;
    ox_frame f = sample(OX_F_DACK);
    f.queue[0] = 'A';
    f.queue[1] = '\0';
    f.delivery = 0x0807060504030201ULL;
    uint8_t buf[OX_FRAME_MAX];
    size_t n = enc(&f, buf);
    const uint8_t want[] = { 'O', 'X', 1, 3, 10, 0, 0, 0, 1, 'A', 1, 2, 3, 4, 5, 6, 7, 8 };
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
}

static void test_encode_errors(void **state) {
    (void)state;
    uint8_t buf[OX_FRAME_MAX];
    ox_wire_err e;
    ox_frame f = sample(OX_F_PUBLISH);
    f.type = 9;
    assert_int_equal(ox_wire_encode(&f, buf, sizeof buf, &e), 0);
    assert_int_equal(e, OX_WIRE_UNKNOWN_TYPE);
    f = sample(OX_F_PUBLISH);
    f.msg.kind = 0;
    assert_int_equal(ox_wire_encode(&f, buf, sizeof buf, &e), 0);
    assert_int_equal(e, OX_WIRE_UNKNOWN_KIND);
    f = sample(OX_F_PUBLISH);
    memset(f.queue, 'Q', sizeof f.queue);            /* 33 bytes, no NUL */
    assert_int_equal(ox_wire_encode(&f, buf, sizeof buf, &e), 0);
    assert_int_equal(e, OX_WIRE_BAD_STRING);
    f = sample(OX_F_PUBLISH);
    memset(f.msg.reason, 'r', sizeof f.msg.reason);
    assert_int_equal(ox_wire_encode(&f, buf, sizeof buf, &e), 0);
    assert_int_equal(e, OX_WIRE_BAD_STRING);
    f = sample(OX_F_PUBLISH);
    size_t need = enc(&f, buf);
    uint8_t small[OX_FRAME_MAX];
    assert_int_equal(ox_wire_encode(&f, small, need - 1, &e), 0);
    assert_int_equal(e, OX_WIRE_NO_SPACE);
    assert_int_equal(ox_wire_encode(&f, small, 3, &e), 0);
    assert_int_equal(e, OX_WIRE_NO_SPACE);
    assert_int_equal(ox_wire_encode(&f, small, need, &e), need);
}

static void test_truncated_header(void **state) {
    (void)state;
    ox_frame f = sample(OX_F_PUBLISH), g;
    uint8_t buf[OX_FRAME_MAX];
    enc(&f, buf);
    for (size_t n = 0; n < OX_FRAME_HEADER; n++)
        assert_int_equal(dec(buf, n, &g), OX_WIRE_TRUNCATED);
}

static void test_truncated_body(void **state) {
    (void)state;
    for (uint8_t t = OX_F_PUBLISH; t <= OX_F_DACK; t++) {
        ox_frame f = sample(t), g;
        uint8_t buf[OX_FRAME_MAX];
        size_t n = enc(&f, buf);
        /* a cut buffer: the header promises more than there is */
        for (size_t k = OX_FRAME_HEADER; k < n; k++)
            assert_int_equal(dec(buf, k, &g), OX_WIRE_TRUNCATED);
        /* a consistent header whose body is too short for its fields */
        for (size_t k = OX_FRAME_HEADER; k < n; k++) {
            uint8_t cut[OX_FRAME_MAX];
            memcpy(cut, buf, k);
            cut[4] = (uint8_t)(k - OX_FRAME_HEADER);
            cut[5] = cut[6] = cut[7] = 0;
            ox_wire_err e = dec(cut, k, &g);
            /* the cut may land in the middle of a string and make its length byte lie */
            assert_true(e == OX_WIRE_TRUNCATED);
        }
    }
}

static void test_oversized(void **state) {
    (void)state;
    ox_frame g;
    uint8_t big[OX_FRAME_MAX + 1];
    memset(big, 0, sizeof big);
    ox_frame f = sample(OX_F_PUBLISH);
    enc(&f, big);
    assert_int_equal(dec(big, sizeof big, &g), OX_WIRE_OVERSIZED);
    /* a small buffer whose header states a body over the limit */
    uint8_t buf[OX_FRAME_MAX];
    size_t n = enc(&f, buf);
    uint32_t body = OX_FRAME_MAX - OX_FRAME_HEADER + 1;
    buf[4] = (uint8_t)body;
    buf[5] = (uint8_t)(body >> 8);
    assert_int_equal(dec(buf, n, &g), OX_WIRE_OVERSIZED);
    buf[4] = buf[5] = buf[6] = buf[7] = 0xff;
    assert_int_equal(dec(buf, n, &g), OX_WIRE_OVERSIZED);
}

static void test_bad_header_fields(void **state) {
    (void)state;
    ox_frame f = sample(OX_F_PUBLISH), g;
    uint8_t buf[OX_FRAME_MAX];
    size_t n = enc(&f, buf);
    buf[1] = 'Y';
    assert_int_equal(dec(buf, n, &g), OX_WIRE_BAD_MAGIC);
    buf[1] = 'X';
    buf[2] = 2;
    assert_int_equal(dec(buf, n, &g), OX_WIRE_BAD_VERSION);
    buf[2] = OX_WIRE_VERSION;
    const uint8_t bad_types[] = { 0, 4, 255 };
    for (size_t i = 0; i < sizeof bad_types; i++) {
        buf[3] = bad_types[i];
        assert_int_equal(dec(buf, n, &g), OX_WIRE_UNKNOWN_TYPE);
    }
    buf[3] = OX_F_PUBLISH;
    assert_int_equal(dec(buf, n, &g), OX_WIRE_OK);
}

/* Offset of the msg kind byte in a PUBLISH of queue PAY_QUEUE. */
#define KIND_AT (8 + 1 + 9)

static void test_unknown_kind(void **state) {
    (void)state;
    ox_frame f = sample(OX_F_PUBLISH), g;
    uint8_t buf[OX_FRAME_MAX];
    size_t n = enc(&f, buf);
    assert_int_equal(buf[KIND_AT], OX_M_CONSUME_FAILED);
    buf[KIND_AT] = 0;
    assert_int_equal(dec(buf, n, &g), OX_WIRE_UNKNOWN_KIND);
    buf[KIND_AT] = 4;
    assert_int_equal(dec(buf, n, &g), OX_WIRE_UNKNOWN_KIND);
}

static void test_bad_strings(void **state) {
    (void)state;
    ox_frame f = sample(OX_F_PUBLISH), g;
    uint8_t buf[OX_FRAME_MAX];
    size_t n = enc(&f, buf);
    buf[8 + 3] = '\0';                        /* a NUL inside the queue name */
    assert_int_equal(dec(buf, n, &g), OX_WIRE_BAD_STRING);

    /* a queue name one byte over the limit, with its bytes present */
    memset(f.queue, 'Q', OX_QUEUE_MAX);
    f.queue[OX_QUEUE_MAX] = '\0';
    n = enc(&f, buf);
    memmove(buf + 9 + OX_QUEUE_MAX + 1, buf + 9 + OX_QUEUE_MAX, n - 9 - OX_QUEUE_MAX);
    buf[9 + OX_QUEUE_MAX] = 'Q';
    buf[8] = OX_QUEUE_MAX + 1;
    buf[4]++;
    assert_int_equal(dec(buf, n + 1, &g), OX_WIRE_BAD_STRING);

    /* a reason one byte over the limit */
    f = sample(OX_F_PUBLISH);
    memset(f.msg.reason, 'r', OX_REASON_MAX);
    f.msg.reason[OX_REASON_MAX] = '\0';
    n = enc(&f, buf);
    buf[n] = 'r';
    buf[n - OX_REASON_MAX - 1] = OX_REASON_MAX + 1;
    buf[4]++;
    assert_int_equal(dec(buf, n + 1, &g), OX_WIRE_BAD_STRING);
}

static void test_trailing(void **state) {
    (void)state;
    for (uint8_t t = OX_F_PUBLISH; t <= OX_F_DACK; t++) {
        ox_frame f = sample(t), g;
        uint8_t buf[OX_FRAME_MAX];
        size_t n = enc(&f, buf);
        buf[n] = 0;
        assert_int_equal(dec(buf, n + 1, &g), OX_WIRE_TRAILING);   /* after the stated body */
        buf[4]++;
        assert_int_equal(dec(buf, n + 1, &g), OX_WIRE_TRAILING);   /* inside the stated body */
    }
}

/* Random mutations of valid frames: every result is a known code, an accepted frame
** re-encodes to the same bytes, and no read leaves the buffer (ASan). */
static void test_mutations(void **state) {
    (void)state;
    ox_prng p;
    ox_prng_seed(&p, 12345);
    int seen[OX_WIRE_NO_SPACE + 1] = { 0 };
    for (int i = 0; i < 200000; i++) {
        ox_frame f = sample((uint8_t)(1 + ox_prng_below(&p, 3))), g;
        uint8_t buf[OX_FRAME_MAX + 8];
        size_t n = enc(&f, buf);
        int flips = (int)ox_prng_below(&p, 4);
        for (int k = 0; k < flips; k++) buf[ox_prng_below(&p, n)] = (uint8_t)ox_prng_next(&p);
        size_t len = n;
        if (ox_prng_chance(&p, 0.3)) len = (size_t)ox_prng_below(&p, n + 8);
        if (len > n) memset(buf + n, 0xee, len - n);
        ox_wire_err e = dec(buf, len, &g);
        assert_true(e >= OX_WIRE_OK && e < OX_WIRE_NO_SPACE);
        seen[e]++;
        if (e == OX_WIRE_OK) {
            uint8_t again[OX_FRAME_MAX];
            assert_int_equal(enc(&g, again), len);
            assert_memory_equal(again, buf, len);
        }
    }
    for (int e = OX_WIRE_OK; e < OX_WIRE_NO_SPACE; e++) assert_true(seen[e] > 0);
}

static void test_names(void **state) {
    (void)state;
    for (int a = OX_WIRE_OK; a <= OX_WIRE_NO_SPACE; a++) {
        assert_non_null(ox_wire_strerror((ox_wire_err)a));
        for (int b = OX_WIRE_OK; b < a; b++)
            assert_string_not_equal(ox_wire_strerror((ox_wire_err)a),
                                    ox_wire_strerror((ox_wire_err)b));
    }
    assert_string_equal(ox_wire_type_name(OX_F_PUBLISH), "PUBLISH");
    assert_string_equal(ox_wire_type_name(OX_F_DELIVER), "DELIVER");
    assert_string_equal(ox_wire_type_name(OX_F_DACK), "DACK");
    assert_string_equal(ox_wire_type_name(0), "?");
    assert_string_equal(ox_wire_kind_name(OX_M_PAYMENT), "PAYMENT");
    assert_string_equal(ox_wire_kind_name(OX_M_CONSUMED), "CONSUMED");
    assert_string_equal(ox_wire_kind_name(OX_M_CONSUME_FAILED), "CONSUME_FAILED");
    assert_string_equal(ox_wire_kind_name(9), "?");
}

static ox_msg sample_msg(uint8_t kind) {
    ox_frame f = sample(OX_F_PUBLISH);
    f.msg.kind = kind;
    return f.msg;
}

/* Each constructor's frame encodes and decodes back to exactly what it was given. */
static void test_constructors(void **state) {
    (void)state;
    uint8_t buf[OX_FRAME_MAX];
    ox_msg m = sample_msg(OX_M_PAYMENT);
    ox_frame f = ox_wire_publish(OX_PAY_QUEUE, &m), g;
    ox_frame want = sample(OX_F_PUBLISH);
    want.msg = m;
    assert_same(&f, &want);
    assert_int_equal(dec(buf, enc(&f, buf), &g), OX_WIRE_OK);
    assert_same(&f, &g);

    m = sample_msg(OX_M_CONSUMED);
    f = ox_wire_deliver(OX_ACC_QUEUE, 77, 2, &m);
    assert_int_equal(f.type, OX_F_DELIVER);
    assert_string_equal(f.queue, OX_ACC_QUEUE);
    assert_true(f.delivery == 77);
    assert_int_equal(f.redeliveries, 2);
    assert_int_equal(dec(buf, enc(&f, buf), &g), OX_WIRE_OK);
    assert_same(&f, &g);

    f = ox_wire_dack(OX_PAY_QUEUE, UINT64_MAX);
    assert_int_equal(f.type, OX_F_DACK);
    assert_true(f.delivery == UINT64_MAX);
    assert_int_equal(f.msg.kind, 0);
    assert_int_equal(dec(buf, enc(&f, buf), &g), OX_WIRE_OK);
    assert_same(&f, &g);
}

static void test_frame_table(void **state) {
    (void)state;
    for (size_t i = 0; i < OX_WIRE_NFRAMES; i++) {
        const ox_frame_route *r = &ox_wire_frames[i];
        char label[64];
        if (r->type == OX_F_DACK) snprintf(label, sizeof label, "DACK");
        else snprintf(label, sizeof label, "%s %s", ox_wire_type_name(r->type),
                      ox_wire_kind_name(r->kind));
        assert_string_equal(r->label, label);
        assert_true(r->meaning != NULL && r->meaning[0] != '\0');
        assert_true(r->src != r->dst);
        assert_true(r->src == OX_ROLE_BROKER || r->dst == OX_ROLE_BROKER);
        assert_true(!strcmp(r->queue, OX_PAY_QUEUE) || !strcmp(r->queue, OX_ACC_QUEUE));
        ox_frame f = sample(r->type);
        f.msg.kind = r->kind;
        assert_string_equal(ox_wire_label(&f), r->label);
    }
    ox_frame f = sample(OX_F_DELIVER);
    f.msg.kind = 9;
    assert_string_equal(ox_wire_label(&f), "?");
    f.type = 0;
    assert_string_equal(ox_wire_label(&f), "?");
}

static void test_role_table(void **state) {
    (void)state;
    for (int i = 0; i < OX_ROLE_COUNT; i++) {
        ox_role r = OX_ROLE_BROKER;
        assert_non_null(ox_role_names[i]);
        assert_string_equal(ox_role_name((ox_role)i), ox_role_names[i]);
        assert_int_equal(ox_role_parse(ox_role_names[i], &r), 0);
        assert_int_equal(r, i);
        assert_true(ox_role_meaning((ox_role)i)[0] != '\0');
        assert_string_not_equal(ox_role_meaning((ox_role)i), "?");
    }
    assert_null(ox_role_names[OX_ROLE_COUNT]);
    assert_string_equal(ox_role_name((ox_role)OX_ROLE_COUNT), "?");
    assert_string_equal(ox_role_meaning((ox_role)OX_ROLE_COUNT), "?");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_round_trip_longest_strings),
        cmocka_unit_test(test_layout_is_little_endian),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_truncated_header),
        cmocka_unit_test(test_truncated_body),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_bad_header_fields),
        cmocka_unit_test(test_unknown_kind),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_trailing),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_constructors),
        cmocka_unit_test(test_frame_table),
        cmocka_unit_test(test_role_table),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
