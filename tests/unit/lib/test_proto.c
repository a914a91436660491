/*
** test_proto.c: the node protocol (proto/step.h) and the byte codec under it.
** Round trips, and every malformed input rejected without reading out of bounds.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../../lib/codec.h"
#include "../../../proto/step.h"

static uint8_t buf[OX_STEP_MAX];

static void step_round_trip(void **state) {
    (void)state;
    static const uint8_t frame[] = { 1, 2, 3, 4, 5 };
    ox_step s = { .seq = 9, .kind = OX_STEP_FRAME, .vtime_us = 123456789, .narmed = 2,
                  .frame = frame, .frame_len = sizeof frame };
    strcpy(s.armed[0].name, "payment.after_commit");
    s.armed[0].skip = 3;
    strcpy(s.armed[1].name, "payment.after_publish");
    strcpy(s.from, "broker");
    size_t n = ox_step_encode(&s, buf, sizeof buf);
    assert_true(n > 0);
    ox_step d;
    char err[128];
    assert_int_equal(ox_step_decode(buf, n, &d, err, sizeof err), 0);
    assert_int_equal(d.seq, 9);
    assert_int_equal(d.kind, OX_STEP_FRAME);
    assert_int_equal(d.vtime_us, 123456789);
    assert_int_equal(d.narmed, 2);
    assert_string_equal(d.armed[0].name, "payment.after_commit");
    assert_int_equal(d.armed[0].skip, 3);
    assert_string_equal(d.from, "broker");
    assert_int_equal(d.frame_len, sizeof frame);
    assert_memory_equal(d.frame, frame, sizeof frame);
}

/* An armed entry carries its action: crash (a failpoint) or inject (a fault site). */
static void step_armed_actions_round_trip(void **state) {
    (void)state;
    ox_step s = { .seq = 4, .kind = OX_STEP_TIMER, .timer_id = 2, .narmed = 2 };
    strcpy(s.armed[0].name, "broker.after_accept");
    s.armed[0].action = OX_ARM_CRASH;
    strcpy(s.armed[1].name, "broker.lose");
    s.armed[1].skip = 1;
    s.armed[1].action = OX_ARM_INJECT;
    size_t n = ox_step_encode(&s, buf, sizeof buf);
    assert_true(n > 0);
    ox_step d;
    char err[128];
    assert_int_equal(ox_step_decode(buf, n, &d, err, sizeof err), 0);
    assert_int_equal(d.narmed, 2);
    assert_int_equal(d.armed[0].action, OX_ARM_CRASH);
    assert_string_equal(d.armed[1].name, "broker.lose");
    assert_int_equal(d.armed[1].skip, 1);
    assert_int_equal(d.armed[1].action, OX_ARM_INJECT);
    /* the action byte follows name and skip: an unknown action is refused */
    /* header "ST" version nsteps, then seq kind vtime clock narmed */
    size_t at = 4 + 4 + 1 + 8 + 8 + 1 + (1 + strlen("broker.after_accept")) + 4 + 1 +
                (1 + strlen("broker.lose")) + 4;
    assert_int_equal(buf[at], OX_ARM_INJECT);
    buf[at] = 7;
    assert_int_equal(ox_step_decode(buf, n, &d, err, sizeof err), -1);
    assert_string_equal(err, "armed entry 2 has unknown action 7");
    /* an empty name arms nothing a node could pass: refused */
    s.narmed = 1;
    s.armed[0].name[0] = '\0';
    n = ox_step_encode(&s, buf, sizeof buf);
    assert_int_equal(ox_step_decode(buf, n, &d, err, sizeof err), -1);
    assert_string_equal(err, "armed entry 1 has an empty name");
}

static void step_pay_round_trip(void **state) {
    (void)state;
    ox_step s = { .seq = 1, .kind = OX_STEP_PAY, .pay_id = 77, .account = 9999, .amount = -5 };
    size_t n = ox_step_encode(&s, buf, sizeof buf);
    ox_step d;
    char err[128];
    assert_int_equal(ox_step_decode(buf, n, &d, err, sizeof err), 0);
    assert_int_equal(d.pay_id, 77);
    assert_int_equal(d.account, 9999);
    assert_int_equal(d.amount, -5);
}

/* Every strict prefix of a valid step is rejected, and so are trailing bytes. */
static void step_rejects_truncated_and_trailing(void **state) {
    (void)state;
    ox_step s = { .seq = 2, .kind = OX_STEP_TIMER, .timer_id = 1 };
    size_t n = ox_step_encode(&s, buf, sizeof buf);
    ox_step d;
    char err[128];
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);   /* exact-size copy: ASan sees any overread */
        memcpy(copy, buf, cut);
        assert_int_equal(ox_step_decode(copy, cut, &d, err, sizeof err), -1);
        free(copy);
    }
    buf[n] = 0;
    assert_int_equal(ox_step_decode(buf, n + 1, &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "trailing"));
}

