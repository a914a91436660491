/*
** readme_table.h: one check, shared by the tests whose code keeps a table that README.md
** restates (the invariants, the reached states): the README's table under a given
** heading says, row by row, what the code's table says.  Static functions, included by
** test_checker.c and test_reached.c; the tests run from the repository's root.
*/
#ifndef TEST_README_TABLE_H
#define TEST_README_TABLE_H

#include <stdio.h>
#include <string.h>

/* The i-th row of the code's table: its name and what it means. */
typedef void (*readme_row_fn)(int i, const char **name, const char **means);

/* Copies a README cell into out without its backquotes and surrounding blanks. */
static void readme_cell(const char *from, const char *to, char *out, size_t cap) {
    while (from < to && *from == ' ') from++;
    while (to > from && to[-1] == ' ') to--;
    size_t n = 0;
    for (; from < to && n + 1 < cap; from++)
        if (*from != '`') out[n++] = *from;
    out[n] = '\0';
}

/* README.md's table under the heading "### <heading>", whose header row starts with
** "| <first_col>", has exactly count rows, the i-th naming row(i)'s name and meaning. */
static void readme_table_matches(const char *heading, const char *first_col, int count,
                                 readme_row_fn row) {
    char want_heading[128], want_header[64];
    snprintf(want_heading, sizeof want_heading, "### %s\n", heading);
    snprintf(want_header, sizeof want_header, "| %s", first_col);
    FILE *f = fopen("README.md", "r");
    assert_non_null(f);
    char line[1024];
    int in_table = 0, rows = 0, seen = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "### ", 4)) in_table = !strcmp(line, want_heading);
        seen |= in_table;
        if (!in_table || line[0] != '|' || line[1] == '-') continue;
        if (!strncmp(line, want_header, strlen(want_header))) continue;
        char *mid = strchr(line + 1, '|'), *end = mid ? strchr(mid + 1, '|') : NULL;
        assert_non_null(end);
        char name[64], means[512];
        readme_cell(line + 1, mid, name, sizeof name);
        readme_cell(mid + 1, end, means, sizeof means);
        assert_true(rows < count);
        const char *want_name = NULL, *want_means = NULL;
        row(rows, &want_name, &want_means);
        assert_string_equal(name, want_name);
        assert_string_equal(means, want_means);
        rows++;
    }
    fclose(f);
    assert_true(seen);
    assert_int_equal(rows, count);
}

#endif
