/*
** test_hordering.c: the history check `ordering` (sim/check/hordering.c) on hand-written
** traces: payments' commit notes and accounting's apply and refuse notes, in the format
** lib/ writes them (sim/check/history.h).  A planted inversion fires, with both payments
** and the lines behind it; an in-order history, other accounts interleaved, a refused
** or a duplicate message do not; designs that claim no order are not judged.
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

#include "../../../sim/check/history.h"

#define MAXL 16
#define NPAY 4

/* payment P (= outbox row P) of account A committed; applied; refused */
#define COMMIT(p, a) "{\"t\":0." p "00000,\"ev\":\"note\",\"node\":\"payment\",\"kind\":" \
    "\"commit\",\"pay\":" p ",\"detail\":\"payment " p ": 100 cents from account " a \
    ", outbox row " p "\"}"
#define APPLY(p, a) "{\"t\":1." p "00000,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":" \
    "\"apply\",\"pay\":" p ",\"detail\":\"msg " p ": voucher of 100 cents for account " a "\"}"
#define REFUSE(p) "{\"t\":1." p "00000,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":" \
    "\"refuse\",\"pay\":" p ",\"detail\":\"msg " p " refused: account 7 is frozen\"}"

static checker_result res;

/* Judges the lines (NULL-terminated) under design; returns the result. */
static const checker_result *judge(const char *design, const char *const *lines) {
    char path[] = "/tmp/test_hordering_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "{\"t\":0.000000,\"ev\":\"run\",\"design\":\"%s\",\"payments\":%d}\n", design,
            NPAY);
    for (int i = 0; lines[i] && i < MAXL; i++) fprintf(f, "%s\n", lines[i]);
    fclose(f);
    static history_conf conf;
    char err[200];
    assert_int_equal(history_conf_make(&conf, design, NULL, 0, 9999, NPAY, err, sizeof err), 0);
    memset(&res, 0, sizeof res);
    int rc = history_run(path, &conf, &res, err, sizeof err);
    unlink(path);
    if (rc != 0) fail_msg("history_run: %s", err);
    return &res;
}

static uint32_t broken(const checker_result *r) { return r->inv[HI_ORDERING].count; }

static void test_inversion_fires(void **state) {
    (void)state;
    const char *const t[] = { COMMIT("1", "5"), COMMIT("2", "5"), APPLY("2", "5"),
                              APPLY("1", "5"), NULL };
    const checker_result *r = judge("ordered-naive", t);
    assert_false(r->inv[HI_ORDERING].skipped);
    assert_int_equal(broken(r), 1);   /* payment 2 overtook payment 1; 1 then is in order */
    const checker_violation *v = &r->inv[HI_ORDERING].shown[0];
    assert_int_equal(v->pay_id, 2);
    assert_int_equal(v->msg_id, 2);
    assert_int_equal(v->nlines, 3);   /* commit of 1, commit of 2, apply of 2 */
    assert_int_equal(v->lines[0], 2);
    assert_int_equal(v->lines[1], 3);
    assert_int_equal(v->lines[2], 4);
    assert_non_null(strstr(v->text, "account 5: msg 2 (payment 2) applied while msg 1 "
                                    "(payment 1), committed before it, was not yet"));
    assert_int_equal(broken(judge("ordered", t)), 1);   /* the check does not trust a design */
}

static void test_in_order_holds(void **state) {
    (void)state;
    /* accounts 5 and 6 interleaved, each in its commit order */
    const char *const t[] = { COMMIT("1", "5"), COMMIT("2", "6"), COMMIT("3", "5"),
                              APPLY("2", "6"), APPLY("1", "5"), APPLY("3", "5"), NULL };
    assert_int_equal(broken(judge("ordered", t)), 0);
}

static void test_refused_and_duplicates(void **state) {
    (void)state;
    /* a refused earlier message is settled, not pending; a re-applied one is not judged */
    const char *const t[] = { COMMIT("1", "5"), COMMIT("2", "5"), REFUSE("1"), APPLY("2", "5"),
                              APPLY("2", "5"), NULL };
    assert_int_equal(broken(judge("ordered", t)), 0);
}

static void test_dead_head_overtaken(void **state) {
    (void)state;
    /* payment 1 never applied (DEAD): payments 2 and 3 applied ahead of it, each an
    ** inversion, since a requeue would apply 1 after them */
    const char *const t[] = { COMMIT("1", "5"), COMMIT("2", "5"), COMMIT("3", "5"),
                              APPLY("2", "5"), APPLY("3", "5"), NULL };
    const checker_result *r = judge("ordered-naive", t);
    assert_int_equal(broken(r), 2);
    assert_int_equal(r->inv[HI_ORDERING].shown[1].pay_id, 3);
}

static void test_not_judged_without_claim(void **state) {
    (void)state;
    const char *const t[] = { COMMIT("1", "5"), COMMIT("2", "5"), APPLY("2", "5"),
                              APPLY("1", "5"), NULL };
    const checker_result *r = judge("outbox", t);
    assert_true(r->inv[HI_ORDERING].skipped);
    assert_int_equal(broken(r), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inversion_fires), cmocka_unit_test(test_in_order_holds),
        cmocka_unit_test(test_refused_and_duplicates),
        cmocka_unit_test(test_dead_head_overtaken),
        cmocka_unit_test(test_not_judged_without_claim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
