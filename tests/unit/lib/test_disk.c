/*
** test_disk.c: the simulated disk's journal records and power cut (proto/disk.h), on
** journals written by hand: round trips, malformed and torn records, what is pending,
** and what a cut does to real files in a temporary directory.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../../proto/disk.h"

static uint8_t buf[1 << 16];
static char dir[64], jpath[128], dbpath[128];

static disk_rec rec(disk_kind k, const char *path) {
    disk_rec r;
    memset(&r, 0, sizeof r);
    r.kind = k;
    snprintf(r.path, sizeof r.path, "%s", path);
    return r;
}

static void round_trip(void **state) {
    (void)state;
    static const uint8_t old[] = "abc";
    disk_rec w = rec(DISK_WRITE, "p.db");
    w.off = 4096; w.len = 10; w.old_size = 4099; w.old_len = 3; w.old = old;
    disk_rec all[] = { w, rec(DISK_CREATE, "p.db-wal"), rec(DISK_SYNC, "p.db"),
                       rec(DISK_DIRSYNC, DISK_DIR) };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        size_t n = disk_encode(&all[i], buf, sizeof buf);
        assert_int_equal(n, disk_rec_size(&all[i]));
        disk_rec d;
        size_t used = 0;
        char err[64];
        assert_int_equal(disk_decode(buf, n, &d, &used, err, sizeof err), 1);
        assert_int_equal(used, n);
        assert_int_equal(d.kind, all[i].kind);
        assert_string_equal(d.path, all[i].path);
        assert_int_equal(d.off, all[i].off);
        assert_int_equal(d.len, all[i].len);
        assert_int_equal(d.old_size, all[i].old_size);
        assert_int_equal(d.old_len, all[i].old_len);
        if (d.old_len) assert_memory_equal(d.old, all[i].old, d.old_len);
        for (size_t cut = 0; cut < n; cut++)   /* every prefix: the tail of a SIGKILL */
            assert_int_equal(disk_decode(buf, cut, &d, &used, err, sizeof err), 0);
    }
}

