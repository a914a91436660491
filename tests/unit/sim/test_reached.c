/*
** test_reached.c: the reached states (sim/util/reached.h): README.md's table says what the
** code's says, each state is counted from the trace lines that show it and from no
** other, and expect_reached (sim/check/expect.h) names the first state not reached.
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

#include "../../../sim/check/expect.h"
#include "../../../sim/util/reached.h"
#include "readme_table.h"

static void test_table(void **state) {
    (void)state;
    const char *names[REACHED_COUNT + 1];
    reached_names(names);
    assert_null(names[REACHED_COUNT]);
    for (int i = 0; i < REACHED_COUNT; i++) {
        assert_int_equal(reached_index(names[i]), i);
        assert_non_null(reached_at(i)->means);
        for (int j = 0; j < i; j++) assert_string_not_equal(names[i], names[j]);
    }
    assert_int_equal(reached_index("nope"), -1);
    assert_int_equal(reached_index(NULL), -1);
}

static void reached_row(int i, const char **name, const char **means) {
    *name = reached_at(i)->name;
    *means = reached_at(i)->means;
}

/* README.md's table "Reached states" says what reached.c's table says, row by row. */
static void test_readme_table_matches(void **state) {
    (void)state;
    readme_table_matches("Reached states", "state", REACHED_COUNT, reached_row);
}

/* Counts the lines given, for a workload of 10 payments. */
static void count(const char *const *lines, reached_counts *out) {
    uint8_t dead[2] = { 0, 0 };
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; lines[i]; i++) reached_line(lines[i], strlen(lines[i]), i + 1, dead, 10,
                                                     out);
}

static uint64_t n_of(const reached_counts *c, const char *name) {
    int k = reached_index(name);
    assert_true(k >= 0);
    return c->count[k];
}

static void test_notes(void **state) {
    (void)state;
    static const char *const L[] = {
        "{\"t\":0.1,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"publish\",\"pay\":3,"
        "\"detail\":\"msg 3 attempt 1 to PAY_QUEUE\"}",
        "{\"t\":3.1,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"publish\",\"pay\":3,"
        "\"detail\":\"msg 3 attempt 2 to PAY_QUEUE\"}",
        "{\"t\":9,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"dead\",\"pay\":3,"
        "\"detail\":\"msg 3 DEAD after 2 attempts\"}",
        "{\"t\":9.5,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"consumed\",\"pay\":4,"
        "\"detail\":\"msg 4 marked CONSUMED\"}",
        "{\"t\":10,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"consumed\",\"pay\":3,"
        "\"detail\":\"msg 3 marked CONSUMED\"}",
        "{\"t\":11,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"consumed\",\"pay\":3,"
        "\"detail\":\"msg 3 marked CONSUMED\"}",
        "{\"t\":12,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":\"duplicate\",\"pay\":3,"
        "\"detail\":\"msg 3 already APPLIED: answering again\"}",
        "{\"t\":13,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"duplicate\",\"pay\":3,"
        "\"detail\":\"CONSUMED for msg 3: no SENDING or DEAD row, no change\"}",
        "{\"t\":14,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"recover\","
        "\"detail\":\"0 outbox rows SENDING (design outbox)\"}",
        "{\"t\":15,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"recover\","
        "\"detail\":\"2 outbox rows SENDING (design outbox)\"}",
        "{\"t\":16,\"ev\":\"note\",\"node\":\"broker\",\"kind\":\"recover\","
        "\"detail\":\"incarnation 2: 0 messages restored\"}",
        "{\"t\":17,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"rollback\",\"pay\":5,"
        "\"detail\":\"payment 5: business error before COMMIT (injected): rolled back\"}",
        "{\"t\":18,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"rollback\",\"pay\":6,"
        "\"detail\":\"msg 6: business error before COMMIT of the alert (injected): rolled back\"}",
        NULL,
    };
    reached_counts c;
    count(L, &c);
    assert_int_equal(n_of(&c, "republished"), 1);          /* attempt 2, not attempt 1 */
    assert_int_equal(n_of(&c, "row_dead"), 1);
    assert_int_equal(n_of(&c, "late_answer_to_dead"), 1);  /* pay 3 once; not pay 4 */
    assert_int_equal(c.first[reached_index("late_answer_to_dead")], 5);
    assert_int_equal(n_of(&c, "duplicate_absorbed"), 1);
    assert_int_equal(n_of(&c, "answer_duplicate"), 1);
    assert_int_equal(n_of(&c, "payment_resubmitted"), 0);
    assert_int_equal(n_of(&c, "restart_finds_sending"), 1);   /* 2 rows, not 0 */
    assert_int_equal(n_of(&c, "broker_restored"), 0);         /* 0 messages */
    assert_int_equal(n_of(&c, "payment_rolled_back"), 1);     /* the pay, not the alert */
    assert_int_equal(n_of(&c, "dead_letter_rolled_back"), 1);
    assert_int_equal(c.first[reached_index("refund")], 0);
}

