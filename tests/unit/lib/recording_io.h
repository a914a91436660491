/*
** recording_io.h: a recording host for the service tests (lib/io.h): every send,
** timer, event and failpoint a service asks for is kept for the asserts, plus helpers
** to open services on real SQLite files in a temp dir.  Included (static functions)
** by test_payment.c, test_accounting.c and test_broker.c; not each uses all.
*/
#ifndef TEST_RECORDING_IO_H
#define TEST_RECORDING_IO_H

#define MAYBE_UNUSED __attribute__((unused))

#define REC_MAX 512

typedef struct rec rec;
struct rec {
    char dir[64];                     /* the test's temporary directory */
    char to[REC_MAX][16];
    ox_frame sent[REC_MAX];
    int nsent;                        /* all sends, even past REC_MAX */
    int timer_id[REC_MAX];
    int64_t timer_delay[REC_MAX];
    int ntimers;
    char ev_kind[REC_MAX][24];
    uint64_t ev_pay[REC_MAX];
    char ev_detail[REC_MAX][200];
    int nev;
    char fp[REC_MAX][40];
    int nfp;
    /* optional checks run at the moment of a send or a failpoint */
    void (*on_send)(rec *r, const ox_frame *f);
    void (*on_failpoint)(rec *r, const char *name);
    int64_t scratch[8];               /* what those checks saw */
};

static void rec_send(void *ctx, const char *to, const uint8_t *bytes, size_t len,
                     const ox_frame *f) {
    rec *r = ctx;
    ox_frame g;
    /* the bytes and the decoded frame handed to the host must agree */
    assert_int_equal(ox_wire_decode(bytes, len, &g), OX_WIRE_OK);
    assert_int_equal(g.type, f->type);
    assert_string_equal(g.queue, f->queue);
    assert_true(g.delivery == f->delivery && g.msg.msg_id == f->msg.msg_id);
    if (r->nsent < REC_MAX) {
        snprintf(r->to[r->nsent], sizeof r->to[0], "%s", to);
        r->sent[r->nsent] = g;
    }
    r->nsent++;
    if (r->on_send) r->on_send(r, f);
}

static void rec_timer(void *ctx, int id, int64_t delay_ms) {
    rec *r = ctx;
    assert_true(delay_ms >= 0);
    if (r->ntimers < REC_MAX) {
        r->timer_id[r->ntimers] = id;
        r->timer_delay[r->ntimers] = delay_ms;
    }
    r->ntimers++;
}

static void rec_event(void *ctx, const char *kind, uint64_t pay, const char *detail) {
    rec *r = ctx;
    assert_non_null(kind);
    assert_non_null(detail);
    assert_null(strchr(kind, ' '));          /* one word */
    assert_null(strchr(detail, '\n'));       /* one line */
    if (r->nev < REC_MAX) {
        snprintf(r->ev_kind[r->nev], sizeof r->ev_kind[0], "%s", kind);
        r->ev_pay[r->nev] = pay;
        snprintf(r->ev_detail[r->nev], sizeof r->ev_detail[0], "%s", detail);
    }
    r->nev++;
}

static void rec_failpoint(void *ctx, const char *name) {
    rec *r = ctx;
    if (r->nfp < REC_MAX) snprintf(r->fp[r->nfp], sizeof r->fp[0], "%s", name);
    r->nfp++;
    if (r->on_failpoint) r->on_failpoint(r, name);
}

static void rec_clear(rec *r) {
    r->nsent = r->ntimers = r->nev = r->nfp = 0;
    r->on_send = NULL;
    r->on_failpoint = NULL;
}

static ox_io rec_io(rec *r) {
    ox_io io = { r, rec_send, rec_timer, rec_event, rec_failpoint, NULL };
    return io;
}

MAYBE_UNUSED static int rec_count(const rec *r, const char *kind) {
    int n = 0;
    for (int i = 0; i < r->nev && i < REC_MAX; i++) n += strcmp(r->ev_kind[i], kind) == 0;
    return n;
}

/* The detail of the first event of `kind`, or NULL. */
MAYBE_UNUSED static const char *rec_detail(const rec *r, const char *kind) {
    for (int i = 0; i < r->nev && i < REC_MAX; i++)
        if (strcmp(r->ev_kind[i], kind) == 0) return r->ev_detail[i];
    return NULL;
}

/* ---- a temporary directory per test, removed with everything in it ---- */

static int setup_dir(void **state) {
    rec *r = calloc(1, sizeof *r);
    assert_non_null(r);
    snprintf(r->dir, sizeof r->dir, "/tmp/oxtest.XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    *state = r;
    return 0;
}

static int teardown_dir(void **state) {
    rec *r = *state;
    DIR *d = opendir(r->dir);
    assert_non_null(d);
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", r->dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    assert_int_equal(rmdir(r->dir), 0);
    free(r);
    return 0;
}

static void db_path(const rec *r, const char *name, char *out, size_t n) {
    snprintf(out, n, "%s/%s", r->dir, name);
}

/* ---- looking into a database from a second connection ---- */

MAYBE_UNUSED static int64_t q1(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) fail_msg("%s: no row (%d)", sql, rc);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

MAYBE_UNUSED static void exec_sql(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}

static ox_service *open_svc(rec *r, ox_role role, const char *path, const ox_config *c) {
    char err[512] = "";
    ox_io io = rec_io(r);
    ox_service *s = ox_service_open(role, path, c, &io, err, sizeof err);
    if (!s) fail_msg("open %s: %s", path, err);
    return s;
}

/* Hands the service a frame as its host would: encoded bytes from peer `from`. */
MAYBE_UNUSED static ox_status feed(ox_service *s, const char *from, const ox_frame *f) {
    uint8_t buf[OX_FRAME_MAX];
    ox_wire_err e;
    size_t n = ox_wire_encode(f, buf, sizeof buf, &e);
    assert_true(n > 0);
    return ox_service_on_frame(s, from, buf, n);
}

MAYBE_UNUSED static ox_frame frame_of(uint8_t type, const char *queue, uint64_t delivery,
                                      const ox_msg *m) {
    ox_frame f;
    memset(&f, 0, sizeof f);
    f.type = type;
    snprintf(f.queue, sizeof f.queue, "%s", queue);
    f.delivery = delivery;
    if (m) f.msg = *m;
    return f;
}


#endif
