/*
** test_json.c: the JSON writer and reading helpers (sim/util/json.c).
**
** The writer must give the exact bytes the project's files have always had: a trace
** line, summary.json's spaced layout with its line breaks, the page data with HTML-safe
** strings.  What it writes must read back through jansson to the same values, whatever
** the bytes of the strings; the time formatter is checked at its edges.
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

#include "../../../sim/util/json.h"

/* The writer's bytes as a NUL-terminated string (a fixed writer has room for it). */
static const char *text(json_w *w) {
    assert_true(w->len < w->cap);
    w->buf[w->len] = '\0';
    return w->buf;
}

static void test_trace_line(void **state) {
    (void)state;
    char buf[256];
    json_w w;
    json_w_init_buf(&w, buf, sizeof buf, 0);
    json_w_obj(&w);
    json_w_ktime(&w, "t", 1234567);
    json_w_kstr(&w, "ev", "send");
    json_w_kuint(&w, "pay", 3);
    json_w_kint(&w, "n", -12);
    json_w_obj_end(&w);
    json_w_put(&w, "\n", 1);
    assert_string_equal(text(&w), "{\"t\":1.234567,\"ev\":\"send\",\"pay\":3,\"n\":-12}\n");
    assert_int_equal(json_w_flush(&w), 0);
    json_w_reset(&w);
    json_w_obj(&w);
    json_w_obj_end(&w);
    assert_string_equal(text(&w), "{}");
}

/* The layout of summary.json: spaced, with breaks where the file has its newlines. */
static void test_spaced_layout(void **state) {
    (void)state;
    char buf[1024];
    json_w w;
    json_w_init_buf(&w, buf, sizeof buf, JSON_SPACED);
    json_w_obj(&w);
    json_w_break(&w, 2);
    json_w_kstr(&w, "scenario", "a");
    json_w_break(&w, 2);
    json_w_key(&w, "trace");
    json_w_obj(&w);
    json_w_kuint(&w, "lines", 7532);
    json_w_kstr(&w, "hash", "fnv1a64:00ff");
    json_w_obj_end(&w);
    json_w_break(&w, 2);
    json_w_key(&w, "v");
    json_w_arr(&w);
    for (int i = 0; i < 2; i++) {
        json_w_break(&w, 4);
        json_w_obj(&w);
        json_w_kint(&w, "id", i);
        json_w_key(&w, "lines");
        json_w_arr(&w);
        json_w_uint(&w, 1);
        json_w_uint(&w, 2);
        json_w_arr_end(&w);
        json_w_obj_end(&w);
    }
    json_w_break(&w, 2);
    json_w_arr_end(&w);
    json_w_break(&w, 2);
    json_w_key(&w, "empty");
    json_w_arr(&w);
    json_w_arr_end(&w);
    json_w_break(&w, 2);
    json_w_key(&w, "converged_at");
    json_w_null(&w);
    json_w_break(&w, 0);
    json_w_obj_end(&w);
    json_w_put(&w, "\n", 1);
    assert_string_equal(text(&w), "{\n  \"scenario\": \"a\",\n"
                                  "  \"trace\": {\"lines\": 7532, \"hash\": \"fnv1a64:00ff\"},\n"
                                  "  \"v\": [\n"
                                  "    {\"id\": 0, \"lines\": [1, 2]},\n"
                                  "    {\"id\": 1, \"lines\": [1, 2]}\n"
                                  "  ],\n"
                                  "  \"empty\": [],\n"
                                  "  \"converged_at\": null\n"
                                  "}\n");
}

/* The page data: compact, <, > and & escaped, numbers from printf where they were. */
static void test_html_layout(void **state) {
    (void)state;
    char buf[512];
    json_w w;
    json_w_init_buf(&w, buf, sizeof buf, JSON_HTML);
    json_w_obj(&w);
    json_w_kstr(&w, "s", "</script> & \"x\"");
    json_w_key(&w, "seed");
    json_w_fmt(&w, "\"%llu\"", 18446744073709551615ull);
    json_w_key(&w, "p50");
    json_w_fmt(&w, "%.6f", 0.25);
    json_w_kbool(&w, "cut", 0);
    json_w_key(&w, "chart");
    json_w_arr(&w);
    for (int i = 0; i < 2; i++) {
        json_w_break(&w, 0);
        json_w_arr(&w);
        json_w_time(&w, 1);
        json_w_strn(&w, "abcdef", 3);
        json_w_arr_end(&w);
    }
    json_w_arr_end(&w);
    json_w_obj_end(&w);
    assert_string_equal(text(&w), "{\"s\":\"\\u003c/script\\u003e \\u0026 \\\"x\\\"\","
                                  "\"seed\":\"18446744073709551615\",\"p50\":0.250000,"
                                  "\"cut\":false,\"chart\":[\n[0.000001,\"abc\"],\n"
                                  "[0.000001,\"abc\"]]}");
}

