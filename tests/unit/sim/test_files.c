/*
** test_files.c: the tools' file helpers (sim/util/files.c) in a fresh temporary
** directory: mkdir -p, rm -rf (that does not follow links), the atomic write and its
** error path, and the questions about paths.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../sim/util/files.h"

static char root[64];

static int setup(void **state) {
    (void)state;
    snprintf(root, sizeof root, "/tmp/test_files_XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    return files_rmtree(root);
}

static int exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_mkdirs_rmtree(void **state) {
    (void)state;
    char deep[256], file[300], outside[256], link[300];
    snprintf(deep, sizeof deep, "%s/a/b/c", root);
    assert_int_equal(files_mkdirs(deep), 0);
    assert_int_equal(files_mkdirs(deep), 0);     /* already there: fine */
    snprintf(file, sizeof file, "%s/f", deep);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    /* A link out of the tree: removing the tree must not follow it. */
    snprintf(outside, sizeof outside, "%s/keep", root);
    assert_int_equal(files_mkdirs(outside), 0);
    snprintf(link, sizeof link, "%s/a/link", root);
    assert_int_equal(symlink(outside, link), 0);
    char a[256];
    snprintf(a, sizeof a, "%s/a", root);
    assert_int_equal(files_rmtree(a), 0);
    assert_false(exists(a));
    assert_true(exists(outside));
    assert_int_equal(files_rmtree(a), 0);        /* already gone: fine */
    assert_int_equal(files_mkdirs(""), -1);
}

static void fill(FILE *f, void *ctx) { fputs((const char *)ctx, f); }

static void test_write(void **state) {
    (void)state;
    char path[256], err[512], buf[64];
    snprintf(path, sizeof path, "%s/out.txt", root);
    assert_int_equal(files_write(path, fill, "one\n", err, sizeof err), 0);
    assert_int_equal(files_write(path, fill, "two\n", err, sizeof err), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "two\n");
    snprintf(path, sizeof path, "%s/missing/out.txt", root);
    assert_int_equal(files_write(path, fill, "x", err, sizeof err), -1);
    assert_memory_equal(err, "cannot write ", 13);
    assert_false(exists(path));
}

static void test_paths(void **state) {
    (void)state;
    char path[256], parent[256];
    snprintf(path, sizeof path, "%s/x.json", root);
    assert_true(files_dir_writable(path));
    snprintf(path, sizeof path, "%s/no/x.json", root);
    assert_false(files_dir_writable(path));
    assert_int_equal(files_parent("a/b/c", parent, sizeof parent), 0);
    assert_string_equal(parent, "a/b");
    assert_int_equal(files_parent("c", parent, sizeof parent), 0);
    assert_string_equal(parent, ".");
    assert_int_equal(files_parent("a/b/c", parent, 3), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mkdirs_rmtree),
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
