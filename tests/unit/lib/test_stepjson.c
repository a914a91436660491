/*
** test_stepjson.c: the text encoding of the node protocol (proto/stepjson.h).
** Round trips both ways (binary, line, binary: the same bytes; a line as written, binary,
** line: the same line), frames structured or raw, and every malformed line refused with
** one line naming where.
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
#include "../../../lib/wire.h"
#include "../../../proto/stepjson.h"

static uint8_t bin[OX_REPLY_MAX], back[OX_REPLY_MAX];
static char line[STEPJSON_REPLY_MAX + 1], line2[STEPJSON_REPLY_MAX + 1];
static ox_effect scratch[OX_STEP_MAX_EFFECTS];
static char err[512];

/* A frame of lib/wire.h's: a PAYMENT published, delivered, or its DACK. */
static size_t frame_of(uint8_t type, uint8_t *out) {
    ox_msg m = { .kind = OX_M_PAYMENT, .msg_id = 17, .pay_id = 17, .account = 3,
                 .amount = 1200, .attempt = 2 };
    ox_frame f = type == OX_F_PUBLISH ? ox_wire_publish(OX_PAY_QUEUE, &m)
               : type == OX_F_DELIVER ? ox_wire_deliver(OX_PAY_QUEUE, (1ull << 32) | 5, 1, &m)
                                      : ox_wire_dack(OX_ACC_QUEUE, (1ull << 32) | 9);
    ox_wire_err we;
    size_t n = ox_wire_encode(&f, out, OX_FRAME_MAX, &we);
    assert_true(n > 0);
    return n;
}

/* bin[n] as a line and back: the same bytes; the line back from those: the same line. */
static void steps_both_ways(size_t n) {
    size_t m = stepjson_steps_from_bin(bin, n, line, sizeof line, err, sizeof err);
    if (m == 0) fail_msg("%s", err);
    assert_int_equal(line[m - 1], '\n');
    size_t k = stepjson_steps_to_bin(line, m - 1, back, sizeof back, err, sizeof err);
    if (k == 0) fail_msg("%s in %s", err, line);
    assert_int_equal(k, n);
    assert_memory_equal(back, bin, n);
    assert_int_equal(stepjson_steps_from_bin(back, k, line2, sizeof line2, err, sizeof err), m);
    assert_string_equal(line2, line);
}

static void steps_round_trip_every_kind(void **state) {
    (void)state;
    static uint8_t frames[3][OX_FRAME_MAX];
    ox_step s[5];
    memset(s, 0, sizeof s);
    for (int i = 0; i < 5; i++) {
        s[i].seq = 40 + (uint32_t)i;
        s[i].kind = OX_STEP_FRAME;
        s[i].vtime_us = 1000 * i;
        s[i].clock_us = 1700000000000000LL + 1000 * i;
        snprintf(s[i].from, sizeof s[i].from, "broker");
    }
    for (int t = 0; t < 3; t++) {
        s[t].frame = frames[t];
        s[t].frame_len = frame_of((uint8_t)(OX_F_PUBLISH + t), frames[t]);
    }
    s[3].kind = OX_STEP_TIMER;
    s[3].timer_id = 2;
    s[4].kind = OX_STEP_PAY;
    s[4].pay_id = 9;
    s[4].account = 4;
    s[4].amount = -5;
    s[4].narmed = 2;
    snprintf(s[4].armed[0].name, sizeof s[4].armed[0].name, "payment.after_commit");
    s[4].armed[0].skip = 3;
    snprintf(s[4].armed[1].name, sizeof s[4].armed[1].name, "disk.write.eio");
    s[4].armed[1].action = OX_ARM_INJECT;
    steps_both_ways(ox_steps_encode(s, 5, bin, OX_STEP_MAX));
    for (int k = OX_STEP_START; k <= OX_STEP_STOP; k += OX_STEP_STOP - OX_STEP_START) {
        ox_step one = { .seq = 1, .kind = (uint8_t)k, .clock_us = OX_CLOCK_MAX_US / 2 };
        steps_both_ways(ox_step_encode(&one, bin, OX_STEP_MAX));
    }
    /* The frames travel by field: a reader finds them by name. */
    stepjson_steps_from_bin(bin, ox_steps_encode(s, 5, bin, OX_STEP_MAX), line, sizeof line, err,
                            sizeof err);
    assert_non_null(strstr(line, "\"frame\":{\"type\":\"DELIVER\",\"queue\":\"PAY_QUEUE\","
                                 "\"delivery\":4294967301,\"redeliveries\":1,\"msg\":{"
                                 "\"kind\":\"PAYMENT\",\"msg_id\":17,\"pay_id\":17,"
                                 "\"account\":3,\"amount\":1200,\"attempt\":2,\"reason\":\"\"}}"));
    assert_non_null(strstr(line, "\"armed\":[{\"name\":\"payment.after_commit\",\"skip\":3,"
                                 "\"action\":\"CRASH\"},"));
}