static void step_rejects_unknown_kind_and_magic(void **state) {
    (void)state;
    ox_step s = { .seq = 2, .kind = OX_STEP_START };
    size_t n = ox_step_encode(&s, buf, sizeof buf);
    ox_step d;
    char err[128];
    buf[8] = 42;   /* kind, after "ST" version nsteps seq */
    assert_int_equal(ox_step_decode(buf, n, &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown step kind 42"));
    buf[0] = 'X';
    assert_int_equal(ox_step_decode(buf, n, &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "magic"));
}

static void step_rejects_oversized(void **state) {
    (void)state;
    ox_step d;
    char err[128];
    assert_int_equal(ox_step_decode(buf, OX_STEP_MAX + 1, &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "exceeds"));
}

/* A batch: several steps in order, each with its own clock, decoded as sent. */
static void batch_round_trip(void **state) {
    (void)state;
    static const uint8_t frame[] = { 7, 7 };
    ox_step s[3] = {
        { .seq = 10,
          .kind = OX_STEP_FRAME,
          .vtime_us = 100,
          .clock_us = 1700000000000100LL,
          .frame = frame,
          .frame_len = 2 },
        { .seq = 11,
          .kind = OX_STEP_TIMER,
          .vtime_us = 100,
          .clock_us = 1700000000000100LL,
          .timer_id = 3 },
        { .seq = 12,
          .kind = OX_STEP_PAY,
          .vtime_us = 900,
          .clock_us = 1700000000000900LL,
          .pay_id = 5,
          .account = 1,
          .amount = 10 },
    };
    strcpy(s[0].from, "payment");
    size_t n = ox_steps_encode(s, 3, buf, sizeof buf);
    assert_true(n > 0);
    ox_step d[OX_BATCH_MAX];
    unsigned nd = 0;
    char err[128];
    assert_int_equal(ox_steps_decode(buf, n, d, &nd, err, sizeof err), 0);
    assert_int_equal(nd, 3);
    assert_int_equal(d[0].seq, 10);
    assert_memory_equal(d[0].frame, frame, 2);
    assert_int_equal(d[1].timer_id, 3);
    assert_int_equal(d[2].vtime_us, 900);
    assert_int_equal(d[2].clock_us, 1700000000000900LL);
    /* one step was expected */
    assert_int_equal(ox_step_decode(buf, n, d, err, sizeof err), -1);
    assert_non_null(strstr(err, "a batch of 3 steps"));
}

/* What a batch must be: 1..OX_BATCH_MAX steps, consecutive seqs, vtimes in order,
** START and STOP alone, clocks in the fixed-width range. */
static void batch_rejects_what_a_node_cannot_follow(void **state) {
    (void)state;
    ox_step s[2] = {
        { .seq = 1, .kind = OX_STEP_TIMER, .vtime_us = 50, .clock_us = 50, .timer_id = 1 },
        { .seq = 2, .kind = OX_STEP_TIMER, .vtime_us = 40, .clock_us = 40, .timer_id = 2 },
    };
    ox_step d[OX_BATCH_MAX];
    unsigned nd;
    char err[128];
    size_t n = ox_steps_encode(s, 2, buf, sizeof buf);
    assert_int_equal(ox_steps_decode(buf, n, d, &nd, err, sizeof err), -1);
    assert_non_null(strstr(err, "does not follow"));
    s[1].vtime_us = 50;
    s[1].seq = 3;
    n = ox_steps_encode(s, 2, buf, sizeof buf);
    assert_int_equal(ox_steps_decode(buf, n, d, &nd, err, sizeof err), -1);
    s[1].seq = 2;
    s[1].kind = OX_STEP_STOP;
    n = ox_steps_encode(s, 2, buf, sizeof buf);
    assert_int_equal(ox_steps_decode(buf, n, d, &nd, err, sizeof err), -1);
    assert_non_null(strstr(err, "a STOP step in a batch of 2"));
    s[1].kind = OX_STEP_TIMER;
    s[1].clock_us = -1;
    n = ox_steps_encode(s, 2, buf, sizeof buf);
    assert_int_equal(ox_steps_decode(buf, n, d, &nd, err, sizeof err), -1);
    assert_non_null(strstr(err, "sets the clock"));
    s[1].clock_us = 50;
    n = ox_steps_encode(s, 2, buf, sizeof buf);
    assert_int_equal(ox_steps_decode(buf, n, d, &nd, err, sizeof err), 0);
    buf[3] = 0;   /* nsteps */
    assert_int_equal(ox_steps_decode(buf, n, d, &nd, err, sizeof err), -1);
    buf[3] = OX_BATCH_MAX + 1;
    assert_int_equal(ox_steps_decode(buf, n, d, &nd, err, sizeof err), -1);
    assert_non_null(strstr(err, "a batch of 17 steps"));
}

static ox_effect effects[OX_STEP_MAX_EFFECTS];

/* A reply to a batch: a section per step handled, read in order; only the last may
** say CRASH, and nothing may follow it. */
static void reply_sections_round_trip(void **state) {
    (void)state;
    ox_reply_builder b;
    ox_reply_begin(&b, buf, sizeof buf, 20);
    ox_effect t = { .type = OX_FX_TIMER, .timer_id = 2, .delay_us = 5 };
    ox_reply_add(&b, &t);
    ox_reply_next(&b, 21);
    ox_reply_next(&b, 22);
    ox_effect fp = { .type = OX_FX_FAILPOINT };
    strcpy(fp.label, "payment.after_commit");
    ox_reply_add(&b, &fp);
    size_t n = ox_reply_finish(&b, OX_REPLY_CRASH);
    assert_true(n > 0);
    ox_reply_reader rd;
    ox_reply r = { .effects = effects };
    char err[128];
    assert_int_equal(ox_reply_open(&rd, buf, n, err, sizeof err), 0);
    assert_int_equal(rd.nsections, 3);
    assert_int_equal(ox_reply_next_section(&rd, &r, err, sizeof err), 1);
    assert_int_equal(r.seq, 20);
    assert_int_equal(r.neffects, 1);
    assert_int_equal(effects[0].delay_us, 5);
    assert_int_equal(ox_reply_next_section(&rd, &r, err, sizeof err), 1);
    assert_int_equal(r.seq, 21);
    assert_int_equal(r.neffects, 0);
    assert_int_equal(ox_reply_next_section(&rd, &r, err, sizeof err), 1);
    assert_int_equal(r.status, OX_REPLY_CRASH);
    assert_string_equal(effects[0].label, "payment.after_commit");
    assert_int_equal(ox_reply_next_section(&rd, &r, err, sizeof err), 0);
    /* three sections are not one */
    assert_int_equal(ox_reply_decode(buf, n, &r, err, sizeof err), -1);
    /* a CRASH before the last section is refused */
    ox_reply_begin(&b, buf, sizeof buf, 1);
    ox_reply_next(&b, 2);
    n = ox_reply_finish(&b, OX_REPLY_OK);
    buf[4 + 4] = OX_REPLY_CRASH;   /* the first section's status */
    assert_int_equal(ox_reply_open(&rd, buf, n, err, sizeof err), 0);
    assert_int_equal(ox_reply_next_section(&rd, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "only the last may"));
    /* trailing bytes after the last section are refused */
    buf[4 + 4] = OX_REPLY_OK;
    buf[n] = 0;
    assert_int_equal(ox_reply_open(&rd, buf, n + 1, err, sizeof err), 0);
    assert_int_equal(ox_reply_next_section(&rd, &r, err, sizeof err), 1);
    assert_int_equal(ox_reply_next_section(&rd, &r, err, sizeof err), 1);
    assert_int_equal(ox_reply_next_section(&rd, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "trailing"));
}

/* Each section may hold what one step alone may (OX_STEP_MAX with its header), not
** more, however large the buffer: a batch never lets a step produce more than it
** could have stepped alone. */
static void reply_section_keeps_to_one_step(void **state) {
    (void)state;
    static uint8_t big[OX_REPLY_MAX];
    ox_reply_builder b;
    ox_reply_begin(&b, big, sizeof big, 1);
    ox_effect nt = { .type = OX_FX_NOTE };
    strcpy(nt.label, "x");
    memset(nt.detail, 'x', OX_DETAIL_MAX);
    nt.detail[OX_DETAIL_MAX] = '\0';
    size_t one = 1 + 2 + 8 + 2 + OX_DETAIL_MAX;   /* type, str8 "x", pay, str16 */
    size_t fit = (OX_STEP_MAX - 4 - 7) / one;
    for (size_t i = 0; i < fit && i < OX_STEP_MAX_EFFECTS; i++) ox_reply_add(&b, &nt);
    assert_int_equal(b.overflow, 0);
    ox_reply_next(&b, 2);   /* a second section starts with its own room */
    for (size_t i = 0; i < fit && i < OX_STEP_MAX_EFFECTS; i++) ox_reply_add(&b, &nt);
    assert_int_equal(b.overflow, 0);
    for (int i = 0; i < 4; i++) ox_reply_add(&b, &nt);   /* fit < OX_STEP_MAX_EFFECTS here */
    assert_int_equal(ox_reply_finish(&b, OX_REPLY_OK), 0);
}

static void reply_round_trip(void **state) {
    (void)state;
    ox_reply_builder b;
    ox_reply_begin(&b, buf, sizeof buf, 5);
    static const uint8_t frame[] = { 9, 8, 7 };
    ox_effect e = {
        .type = OX_FX_SEND, .pay = 3, .msg = 4, .delivery = 5, .frame = frame, .frame_len = 3
    };
    strcpy(e.to, "broker"); strcpy(e.queue, "PAY_QUEUE"); strcpy(e.label, "PUBLISH PAYMENT");
    ox_reply_add(&b, &e);
    ox_effect t = { .type = OX_FX_TIMER, .timer_id = 1, .delay_us = 1000000 };
    ox_reply_add(&b, &t);
    ox_effect fp = { .type = OX_FX_FAILPOINT };
    strcpy(fp.label, "payment.after_commit");
    ox_reply_add(&b, &fp);
    ox_effect inj = { .type = OX_FX_INJECTED };
    strcpy(inj.label, "broker.lose");
    ox_reply_add(&b, &inj);
    ox_effect passed = { .type = OX_FX_PASSED, .count = 70000 };   /* more than a u16 */
    strcpy(passed.label, "disk.write.eio");
    ox_reply_add(&b, &passed);
    ox_effect declare = { .type = OX_FX_DECLARE };
    strcpy(declare.label, "payment.mid_pay");
    ox_reply_add(&b, &declare);
    size_t n = ox_reply_finish(&b, OX_REPLY_CRASH);
    assert_true(n > 0);
    ox_reply r = { .effects = effects };
    char err[128];
    assert_int_equal(ox_reply_decode(buf, n, &r, err, sizeof err), 0);
    assert_int_equal(r.seq, 5);
    assert_int_equal(r.status, OX_REPLY_CRASH);
    assert_int_equal(r.neffects, 6);
    assert_string_equal(effects[0].label, "PUBLISH PAYMENT");
    assert_int_equal(effects[0].delivery, 5);
    assert_memory_equal(effects[0].frame, frame, 3);
    assert_int_equal(effects[1].delay_us, 1000000);
    assert_string_equal(effects[2].label, "payment.after_commit");
    assert_int_equal(effects[3].type, OX_FX_INJECTED);
    assert_string_equal(effects[3].label, "broker.lose");
    assert_int_equal(effects[4].type, OX_FX_PASSED);
    assert_string_equal(effects[4].label, "disk.write.eio");
    assert_int_equal(effects[4].count, 70000);
    assert_int_equal(effects[5].type, OX_FX_DECLARE);
    assert_string_equal(effects[5].label, "payment.mid_pay");
    /* every truncation is rejected */
    for (size_t cut = 0; cut < n; cut++)
        assert_int_equal(ox_reply_decode(buf, cut, &r, err, sizeof err), -1);
}

static void reply_overflow_is_reported(void **state) {
    (void)state;
    uint8_t small[64];
    ox_reply_builder b;
    ox_reply_begin(&b, small, sizeof small, 1);
    ox_effect n = { .type = OX_FX_NOTE };
    strcpy(n.label, "commit");
    memset(n.detail, 'x', 200);
    n.detail[200] = '\0';
    ox_reply_add(&b, &n);
    assert_int_equal(ox_reply_finish(&b, OX_REPLY_OK), 0);
}

static void codec_strings_are_bounded(void **state) {
    (void)state;
    uint8_t b[16];
    ox_writer w;
    ox_writer_init(&w, b, sizeof b);
    ox_put_str8(&w, "abcdefgh");
    assert_int_equal(w.err, 0);
    ox_reader r;
    char out[4];
    ox_reader_init(&r, b, w.len);
    ox_get_str8(&r, out, sizeof out);     /* 8 bytes do not fit in 3 + NUL */
    assert_int_not_equal(r.err, 0);
    assert_string_equal(out, "");
    ox_put_str8(&w, "this string is far too long for sixteen bytes");
    assert_int_not_equal(w.err, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(step_round_trip),
        cmocka_unit_test(step_armed_actions_round_trip),
        cmocka_unit_test(step_pay_round_trip),
        cmocka_unit_test(batch_round_trip),
        cmocka_unit_test(batch_rejects_what_a_node_cannot_follow),
        cmocka_unit_test(reply_sections_round_trip),
        cmocka_unit_test(reply_section_keeps_to_one_step),
        cmocka_unit_test(step_rejects_truncated_and_trailing),
        cmocka_unit_test(step_rejects_unknown_kind_and_magic),
        cmocka_unit_test(step_rejects_oversized),
        cmocka_unit_test(reply_round_trip),
        cmocka_unit_test(reply_overflow_is_reported),
        cmocka_unit_test(codec_strings_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