/* A value that merely contains a key's spelling is no field: only top-level keys count. */
static void test_fields_not_in_strings(void **state) {
    (void)state;
    static const char *const L[] = {
        "{\"t\":1,\"ev\":\"scenario\",\"text\":\"\\\"ev\\\":\\\"crash\\\",\\\"at\\\":"
        "\\\"payment.before_commit\\\"\"}",
        "{\"t\":2,\"ev\":\"send\",\"frame\":1,\"fate\":\"dropped\",\"fault\":1}",
        "{\"t\":3,\"ev\":\"send\",\"frame\":2,\"copies\":2,\"arrives\":3.1}",
        "{\"t\":4,\"ev\":\"crash\",\"node\":\"payment\",\"life\":1,\"at\":"
        "\"payment.before_commit\"}",
        "{\"t\":5,\"ev\":\"pay\",\"node\":\"client\",\"pay\":1,\"try\":2}",
        NULL,
    };
    reached_counts c;
    count(L, &c);
    assert_int_equal(n_of(&c, "crash_in_tx"), 1);
    assert_int_equal(c.first[reached_index("crash_in_tx")], 4);
    assert_int_equal(n_of(&c, "frame_dropped"), 1);
    assert_int_equal(n_of(&c, "frame_duplicated"), 1);
    assert_int_equal(n_of(&c, "client_retry"), 1);
}

static void test_expect_reached(void **state) {
    (void)state;
    static sim_scenario sc;
    memset(&sc, 0, sizeof sc);
    reached_counts c;
    memset(&c, 0, sizeof c);
    char why[512];
    assert_int_equal(expect_reached(&sc, &c, why, sizeof why), 1);   /* asks nothing */
    sc.expect.reached[reached_index("row_dead")] = 2;
    sc.expect.reached[reached_index("refund")] = 1;
    sc.expect.nreached = 2;
    c.count[reached_index("row_dead")] = 1;
    c.count[reached_index("refund")] = 0;
    assert_int_equal(expect_reached(&sc, &c, why, sizeof why), 0);
    /* the table's order: row_dead before refund */
    assert_non_null(strstr(why, "reached state row_dead ("));
    assert_non_null(strstr(why, ") 1 time, expected at least 2"));
    c.count[reached_index("row_dead")] = 2;
    assert_int_equal(expect_reached(&sc, &c, why, sizeof why), 0);
    assert_non_null(strstr(why, "reached state refund ("));
    assert_non_null(strstr(why, ") 0 times, expected at least 1"));
    c.count[reached_index("refund")] = 7;
    assert_int_equal(expect_reached(&sc, &c, why, sizeof why), 1);
}

static void test_scan_file(void **state) {
    (void)state;
    char path[] = "/tmp/test_reached_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "{\"t\":1,\"ev\":\"note\",\"node\":\"broker\",\"kind\":\"redeliver\"}\n"
                       "{\"t\":2,\"ev\":\"note\",\"node\":\"broker\",\"kind\":\"redeliver\"}\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    reached_counts c;
    char err[256];
    assert_int_equal(reached_scan(path, 0, &c, err, sizeof err), 0);
    assert_int_equal(n_of(&c, "redelivered"), 2);
    assert_int_equal(c.first[reached_index("redelivered")], 1);
    unlink(path);
    assert_int_equal(reached_scan(path, 0, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_readme_table_matches),
        cmocka_unit_test(test_notes),
        cmocka_unit_test(test_fields_not_in_strings),
        cmocka_unit_test(test_expect_reached),
        cmocka_unit_test(test_scan_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