/* Bytes that are not a frame, or a frame changed anywhere, come back as they were:
** structured when they decode to a frame that encodes back to them, raw otherwise. */
static void frames_changed_anywhere_come_back_whole(void **state) {
    (void)state;
    uint8_t frame[OX_FRAME_MAX];
    size_t n = frame_of(OX_F_DELIVER, frame);
    ox_prng r;
    ox_prng_seed(&r, 15);
    int raw = 0, structured = 0;
    for (int i = 0; i < 3000; i++) {
        uint8_t f[OX_FRAME_MAX];
        memcpy(f, frame, n);
        size_t at = (size_t)ox_prng_below(&r, n);
        f[at] = (uint8_t)ox_prng_below(&r, 256);
        size_t len = i % 7 == 0 ? (size_t)ox_prng_below(&r, n + 1) : n;
        ox_step s = { .seq = 1, .kind = OX_STEP_FRAME, .clock_us = 5, .frame = f,
                      .frame_len = len };
        snprintf(s.from, sizeof s.from, "broker");
        steps_both_ways(ox_step_encode(&s, bin, OX_STEP_MAX));
        if (strstr(line, "\"raw\"")) raw++;
        else structured++;
    }
    assert_true(raw > 100);          /* both paths were taken */
    assert_true(structured > 100);
}

static size_t reply_of_every_effect(uint8_t last_status) {
    static uint8_t frames[3][OX_FRAME_MAX];
    ox_reply_builder b;
    ox_reply_begin(&b, bin, OX_REPLY_MAX, 7);
    for (int t = 0; t < 3; t++) {
        size_t n = frame_of((uint8_t)(OX_F_PUBLISH + t), frames[t]);
        ox_frame f;
        assert_int_equal(ox_wire_decode(frames[t], n, &f), OX_WIRE_OK);
        ox_effect e = { .type = OX_FX_SEND, .frame = frames[t], .frame_len = n,
                        .delivery = f.delivery };
        snprintf(e.to, sizeof e.to, "broker");
        snprintf(e.queue, sizeof e.queue, "%s", f.queue);
        snprintf(e.label, sizeof e.label, "%s", ox_wire_label(&f));
        if (f.type != OX_F_DACK) { e.pay = f.msg.pay_id; e.msg = f.msg.msg_id; }
        ox_reply_add(&b, &e);
    }
    ox_reply_next(&b, 8);
    ox_effect fx[] = {
        { .type = OX_FX_TIMER, .timer_id = 1, .delay_us = -3 },
        { .type = OX_FX_REPLY, .pay = 17, .ok = 1, .detail = "committed \"quoted\" \\ tab\t" },
        { .type = OX_FX_NOTE, .label = "commit", .pay = 17, .detail = "payment 17: 1200 cents" },
        { .type = OX_FX_NOTE, .label = "recover", .detail = "caf\xc3\xa9: UTF-8 passes" },
        { .type = OX_FX_FAILPOINT, .label = "payment.after_commit" },
        { .type = OX_FX_INJECTED, .label = "payment.rollback" },
        { .type = OX_FX_PASSED, .label = "disk.write.eio", .count = 3 },
        { .type = OX_FX_DECLARE, .label = "payment.mid_pay" },
    };
    for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) ox_reply_add(&b, &fx[i]);
    ox_reply_next(&b, 9);
    size_t n = ox_reply_finish(&b, last_status);
    assert_true(n > 0);
    return n;
}

