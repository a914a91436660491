/*
** test_tline.c: trace lines written by the JSON writer (sim/util/json.c, as the trace
** writes them) read back by the report's reader (sim/report/tline.c).
**
** The two are separate code, one fast writer and one fast reader of the same flat
** format: what one writes the other must read to the same fields, escapes and times
** included, and what is not a trace line must be refused.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../sim/report/tline.h"
#include "../../../sim/util/json.h"

/* A line as the trace writes one: time and event first, then fields in call order. */
static size_t line(char *buf, size_t cap, int64_t t, const char *ev, const char *detail) {
    json_w w;
    json_w_init_buf(&w, buf, cap, 0);
    json_w_obj(&w);
    json_w_ktime(&w, "t", t);
    json_w_kstr(&w, "ev", ev);
    json_w_kstr(&w, "from", "payment");
    json_w_kstr(&w, "to", "broker");
    json_w_kuint(&w, "frame", 18446744073709551615ull);
    json_w_kuint(&w, "pay", 42);
    json_w_kint(&w, "fault", -3);
    json_w_ktime(&w, "arrives", t + 2500);
    json_w_kstr(&w, "unknown", "ignored, \"quoted\"");
    json_w_kint(&w, "unknown_n", 7);
    json_w_kstr(&w, "detail", detail);
    json_w_obj_end(&w);
    json_w_put(&w, "\n", 1);
    assert_int_equal(json_w_flush(&w), 0);
    return w.len;
}

static void test_round_trip(void **state) {
    (void)state;
    static const int64_t times[] = { 0, 1, 999999, 1000000, 12345678, -1, -1500000 };
    const char *detail = "a \"b\" \\ c\nd\te\x01 </script> \xc3\xa9";
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char buf[1024];
        size_t n = line(buf, sizeof buf, times[i], "send", detail);
        tline l;
        assert_int_equal(tline_parse(buf, n, &l), 0);
        assert_true(l.t == times[i]);
        assert_string_equal(l.ev, "send");
        assert_string_equal(l.from, "payment");
        assert_string_equal(l.to, "broker");
        assert_true(l.frame == UINT64_MAX);
        assert_true(l.pay == 42);
        assert_true(l.fault == -3);
        assert_true(l.arrives == times[i] + 2500);
        assert_true(l.after_healing == -1);
        assert_string_equal(l.detail, detail);
    }
}

static void test_cut_and_refused(void **state) {
    (void)state;
    char big[400], buf[1024];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    size_t n = line(buf, sizeof buf, 5, "note", big);
    tline l;
    assert_int_equal(tline_parse(buf, n, &l), 0);
    assert_int_equal(strlen(l.detail), sizeof l.detail - 1);    /* cut, and terminated */
    const char *bad[] = { "", "[1,2]", "{\"ev\":\"send\"}", "{\"t\":1.0}", "{\"t\":1.0,\"ev\":" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(tline_parse(bad[i], strlen(bad[i]), &l), -1);
}

/* ---- tline_each: the one loop over a trace file ------------------------------------ */

typedef struct {
    int seen;
    uint32_t last_line;
    int stop_at;              /* stop (return 1) at this line; fail (-1) at -stop_at */
} each_ctx;

static int count_each(void *ctx, const tline *l, uint32_t lineno, const char *raw,
                      size_t len, char *err, size_t cap) {
    each_ctx *c = ctx;
    assert_true(len > 0);
    assert_int_equal(raw[len - 1], '\n');
    c->seen++;
    c->last_line = lineno;
    if (c->stop_at == (int)lineno) return 1;
    if (-c->stop_at == (int)lineno) { snprintf(err, cap, "fn failed at %u", lineno); return -1; }
    return 0;
}

/* A power_cut line: its own fields read, its "files" array (whose objects repeat the
** keys writes_lost and bytes_lost, with other values, and hold a "}" in a string) skipped
** whole, so the line's totals and the fields after it are the line's own. */
static void test_power_cut(void **state) {
    (void)state;
    static const char l1[] =
        "{\"t\":2.910000,\"ev\":\"power_cut\",\"node\":\"payment\",\"fault\":1,"
        "\"keep\":\"none\",\"writes_lost\":3,\"bytes_lost\":12416,\"indefinite\":2,"
        "\"lost_in\":\"payment.db-wal\",\"files\":[{\"path\":\"x}\\\"]\",\"writes_lost\":99,"
        "\"bytes_lost\":7},{\"path\":\"payment.db-wal\",\"writes_lost\":3}],\"life\":4}\n";
    tline l;
    assert_int_equal(tline_parse(l1, strlen(l1), &l), 0);
    assert_string_equal(l.ev, "power_cut");
    assert_string_equal(l.keep, "none");
    assert_string_equal(l.lost_in, "payment.db-wal");
    assert_true(l.writes_lost == 3 && l.bytes_lost == 12416 && l.indefinite == 2);
    assert_int_equal(l.life, 4);   /* after the array: still read */
    char text[256];
    tline_power_text(&l, text, sizeof text);
    assert_string_equal(text, "power cut at payment: 3 writes (12 KB) to payment.db-wal lost "
                              "(keep none); 2 OKs now indefinite");
    l.writes_lost = 0, l.lost_in[0] = '\0', l.indefinite = 0;
    tline_power_text(&l, text, sizeof text);
    assert_string_equal(text, "power cut at payment: nothing unsynced, nothing lost");
    static const char open_array[] = "{\"t\":1,\"ev\":\"power_cut\",\"files\":[{\"a\":1}\n";
    assert_int_equal(tline_parse(open_array, strlen(open_array), &l), -1);
}

static void write_trace(char *path, size_t cap) {
    snprintf(path, cap, "/tmp/test_tline.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"t\":0.000001,\"ev\":\"a\"}\nnot a trace line\n{\"t\":2.5,\"ev\":\"heal\"}\n"
          "{\"t\":3,\"ev\":\"b\"}\n", f);
    fclose(f);
}

static void test_each(void **state) {
    char path[64], err[200];
    write_trace(path, sizeof path);
    each_ctx c = { 0 };
    assert_int_equal(tline_each(path, 0, count_each, &c, err, sizeof err), 0);
    assert_int_equal(c.seen, 3);             /* the bad line skipped */
    assert_int_equal(c.last_line, 4);        /* numbers count every line */
    c = (each_ctx){ .stop_at = 3 };
    assert_int_equal(tline_each(path, 0, count_each, &c, err, sizeof err), 0);
    assert_int_equal(c.seen, 2);
    c = (each_ctx){ .stop_at = -3 };
    assert_int_equal(tline_each(path, 0, count_each, &c, err, sizeof err), -1);
    assert_string_equal(err, "fn failed at 3");
    c = (each_ctx){ 0 };
    assert_int_equal(tline_each(path, TLINE_STRICT, count_each, &c, err, sizeof err), -1);
    assert_int_equal(c.seen, 1);
    char want[120];
    snprintf(want, sizeof want, "%s:2: not a trace line", path);
    assert_string_equal(err, want);
    unlink(path);
    assert_int_equal(tline_each(path, 0, count_each, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot read"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_cut_and_refused),
        cmocka_unit_test(test_each),
        cmocka_unit_test(test_power_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