static const char *time_text(char *buf, size_t cap, int64_t us) {
    json_w w;
    json_w_init_buf(&w, buf, cap, 0);
    json_w_time(&w, us);
    assert_int_equal(json_w_flush(&w), 0);
    return text(&w);
}

static void test_time(void **state) {
    (void)state;
    char b[64];
    assert_string_equal(time_text(b, sizeof b, 0), "0.000000");
    assert_string_equal(time_text(b, sizeof b, 1), "0.000001");
    assert_string_equal(time_text(b, sizeof b, 999999), "0.999999");
    assert_string_equal(time_text(b, sizeof b, 1000000), "1.000000");
    assert_string_equal(time_text(b, sizeof b, 1000001), "1.000001");
    assert_string_equal(time_text(b, sizeof b, -1), "-0.000001");
    assert_string_equal(time_text(b, sizeof b, -999999), "-0.999999");
    assert_string_equal(time_text(b, sizeof b, -1000000), "-1.000000");
    assert_string_equal(time_text(b, sizeof b, INT64_MAX), "9223372036854.775807");
    assert_string_equal(time_text(b, sizeof b, INT64_MIN), "-9223372036854.775808");
    json_w w;
    json_w_init_buf(&w, b, sizeof b, 0);
    json_w_arr(&w);
    json_w_int(&w, INT64_MIN);
    json_w_uint(&w, UINT64_MAX);
    json_w_arr_end(&w);
    assert_string_equal(text(&w), "[-9223372036854775808,18446744073709551615]");
}

static void test_escape(void **state) {
    (void)state;
    char buf[256];
    json_w w;
    json_w_init_buf(&w, buf, sizeof buf, 0);
    json_w_str(&w, "q\"b\\n\nt\tr\r\x01\x1f<&>\x7f\xc3\xa9");
    assert_string_equal(text(&w), "\"q\\\"b\\\\n\\nt\\tr\\u000d\\u0001\\u001f<&>\x7f\xc3\xa9\"");
    char out[64];
    size_t n = json_w_escape(out, sizeof out, 0, "a\"\x02", 0);
    assert_int_equal(n, 9);
    assert_memory_equal(out, "a\\\"\\u0002", 9);
    assert_int_equal(json_w_escape(out, 4, 0, "a\"\x02", 0), 4);
    assert_int_equal(json_w_escape(out, sizeof out, 0, "<", JSON_HTML), 6);
    json_w_reset(&w);
    json_w_str(&w, NULL);
    assert_string_equal(text(&w), "\"\"");
}

/* Every byte from 1 to 255 in keys and values reads back through jansson unchanged
** (bytes above 127 as valid UTF-8: jansson insists on it). */
static void test_round_trip(void **state) {
    (void)state;
    char s[300];
    int n = 0;
    for (int c = 1; c < 128; c++) s[n++] = (char)c;
    memcpy(s + n, "\xc3\xa9\xe2\x82\xac", 5);
    n += 5;
    s[n] = '\0';
    for (int flags = 0; flags <= (JSON_SPACED | JSON_HTML); flags++) {
        json_w w;
        json_w_init_grow(&w, flags);
        json_w_obj(&w);
        json_w_kstr(&w, s, s);
        json_w_kint(&w, "i", -5);
        json_w_kuint(&w, "u", 77);
        json_w_ktime(&w, "t", -1500000);
        json_w_kbool(&w, "b", 1);
        json_w_key(&w, "z");
        json_w_null(&w);
        json_w_obj_end(&w);
        json_w_put(&w, "", 1);
        assert_int_equal(json_w_flush(&w), 0);
        char err[200];
        json_t *doc = json_r_parse(w.buf, "mem", err, sizeof err);
        assert_non_null(doc);
        assert_string_equal(json_r_str(doc, s), s);
        int64_t i = 0;
        uint64_t u = 0;
        double t = 0;
        assert_int_equal(json_r_int(doc, "i", &i), 0);
        assert_int_equal(i, -5);
        assert_int_equal(json_r_uint(doc, "u", &u), 0);
        assert_int_equal(u, 77);
        assert_int_equal(json_r_uint(doc, "i", &u), -1);
        assert_int_equal(json_r_num(doc, "t", &t), 0);
        assert_true(t == -1.5);
        assert_int_equal(json_r_bool(doc, "b"), 1);
        assert_int_equal(json_r_bool(doc, "z"), -1);
        assert_null(json_r_str(doc, "i"));
        assert_null(json_r_obj(doc, "missing"));
        assert_int_equal(json_r_int(doc, "t", &i), -1);
        json_decref(doc);
        json_w_free(&w);
    }
}