static void replies_round_trip_every_effect(void **state) {
    (void)state;
    for (uint8_t st = OX_REPLY_OK; st <= OX_REPLY_FATAL; st++) {
        size_t n = reply_of_every_effect(st);
        size_t m = stepjson_reply_from_bin(bin, n, scratch, line, sizeof line, err, sizeof err);
        if (m == 0) fail_msg("%s", err);
        size_t k = stepjson_reply_to_bin(line, m - 1, back, sizeof back, err, sizeof err);
        if (k == 0) fail_msg("%s in %s", err, line);
        assert_int_equal(k, n);
        assert_memory_equal(back, bin, n);
    }
    assert_non_null(strstr(line, "{\"type\":\"NOTE\",\"kind\":\"recover\",\"detail\":"));
    assert_non_null(strstr(line, "{\"type\":\"REPLY\",\"pay\":17,\"ok\":true,"));
    assert_non_null(strstr(line, "{\"seq\":9,\"status\":\"FATAL\",\"effects\":[]}"));
    assert_non_null(strstr(line, "{\"type\":\"DECLARE\",\"name\":\"payment.mid_pay\"}"));
}

/* A text node's SEND has no routing facts: they come from its frame, as a binary node's. */
static void a_text_send_gets_its_frames_routing_facts(void **state) {
    (void)state;
    const char *l = "{\"v\":3,\"sections\":[{\"seq\":1,\"status\":\"OK\",\"effects\":["
                    "{\"type\":\"SEND\",\"to\":\"broker\",\"frame\":{\"type\":\"DACK\","
                    "\"queue\":\"ACC_QUEUE\",\"delivery\":4294967305}}]}]}";
    size_t n = stepjson_reply_to_bin(l, strlen(l), bin, sizeof back, err, sizeof err);
    if (n == 0) fail_msg("%s", err);
    ox_effect e[4];
    ox_reply r = { .effects = e };
    assert_int_equal(ox_reply_decode(bin, n, &r, err, sizeof err), 0);
    assert_string_equal(e[0].label, "DACK");
    assert_string_equal(e[0].queue, OX_ACC_QUEUE);
    assert_int_equal(e[0].delivery, (1ull << 32) | 9);
    assert_int_equal(e[0].pay, 0);
    /* A binary reply whose facts are not its frame's has no text form. */
    bin[n - e[0].frame_len - 4 - 8 - 8 - 8 - 1] ^= 1;   /* the last byte of "DACK" */
    assert_int_equal(stepjson_reply_from_bin(bin, n, scratch, line, sizeof line, err, sizeof err),
                     0);
    assert_non_null(strstr(err, "routing facts"));
}

typedef struct {
    const char *line;
    const char *says;   /* a part of the one-line error */
} bad_line;