/* A head set field by field from another record's head of the same kind and path is the
** head disk_encode_head writes for the record itself (the VFS's per-file template). */
static void head_set_pairs_with_encode(void **state) {
    (void)state;
    static const struct { disk_kind kind; uint64_t off, old_size; uint32_t len; } cases[] = {
        { DISK_WRITE, 4096, 8192, 4096 },             /* an overwrite: old_len 4096 */
        { DISK_WRITE, 8192, 8192, 24 },               /* an append: no old bytes */
        { DISK_WRITE, 8000, 8192, 4096 },             /* half over the end: 192 */
        { DISK_WRITE, 0x123456789aULL, 0x123456789bULL, 0xfeed },   /* every byte counts */
        { DISK_TRUNCATE, 100, 5000, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        disk_rec r = rec(cases[i].kind, "payment.db-wal");
        r.off = cases[i].off; r.old_size = cases[i].old_size; r.len = cases[i].len;
        r.old_len = (uint32_t)(r.kind == DISK_TRUNCATE ? r.old_size - r.off
                               : r.off < r.old_size && r.old_size - r.off < r.len
                                   ? r.old_size - r.off : r.off < r.old_size ? r.len : 0);
        uint8_t want[DISK_HEAD_MAX], got[DISK_HEAD_MAX];
        size_t n = disk_encode_head(&r, want, sizeof want);
        assert_true(n > DISK_HEAD_TAIL);
        disk_rec t = rec(cases[i].kind, "payment.db-wal");   /* the template: other numbers */
        if (t.kind == DISK_WRITE) t.len = 1;
        assert_int_equal(disk_encode_head(&t, got, sizeof got), n);
        size_t total = disk_head_set(got, n, r.off, r.len, r.old_size, r.old_len);
        assert_int_equal(total, disk_rec_size(&r));
        assert_memory_equal(got, want, n);
    }
}

static void invalid_refused(void **state) {
    (void)state;
    disk_rec w = rec(DISK_WRITE, "p.db");
    w.off = 0; w.len = 10; w.old_size = 100; w.old_len = 3;   /* should save 10 */
    assert_int_equal(disk_encode(&w, buf, sizeof buf), 0);
    disk_rec s = rec(DISK_SYNC, "p.db");
    s.off = 1;
    assert_int_equal(disk_encode(&s, buf, sizeof buf), 0);
    disk_rec e = rec(DISK_CREATE, "");
    assert_int_equal(disk_encode(&e, buf, sizeof buf), 0);
    disk_rec ok = rec(DISK_SYNC, "p.db");
    size_t n = disk_encode(&ok, buf, sizeof buf);
    assert_true(n > 0);
    buf[4] = 99;   /* no such kind */
    disk_rec d;
    size_t used;
    char err[64];
    assert_int_equal(disk_decode(buf, n, &d, &used, err, sizeof err), -1);
    memset(buf, 0, 4);   /* total 0 */
    assert_int_equal(disk_decode(buf, n, &d, &used, err, sizeof err), -1);
}

static void pending(void **state) {
    (void)state;
    disk_pending p;
    memset(&p, 0, sizeof p);
    char err[128];
    disk_rec w = rec(DISK_WRITE, "a");
    w.len = 1;
    assert_int_equal(disk_pending_note(&p, &w, err, sizeof err), 0);
    assert_false(disk_pending_none(&p));
    disk_rec s = rec(DISK_SYNC, "a");
    assert_int_equal(disk_pending_note(&p, &s, err, sizeof err), 0);
    assert_true(disk_pending_none(&p));
    disk_rec c = rec(DISK_CREATE, "b");
    assert_int_equal(disk_pending_note(&p, &c, err, sizeof err), 0);
    disk_rec sb = rec(DISK_SYNC, "b");
    assert_int_equal(disk_pending_note(&p, &sb, err, sizeof err), 0);
    assert_false(disk_pending_none(&p));   /* a synced file, not yet a dir entry */
    disk_rec ds = rec(DISK_DIRSYNC, DISK_DIR);
    assert_int_equal(disk_pending_note(&p, &ds, err, sizeof err), 0);
    assert_true(disk_pending_none(&p));
    disk_rec c3 = rec(DISK_CREATE, "c"), c4 = rec(DISK_CREATE, "d");
    assert_int_equal(disk_pending_note(&p, &c3, err, sizeof err), 0);
    assert_int_equal(disk_pending_note(&p, &c4, err, sizeof err), -1);
}

/* An end mark (four 0xff bytes, node/vfs.c) ends the records: what follows it, the stale
** records of a journal written over from its start, is never read. */
static void end_mark_ends_records(void **state) {
    (void)state;
    size_t n = DISK_MAGIC_LEN;
    memcpy(buf, DISK_MAGIC, DISK_MAGIC_LEN);
    disk_rec c = rec(DISK_CREATE, "a");
    n += disk_encode(&c, buf + n, sizeof buf - n);
    size_t mark = n;
    memset(buf + n, 0xff, 4);
    n += 4;
    disk_rec stale = rec(DISK_CREATE, "b");   /* would make b pending if it were read */
    size_t k = disk_encode(&stale, buf + n, sizeof buf - n);
    assert_true(k > 0);
    n += k;
    disk_pending p;
    size_t whole = 0;
    char err[128];
    assert_int_equal(disk_scan(buf, n, &p, &whole, err, sizeof err), 0);
    assert_int_equal(whole, mark);
    assert_int_equal(p.nfiles, 1);
    assert_string_equal(p.path[0], "a");
    assert_int_equal(p.dir, 1);
}

/* ---- cuts on real files ------------------------------------------------------ */

static int setup(void **state) {
    (void)state;
    strcpy(dir, "/tmp/test_disk.XXXXXX");
    if (mkdtemp(dir) == NULL) return -1;
    snprintf(jpath, sizeof jpath, "%s/%s", dir, DISK_JOURNAL_NAME);
    snprintf(dbpath, sizeof dbpath, "%s/p.db", dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void put_file(const char *name, const char *bytes, size_t n) {
    char path[160];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

/* The file's bytes into out (NUL-ended), or -1 if it does not exist. */
static long get_file(const char *name, char *out, size_t cap) {
    char path[160];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    return (long)n;
}

static void journal(const disk_rec *recs, size_t n, size_t torn_tail) {
    FILE *f = fopen(jpath, "wb");
    assert_non_null(f);
    fwrite(DISK_MAGIC, 1, DISK_MAGIC_LEN, f);
    for (size_t i = 0; i < n; i++) {
        size_t len = disk_encode(&recs[i], buf, sizeof buf);
        assert_true(len > 0);
        fwrite(buf, 1, i + 1 == n && torn_tail ? torn_tail : len, f);
    }
    fclose(f);
}

static disk_rec wr(const char *path, uint64_t off, uint32_t len, uint64_t size,
                   const char *old) {
    disk_rec r = rec(DISK_WRITE, path);
    r.off = off; r.len = len; r.old_size = size;
    r.old_len = off < size ? (uint32_t)(size - off < len ? size - off : len) : 0;
    r.old = (const uint8_t *)old;
    return r;
}

static void cut(disk_keep keep, uint64_t seed, disk_loss *loss) {
    char err[256] = "";
    int rc = disk_power_cut(jpath, dbpath, keep, seed, DISK_LIMIT_DEFAULT, loss, err, sizeof err);
    if (rc != 0) print_error("%s\n", err);
    assert_int_equal(rc, 0);
}

static void cut_rolls_back_unsynced(void **state) {
    (void)state;
    put_file("p.db", "BBBBCC", 6);   /* "AAAAAAAA", then the four changes below */
    disk_rec t = rec(DISK_TRUNCATE, "p.db");
    t.off = 6; t.old_size = 12; t.old_len = 6; t.old = (const uint8_t *)"CCCCCC";
    disk_rec j[] = { wr("p.db", 0, 4, 8, "AAAA"), rec(DISK_SYNC, "p.db"),
                     wr("p.db", 4, 8, 8, "AAAA"), t };
    journal(j, 4, 0);
    disk_loss loss;
    cut(DISK_KEEP_NONE, 1, &loss);
    char got[64];
    assert_int_equal(get_file("p.db", got, sizeof got), 8);
    assert_string_equal(got, "BBBBAAAA");   /* the synced write stays */
    assert_int_equal(loss.records, 4);
    assert_int_equal(loss.file[0].writes_lost, 1);
    assert_int_equal(loss.file[0].bytes_lost, 8);
    assert_int_equal(loss.file[0].truncates_lost, 1);
    struct stat st;
    assert_int_equal(stat(jpath, &st), 0);
    assert_int_equal(st.st_size, 0);   /* emptied: the durable state is the baseline */
}

static void cut_directory_entries(void **state) {
    (void)state;
    put_file("p.db", "D", 1);
    put_file("p.db-wal", "WWW", 3);   /* created and synced, never dir-synced */
    put_file("p.db-shm", "S", 1);     /* p.db-journal: deleted, never dir-synced */
    disk_rec d = rec(DISK_DELETE, "p.db-journal");
    d.old_size = 4; d.old_len = 4; d.old = (const uint8_t *)"JJJJ";
    disk_rec j[] = { rec(DISK_CREATE, "p.db-wal"), wr("p.db-wal", 0, 3, 0, ""),
                     rec(DISK_SYNC, "p.db-wal"), d };
    journal(j, 4, 0);
    disk_loss loss;
    cut(DISK_KEEP_NONE, 1, &loss);
    char got[64];
    assert_int_equal(get_file("p.db-wal", got, sizeof got), -1);
    assert_int_equal(get_file("p.db-journal", got, sizeof got), 4);
    assert_string_equal(got, "JJJJ");
    assert_int_equal(get_file("p.db-shm", got, sizeof got), -1);
    assert_int_equal(loss.file[1].vanished, 1);
    assert_int_equal(loss.file[2].restored, 1);
    assert_true(loss.shm_removed);
    /* The same with a directory sync after it: both stand. */
    put_file("p.db-wal", "WWW", 3);
    unlink(dbpath);   /* and a database whose creation never reached the journal's end */
    put_file("p.db", "D", 1);
    char jj[160];
    snprintf(jj, sizeof jj, "%s/p.db-journal", dir);
    unlink(jj);
    disk_rec k[] = { j[0], j[1], j[2], j[3], rec(DISK_DIRSYNC, DISK_DIR),
                     rec(DISK_CREATE, "p.db") };
    journal(k, 6, 0);
    cut(DISK_KEEP_NONE, 1, &loss);
    assert_int_equal(get_file("p.db-wal", got, sizeof got), 3);
    assert_int_equal(get_file("p.db-journal", got, sizeof got), -1);
    assert_int_equal(get_file("p.db", got, sizeof got), -1);
}

static void torn_file(disk_keep keep, uint64_t seed, char *got, size_t cap) {
    char old[2048], now[2048];
    memset(old, 'o', sizeof old);
    memset(now, 'n', sizeof now);
    put_file("p.db", now, sizeof now);
    disk_rec r = wr("p.db", 0, 2048, 2048, old);
    journal(&r, 1, 0);
    disk_loss loss;
    cut(keep, seed, &loss);
    assert_int_equal(get_file("p.db", got, cap), 2048);
    assert_int_equal(loss.file[0].bytes_lost + loss.file[0].bytes_kept, 2048);
}

static void cut_torn_by_sector(void **state) {
    (void)state;
    static char a[4096], b[4096];
    int mixed = 0;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        torn_file(DISK_KEEP_TORN, seed, a, sizeof a);
        torn_file(DISK_KEEP_TORN, seed, b, sizeof b);
        assert_memory_equal(a, b, 2048);   /* the same seed, the same bytes */
        int news = 0;
        for (int s = 0; s < 4; s++) {
            for (int i = 1; i < DISK_SECTOR; i++) assert_int_equal(a[s * 512 + i], a[s * 512]);
            news += a[s * 512] == 'n';
        }
        mixed |= news > 0 && news < 4;
        torn_file(DISK_KEEP_RANDOM, seed, a, sizeof a);   /* whole or nothing */
        for (int i = 1; i < 2048; i++) assert_int_equal(a[i], a[0]);
    }
    assert_true(mixed);
}

static void cut_random_keeps_order(void **state) {
    (void)state;
    static const char *const allowed[] = { "AAAA", "BBBB", "AACCCC", "BBCCCC" };
    int seen[4] = { 0 };
    for (uint64_t seed = 1; seed <= 32; seed++) {
        put_file("p.db", "BBCCCC", 6);
        disk_rec j[] = { wr("p.db", 0, 4, 4, "AAAA"), wr("p.db", 2, 4, 4, "BB") };
        journal(j, 2, 0);
        disk_loss loss;
        cut(DISK_KEEP_RANDOM, seed, &loss);
        char got[16];
        get_file("p.db", got, sizeof got);
        int which = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(got, allowed[i]) == 0) which = i;
        if (which < 0) print_error("seed %u: %s\n", (unsigned)seed, got);
        assert_true(which >= 0);
        seen[which] = 1;
    }
    for (int i = 0; i < 4; i++) assert_true(seen[i]);
}

static void cut_refusals(void **state) {
    (void)state;
    put_file("p.db", "BBBB", 4);
    disk_rec j[] = { wr("p.db", 0, 4, 4, "AAAA"), rec(DISK_SYNC, "p.db") };
    journal(j, 2, 7);   /* the SYNC cut short: never happened */
    disk_loss loss;
    char err[256], got[16];
    assert_int_equal(disk_power_cut(jpath, dbpath, DISK_KEEP_NONE, 1, 10, &loss, err,
                                    sizeof err), -1);
    assert_non_null(strstr(err, "above the limit of 10"));
    assert_int_equal(get_file("p.db", got, sizeof got), 4);
    assert_string_equal(got, "BBBB");   /* refused: nothing changed */
    disk_rec other = wr("q.db", 0, 4, 4, "AAAA");
    journal(&other, 1, 0);
    assert_int_equal(disk_power_cut(jpath, dbpath, DISK_KEEP_NONE, 1, DISK_LIMIT_DEFAULT, &loss,
                                    err, sizeof err), -1);
    assert_non_null(strstr(err, "names q.db"));
    journal(j, 2, 7);
    cut(DISK_KEEP_NONE, 1, &loss);
    get_file("p.db", got, sizeof got);
    assert_string_equal(got, "AAAA");   /* the torn SYNC did not make the write durable */
    assert_int_equal(loss.records, 1);
}

/* A failed call's file (proto/disk.h): each kind's name parses back to it, and nothing
** else parses, the separator and a prefix included. */
static void file_names_pair(void **state) {
    (void)state;
    for (int f = 0; f < DISK_FILE_KINDS; f++)
        assert_int_equal(disk_file_parse(disk_file_name((disk_file)f)), f);
    assert_string_equal(disk_file_name(DISK_FILE_WAL), "wal");
    const char *bad[] = { "", "WAL", "wa", "wal ", "journal@", "shm", "db-wal" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(disk_file_parse(bad[i]), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(head_set_pairs_with_encode),
        cmocka_unit_test(invalid_refused),
        cmocka_unit_test(file_names_pair),
        cmocka_unit_test(pending),
        cmocka_unit_test(end_mark_ends_records),
        cmocka_unit_test_setup_teardown(cut_rolls_back_unsynced, setup, teardown),
        cmocka_unit_test_setup_teardown(cut_directory_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(cut_torn_by_sector, setup, teardown),
        cmocka_unit_test_setup_teardown(cut_random_keeps_order, setup, teardown),
        cmocka_unit_test_setup_teardown(cut_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