static void test_overflow(void **state) {
    (void)state;
    char buf[8];
    json_w w;
    json_w_init_buf(&w, buf, sizeof buf, 0);
    json_w_str(&w, "12345");
    assert_int_equal(w.overflow, 0);
    json_w_str(&w, "x");
    assert_int_equal(w.overflow, 1);
    assert_int_equal(json_w_flush(&w), -1);
    json_w_reset(&w);
    assert_int_equal(w.overflow, 0);
    json_w_uint(&w, 9);
    assert_string_equal(text(&w), "9");
}

/* A file writer with strings longer than its buffer; the file reads back, and a broken
** one is reported as path:line:column. */
static void test_file(void **state) {
    (void)state;
    char path[] = "/tmp/test_json_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    size_t big = 3 * JSON_W_FILEBUF;
    char *s = malloc(big + 1);
    assert_non_null(s);
    for (size_t i = 0; i < big; i++) s[i] = (char)('a' + i % 26);
    s[big] = '\0';
    json_w *w = malloc(sizeof *w);
    assert_non_null(w);
    json_w_init_file(w, f, JSON_SPACED);
    json_w_obj(w);
    for (int k = 0; k < 3; k++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", k);
        json_w_kstr(w, key, s);
    }
    json_w_obj_end(w);
    assert_int_equal(json_w_flush(w), 0);
    assert_int_equal(fclose(f), 0);
    char err[300], out[16];
    json_t *doc = json_r_load(path, err, sizeof err);
    assert_non_null(doc);
    assert_string_equal(json_r_str(doc, "k2"), s);
    assert_int_equal(json_r_strcpy(doc, "k0", out, sizeof out), -1);
    assert_string_equal(out, "");
    json_decref(doc);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"a\": 1,\n  \"b\": }\n", f);
    fclose(f);
    assert_null(json_r_load(path, err, sizeof err));
    char want[300];
    snprintf(want, sizeof want, "%s:2:8: ", path);
    assert_memory_equal(err, want, strlen(want));
    unlink(path);
    free(w);
    free(s);
}

/* Integers beyond int64 (a seed may be 2^64 - 1) still load; strings are not touched. */
static void test_big_integers(void **state) {
    (void)state;
    char err[200];
    const char *text = "{\"seed\": 18446744073709551615, \"small\": 9223372036854775807,"
                       " \"neg\": -9223372036854775809, \"s\": \"99999999999999999999\\\"\","
                       " \"r\": 1e300, \"a\": [true, false, null]}";
    json_t *doc = json_r_parse(text, "mem", err, sizeof err);
    assert_non_null(doc);
    uint64_t u = 0;
    assert_int_equal(json_r_uint(doc, "seed", &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(json_r_uint(doc, "small", &u), 0);
    assert_true(u == (uint64_t)INT64_MAX);
    assert_int_equal(json_r_uint(doc, "neg", &u), -1);
    assert_string_equal(json_r_str(doc, "s"), "99999999999999999999\"");
    assert_int_equal(json_r_uint(doc, "s", &u), -1);
    assert_non_null(json_r_arr(doc, "a"));
    json_decref(doc);
    assert_null(json_r_parse("{\"a\": 1,}", "mem", err, sizeof err));
    assert_memory_equal(err, "mem:1:", 6);
    assert_null(json_r_load("/nonexistent/x.json", err, sizeof err));
    assert_memory_equal(err, "/nonexistent/x.json: cannot read it", 35);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_line), cmocka_unit_test(test_spaced_layout),
        cmocka_unit_test(test_html_layout), cmocka_unit_test(test_time),
        cmocka_unit_test(test_escape), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_overflow), cmocka_unit_test(test_file),
        cmocka_unit_test(test_big_integers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