#define STEP0 "{\"v\":3,\"steps\":[{\"seq\":1,\"kind\":"
static const bad_line bad_steps[] = {
    { "{\"v\":3,", "not JSON" },
    { "[1]", "not a JSON object" },
    { "{\"v\":2,\"steps\":[]}", "\"v\" is 2" },
    { "{\"v\":3}", "missing key \"steps\"" },
    { "{\"v\":3,\"steps\":[],\"x\":1}", "unknown key \"x\"" },
    { "{\"v\":3,\"steps\":[]}", "\"steps\" is not an array of 1 to 16" },
    { "{\"v\":3,\"v\":3,\"steps\":[]}", "not JSON: duplicate object key" },
    { STEP0 "\"BOGUS\",\"vtime_us\":0,\"clock_us\":0}]}",
      "steps[0]: \"kind\": unknown value \"BOGUS\" (START, FRAME, TIMER, PAY, STOP)" },
    { STEP0 "\"START\",\"vtime_us\":0}]}", "steps[0]: missing key \"clock_us\"" },
    { STEP0 "\"START\",\"vtime_us\":0.5,\"clock_us\":0}]}", "\"vtime_us\" is not an integer" },
    { STEP0 "\"START\",\"vtime_us\":0,\"clock_us\":9007199254740993}]}", "\"clock_us\" is" },
    { STEP0 "\"START\",\"vtime_us\":0,\"clock_us\":0,\"timer\":1}]}",
      "steps[0]: unknown key \"timer\"" },
    { STEP0 "\"TIMER\",\"vtime_us\":0,\"clock_us\":0,\"timer\":-1}]}", "outside 0..4294967295" },
    { STEP0 "\"START\",\"vtime_us\":0,\"clock_us\":0,\"armed\":[{\"name\":\"a\",\"skip\":0,"
            "\"action\":\"KILL\"}]}]}",
      "steps[0].armed[0]: \"action\": unknown value \"KILL\"" },
    { STEP0 "\"START\",\"vtime_us\":0,\"clock_us\":0,\"armed\":[{\"name\":\"\",\"skip\":0,"
            "\"action\":\"CRASH\"}]}]}",
      "empty name" },
    { STEP0 "\"FRAME\",\"vtime_us\":0,\"clock_us\":0,\"from\":\"broker\",\"frame\":{\"raw\":"
            "\"AB=C\"}}]}",
      "steps[0].frame: \"raw\" is not base64" },
    { STEP0 "\"FRAME\",\"vtime_us\":0,\"clock_us\":0,\"from\":\"broker\",\"frame\":{\"type\":"
            "\"DACK\",\"queue\":\"Q\"}}]}",
      "steps[0].frame: missing key \"delivery\"" },
    { STEP0 "\"FRAME\",\"vtime_us\":0,\"clock_us\":0,\"from\":\"broker\",\"frame\":{\"type\":"
            "\"DACK\",\"queue\":\"QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\",\"delivery\":1}}]}",
      "\"queue\" has 33 bytes, max 32" },
    { STEP0 "\"FRAME\",\"vtime_us\":0,\"clock_us\":0,\"from\":\"broker\",\"frame\":{\"type\":"
            "\"PUBLISH\",\"queue\":\"Q\",\"msg\":{\"kind\":\"REFUND\"}}}]}",
      "steps[0].frame.msg: \"kind\": unknown value \"REFUND\"" },
    { STEP0 "\"FRAME\",\"vtime_us\":0,\"clock_us\":0,\"from\":\"broker\",\"frame\":{\"type\":"
            "\"PUBLISH\",\"queue\":\"Q\",\"msg\":{\"kind\":\"PAYMENT\",\"msg_id\":1,\"pay_id\":1,"
            "\"account\":1,\"amount\":1,\"attempt\":1}}}]}",
      "steps[0].frame.msg: missing key \"reason\"" },
    { STEP0 "\"PAY\",\"vtime_us\":5,\"clock_us\":0,\"pay\":1,\"account\":1,\"amount\":1},"
            "{\"seq\":3,\"kind\":\"TIMER\",\"vtime_us\":6,\"clock_us\":0,\"timer\":1}]}",
      "does not follow" },
    { STEP0 "\"START\",\"vtime_us\":0,\"clock_us\":0},"
            "{\"seq\":2,\"kind\":\"TIMER\",\"vtime_us\":6,\"clock_us\":0,\"timer\":1}]}",
      "a START step in a batch of 2" },
};

#define SEC0 "{\"v\":3,\"sections\":[{\"seq\":1,\"status\":\"OK\",\"effects\":["
static const bad_line bad_replies[] = {
    { "", "not JSON" },
    { "{\"v\":3,\"steps\":[]}", "unknown key \"steps\"" },
    { "{\"v\":3,\"sections\":[{\"seq\":1,\"status\":\"CRASH\",\"effects\":[]},"
      "{\"seq\":2,\"status\":\"OK\",\"effects\":[]}]}",
      "sections[0]: status CRASH: only the last section may have one but OK" },
    { "{\"v\":3,\"sections\":[{\"seq\":1,\"status\":\"DONE\",\"effects\":[]}]}",
      "sections[0]: \"status\": unknown value \"DONE\" (OK, CRASH, FATAL)" },
    { "{\"v\":3,\"sections\":[{\"seq\":1,\"status\":\"OK\"}]}",
      "sections[0]: missing key \"effects\"" },
    { SEC0 "{\"type\":\"LOG\"}]}]}", "sections[0].effects[0]: \"type\": unknown value \"LOG\"" },
    { SEC0 "{\"type\":\"REPLY\",\"pay\":1,\"ok\":1,\"detail\":\"\"}]}]}",
      "sections[0].effects[0]: \"ok\" is not true or false" },
    { SEC0 "{\"type\":\"NOTE\",\"kind\":\"x\",\"detail\":7}]}]}", "\"detail\" is not a string" },
    { SEC0 "{\"type\":\"TIMER\",\"id\":1}]}]}", "missing key \"delay_us\"" },
    { SEC0 "{\"type\":\"PASSED\",\"name\":\"disk.write.eio\"}]}]}", "missing key \"count\"" },
    { SEC0 "{\"type\":\"SEND\",\"to\":\"broker\",\"frame\":{\"type\":\"DACK\",\"queue\":\"Q\","
           "\"delivery\":1,\"redeliveries\":0}}]}]}",
      "sections[0].effects[0].frame: unknown key \"redeliveries\"" },
    { SEC0 "{\"type\":\"SEND\",\"to\":\"broker\"}]}]}", "missing key \"frame\"" },
    { SEC0 "{\"type\":\"FAILPOINT\",\"name\":\"a\",\"pay\":1}]}]}", "unknown key \"pay\"" },
    { SEC0 "{\"type\":\"NOTE\",\"kind\":\"x\",\"detail\":\"\\u0000\"}]}]}", "not JSON" },
};

static void check_bad(const bad_line *b, int steps) {
    size_t n = steps ? stepjson_steps_to_bin(b->line, strlen(b->line), bin, sizeof bin, err,
                                             sizeof err)
                     : stepjson_reply_to_bin(b->line, strlen(b->line), bin, sizeof bin, err,
                                             sizeof err);
    if (n != 0) fail_msg("accepted: %s", b->line);
    if (strstr(err, b->says) == NULL) fail_msg("%s\n  said: %s\n  not: %s", b->line, err, b->says);
    assert_null(strchr(err, '\n'));   /* one line */
}

static void bad_lines_are_refused_naming_where(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_steps / sizeof bad_steps[0]; i++) check_bad(&bad_steps[i], 1);
    for (size_t i = 0; i < sizeof bad_replies / sizeof bad_replies[0]; i++)
        check_bad(&bad_replies[i], 0);
}

/* Lines over their bound, numbers not exact in JSON, text that is not UTF-8. */
static void bounds_and_what_has_no_text_form(void **state) {
    (void)state;
    char *big = malloc(STEPJSON_REPLY_MAX + 8);
    assert_non_null(big);
    memset(big, ' ', STEPJSON_REPLY_MAX + 8);
    memcpy(big, "{}", 2);
    assert_int_equal(stepjson_steps_to_bin(big, STEPJSON_STEP_MAX, bin, sizeof bin, err,
                                           sizeof err), 0);
    assert_non_null(strstr(err, "a line of 1048577 bytes exceeds 1048576"));
    assert_int_equal(stepjson_reply_to_bin(big, STEPJSON_REPLY_MAX, bin, sizeof bin, err,
                                           sizeof err), 0);
    assert_non_null(strstr(err, "exceeds 2097152"));
    free(big);
    ox_step s = { .seq = 1, .kind = OX_STEP_PAY, .pay_id = 1ull << 53, .clock_us = 1 };
    size_t n = ox_step_encode(&s, bin, OX_STEP_MAX);
    assert_int_equal(stepjson_steps_from_bin(bin, n, line, sizeof line, err, sizeof err), 0);
    assert_non_null(strstr(err, "steps[0]: \"pay\" is 9007199254740992, not exact in JSON"));
    ox_reply_builder b;
    ox_reply_begin(&b, bin, OX_REPLY_MAX, 1);
    ox_effect e = { .type = OX_FX_NOTE, .label = "x", .detail = "\xff\xfe" };
    ox_reply_add(&b, &e);
    n = ox_reply_finish(&b, OX_REPLY_OK);
    assert_int_equal(stepjson_reply_from_bin(bin, n, scratch, line, sizeof line, err, sizeof err),
                     0);
    assert_non_null(strstr(err, "sections[0].effects[0]: \"detail\" is not UTF-8 text"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(steps_round_trip_every_kind),
        cmocka_unit_test(frames_changed_anywhere_come_back_whole),
        cmocka_unit_test(replies_round_trip_every_effect),
        cmocka_unit_test(a_text_send_gets_its_frames_routing_facts),
        cmocka_unit_test(bad_lines_are_refused_naming_where),
        cmocka_unit_test(bounds_and_what_has_no_text_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
