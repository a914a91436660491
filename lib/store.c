/*
** store.c: opening a service's SQLite file and running its statements (store.h).
**
** Opening is careful about whose file it is.  The identity (application_id,
** user_version, whether it has any schema at all) is read first from the raw file
** header, then if need be on a READ-ONLY connection; only a file that is this role's
** database, or a brand-new empty one, is then opened for writing, switched to WAL and
** given its tables.  The identity is read again
** inside the write transaction that creates the tables, so two processes racing to
** create one file cannot both claim it.
*/
#include "store.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema.h"

#define BUSY_TIMEOUT_MS 5000

/* ---- schema.h as SQL ---- */

static const char PAYMENT_DDL[] =
    "CREATE TABLE IF NOT EXISTS payment(id INTEGER PRIMARY KEY,"
    " account INTEGER NOT NULL, amount INTEGER NOT NULL, status TEXT NOT NULL,"
    " created_at INTEGER NOT NULL) STRICT;"
    "CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " payment_id INTEGER NOT NULL UNIQUE, status TEXT NOT NULL,"
    " attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,"
    " payload BLOB NOT NULL, created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL) STRICT;"
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox(next_attempt_at)"
    " WHERE status = 'SENDING';"
    "CREATE TABLE IF NOT EXISTS refund(payment_id INTEGER PRIMARY KEY,"
    " amount INTEGER NOT NULL, reason TEXT NOT NULL,"
    " created_at INTEGER NOT NULL) STRICT;"
    "CREATE TABLE IF NOT EXISTS alert(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " outbox_id INTEGER NOT NULL, payment_id INTEGER NOT NULL, kind TEXT NOT NULL,"
    " message TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT;"
    /* A deleted outbox row leaves its tombstone, in the DELETE's own transaction, so
    ** that whoever reads the file later knows the row existed and how it ended. */
    "CREATE TABLE IF NOT EXISTS outbox_cleaned(payment_id INTEGER PRIMARY KEY,"
    " outbox_id INTEGER NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,"
    " settled_at INTEGER NOT NULL) STRICT;"
    "CREATE TRIGGER IF NOT EXISTS outbox_tombstone AFTER DELETE ON outbox BEGIN"
    " INSERT OR REPLACE INTO outbox_cleaned VALUES"
    " (OLD.payment_id, OLD.id, OLD.status, OLD.attempts, OLD.updated_at); END;";

static const char ACCOUNTING_DDL[] =
    "CREATE TABLE IF NOT EXISTS inbox(msg_id INTEGER PRIMARY KEY,"
    " payment_id INTEGER NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL,"
    " received_at INTEGER NOT NULL) STRICT;"
    "CREATE TABLE IF NOT EXISTS voucher(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " payment_id INTEGER NOT NULL, msg_id INTEGER NOT NULL,"
    " account INTEGER NOT NULL, amount INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL) STRICT;";

static const char BROKER_DDL[] =
    "CREATE TABLE IF NOT EXISTS message(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " queue TEXT NOT NULL, frame BLOB NOT NULL, redeliveries INTEGER NOT NULL,"
    " visible_at INTEGER NOT NULL) STRICT;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY,"
    " value INTEGER NOT NULL) STRICT;";

static int schema_id(ox_role role) {
    switch (role) {
    case OX_ROLE_PAYMENT: return OX_SCHEMA_PAYMENT;
    case OX_ROLE_RELAY: return OX_SCHEMA_PAYMENT;   /* a relay opens the payment's file */
    case OX_ROLE_ACCOUNTING: return OX_SCHEMA_ACCOUNTING;
    case OX_ROLE_BROKER: return OX_SCHEMA_BROKER;
    }
    assert(0);
    assert("unknown role");
    return -1;
}

static const char *ddl(ox_role role) {
    switch (role) {
    case OX_ROLE_PAYMENT: return PAYMENT_DDL;
    case OX_ROLE_RELAY: return PAYMENT_DDL;
    case OX_ROLE_ACCOUNTING: return ACCOUNTING_DDL;
    case OX_ROLE_BROKER: return BROKER_DDL;
    }
    return NULL;
}

/* ---- identity ---- */

typedef enum { ID_OURS, ID_FRESH, ID_FOREIGN, ID_ERROR } identity;

/* One integer from a one-row query; returns the SQLite result code. */
static int query_int(sqlite3 *db, const char *sql, int64_t *out) {
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) { *out = sqlite3_column_int64(q, 0); rc = SQLITE_OK; }
        else if (rc == SQLITE_DONE) rc = SQLITE_CORRUPT;   /* these always give a row */
    }
    sqlite3_finalize(q);
    return rc;
}

static const char *role_of_version(int64_t uv) {
    if (uv == OX_SCHEMA_PAYMENT) return "payment";
    if (uv == OX_SCHEMA_ACCOUNTING) return "accounting";
    if (uv == OX_SCHEMA_BROKER) return "broker";
    return NULL;
}

static identity foreign(ox_store *st, ox_role role, int64_t app, int64_t uv) {
    const char *other = app == OX_APP_ID ? role_of_version(uv) : NULL;
    snprintf(st->err, st->errlen,
             "%s: not an outbox-lab %s database (application_id 0x%llx, user_version %lld)%s%s%s",
             st->path, ox_role_name(role), (unsigned long long)(uint32_t)app, (long long)uv,
             other ? "; it is the " : "", other ? other : "", other ? " database" : "");
    return ID_FOREIGN;
}

/* Classifies the open file; ID_FOREIGN and ID_ERROR leave the reason in st->err. */
static identity classify(ox_store *st, sqlite3 *db, ox_role role) {
    int64_t app = 0, uv = 0, nobj = 0;
    int rc = query_int(db, "PRAGMA application_id", &app);
    if (rc == SQLITE_OK) rc = query_int(db, "PRAGMA user_version", &uv);
    if (rc == SQLITE_OK) rc = query_int(db, "SELECT count(*) FROM sqlite_schema", &nobj);
    if (rc == SQLITE_NOTADB) {
        snprintf(st->err, st->errlen, "%s: not an outbox-lab %s database (not an SQLite file)",
                 st->path, ox_role_name(role));
        return ID_FOREIGN;
    }
    if (rc != SQLITE_OK) {
        snprintf(st->err, st->errlen, "%s: reading its identity: %s", st->path, sqlite3_errstr(rc));
        return ID_ERROR;
    }
    if (app == OX_APP_ID && uv == schema_id(role)) return ID_OURS;
    if (app == 0 && uv == 0 && nobj == 0) return ID_FRESH;
    return foreign(st, role, app, uv);
}

static int64_t be32(const uint8_t *p) {
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

/* Reads the 100-byte SQLite file header with plain read(2): most foreign files are
** refused from it without SQLite opening them at all.  ID_FRESH means "no verdict":
** a missing or empty file, or an application_id and user_version of 0.  *wal: the
** header says WAL mode. */
static identity peek_header(ox_store *st, ox_role role, int *wal) {
    uint8_t h[100];
    *wal = 0;
    int fd = open(st->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ID_FRESH;                    /* missing: SQLite reports other errors */
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    if (n <= 0) return ID_FRESH;                    /* empty; or unreadable: SQLite will say */
    if (n != (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16) != 0) {
        snprintf(st->err, st->errlen, "%s: not an outbox-lab %s database (not an SQLite file)",
                 st->path, ox_role_name(role));
        return ID_FOREIGN;
    }
    int64_t uv = be32(h + 60), app = be32(h + 68);
    *wal = h[18] == 2;
    if (app == OX_APP_ID && uv == schema_id(role)) return ID_OURS;
    if (app != 0 || uv != 0) return foreign(st, role, app, uv);
    return ID_FRESH;
}

/* Reads an existing file's identity without opening it for writing.  A WAL-mode file
** with no verdict in its header is left to the read-write open, because even a
** read-only connection creates a WAL file's -wal and -shm sidecars (never the file). */
static ox_status check_readonly(ox_store *st, ox_role role) {
    int wal = 0;
    identity id = peek_header(st, role, &wal);
    if (id == ID_FOREIGN) return OX_ERR_FOREIGN_DB;
    struct stat sb;
    if (id == ID_OURS || wal || stat(st->path, &sb) != 0 || sb.st_size == 0) return OX_OK;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(st->path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        snprintf(st->err, st->errlen, "%s: cannot open: %s", st->path,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return OX_ERR_DB;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    id = classify(st, db, role);
    sqlite3_close(db);
    if (id == ID_FOREIGN) return OX_ERR_FOREIGN_DB;
    if (id == ID_ERROR)   /* each OX_ERR_DB on a line of its own: make coverage lists them */
        return OX_ERR_DB;
    return OX_OK;
}

/* ---- open ---- */

static ox_status exec(ox_store *st, const char *sql, const char *what) {
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK) return OX_OK;
    snprintf(st->err, st->errlen, "%s: %s: %s", st->path, what, msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return OX_ERR_DB;
}

static const char *const SYNC_SQL[] = { "PRAGMA synchronous=OFF", "PRAGMA synchronous=NORMAL",
                                        "PRAGMA synchronous=FULL", "PRAGMA synchronous=EXTRA" };

/* journal_mode, then synchronous (durable_send under delete runs extra: config.h). */
static ox_status set_journal(ox_store *st, const ox_config *cfg) {
    static const char *const MODE[] = { "PRAGMA journal_mode=WAL", "PRAGMA journal_mode=DELETE" };
    static const char *const WANT[] = { "wal", "delete" };
    assert((unsigned)cfg->journal_mode <= OX_JOURNAL_DELETE);
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(st->db, MODE[cfg->journal_mode], -1, &q, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(q);
    const unsigned char *mode = rc == SQLITE_ROW ? sqlite3_column_text(q, 0) : NULL;
    int ok = mode && strcmp((const char *)mode, WANT[cfg->journal_mode]) == 0;
    sqlite3_finalize(q);
    if (!ok) {
        snprintf(st->err, st->errlen, "%s: cannot switch to journal_mode %s: %s", st->path,
                 WANT[cfg->journal_mode],
                 rc == SQLITE_ROW ? "journal mode refused" : sqlite3_errmsg(st->db));
        return OX_ERR_DB;
    }
    assert((unsigned)cfg->synchronous <= OX_SYNC_EXTRA);
    ox_sync sync = cfg->synchronous;
    int wal = cfg->journal_mode == OX_JOURNAL_WAL;
    if (cfg->durable_send && !wal) sync = OX_SYNC_EXTRA;
    st->sync = (int)sync;
    st->barrier = cfg->durable_send && wal;
    st->barrier_db = st->barrier && sync == OX_SYNC_OFF;   /* store.h */
    return exec(st, SYNC_SQL[sync], "set synchronous");
}

ox_status ox_store_durable(ox_store *st, int on) {
    assert(st->db);
    assert(!st->tx);
    assert(!st->group);
    assert((unsigned)st->sync <= OX_SYNC_EXTRA);
    return exec(st, SYNC_SQL[on ? OX_SYNC_EXTRA : st->sync], "set synchronous");
}

/* Creates the tables (idempotent) and stamps the identity, in one transaction that
** first re-reads the identity. */
static ox_status create_schema(ox_store *st, ox_role role) {
    ox_status s = exec(st, "BEGIN IMMEDIATE", "begin schema");
    if (s != OX_OK) return s;
    identity id = classify(st, st->db, role);
    if (id == ID_FOREIGN || id == ID_ERROR) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        if (id == ID_FOREIGN) return OX_ERR_FOREIGN_DB;
        return OX_ERR_DB;
    }
    char stamp[128];
    snprintf(stamp, sizeof stamp, "PRAGMA application_id=%d; PRAGMA user_version=%d;",
             OX_APP_ID, schema_id(role));
    s = exec(st, ddl(role), "create schema");
    if (s == OX_OK) s = exec(st, stamp, "stamp identity");
    if (s == OX_OK) s = exec(st, "COMMIT", "commit schema");
    if (s != OX_OK) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return s;
}

static ox_status prepare_tx(ox_store *st) {
    ox_status s = ox_store_prepare(st, &st->begin, "BEGIN IMMEDIATE");
    if (s == OX_OK) s = ox_store_prepare(st, &st->commit, "COMMIT");
    if (s == OX_OK) s = ox_store_prepare(st, &st->rollback, "ROLLBACK");
    if (s == OX_OK) s = ox_store_prepare(st, &st->savepoint, "SAVEPOINT ox_work");
    if (s == OX_OK) s = ox_store_prepare(st, &st->release, "RELEASE ox_work");
    if (s == OX_OK) s = ox_store_prepare(st, &st->rollback_to, "ROLLBACK TO ox_work");
    return s;
}

ox_status ox_store_open(ox_store *st, ox_role role, const char *path, const ox_config *cfg,
                        char *err, size_t errlen) {
    assert(st);
    assert(path);
    assert(cfg);
    assert(err);
    assert(errlen > 0);
    memset(st, 0, sizeof *st);
    st->err = err;
    st->errlen = errlen;
    if (strlen(path) >= sizeof st->path) {
        /* the caller's mistake, not the database's: no SQLite call was made */
        snprintf(err, errlen, "database path too long (%zu bytes)", strlen(path));
        return OX_ERR_ARG;
    }
    snprintf(st->path, sizeof st->path, "%s", path);
    ox_status s = check_readonly(st, role);
    if (s != OX_OK) return s;

    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot open: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        ox_store_close(st);
        return OX_ERR_DB;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    identity id = classify(st, st->db, role);   /* it may have changed since the check */
    if (id == ID_FOREIGN) s = OX_ERR_FOREIGN_DB;
    if (id == ID_ERROR)
        s = OX_ERR_DB;
    if (s == OX_OK) s = set_journal(st, cfg);
    if (s == OX_OK) s = create_schema(st, role);
    if (s == OX_OK) s = prepare_tx(st);
    st->synced_changes = -1;   /* the first barrier syncs the schema too */
    if (s == OX_OK) s = ox_store_barrier(st);
    if (s != OX_OK) ox_store_close(st);
    return s;
}

static void rollback_all(ox_store *st);

void ox_store_close(ox_store *st) {
    assert(st);
    if (st->db && st->group) rollback_all(st);   /* an unfinished group commits nothing */
    st->group = st->group_lost = st->tx = 0;
    sqlite3_stmt **all[] = { &st->begin, &st->commit, &st->rollback, &st->savepoint,
                             &st->release, &st->rollback_to };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) ox_store_finalize(all[i]);
    if (st->db) {
        int rc = sqlite3_close(st->db);
        assert(rc == SQLITE_OK);   /* every statement of ours is finalized by now */
        (void)rc;
    }
    st->db = NULL;
}

/* ---- statements ---- */

ox_status ox_store_prepare(ox_store *st, sqlite3_stmt **out, const char *sql) {
    assert(st->db);
    assert(out);
    assert(!*out);
    int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
    if (rc == SQLITE_OK) return OX_OK;
    snprintf(st->err, st->errlen, "%s: prepare \"%.60s\": %s", st->path, sql,
             sqlite3_errmsg(st->db));
    return OX_ERR_DB;
}

void ox_store_finalize(sqlite3_stmt **stmt) {
    sqlite3_finalize(*stmt);
    *stmt = NULL;
}

/* The failure of `what`, worded "PATH: what: msg", as a database error.  Some errors end
** the whole transaction (store.h): then the group is lost. */
static ox_status store_error(ox_store *st, const char *what, const char *msg) {
    snprintf(st->err, st->errlen, "%s: %s: %s", st->path, what, msg);
    if (st->group && sqlite3_get_autocommit(st->db)) st->group_lost = 1;
    return OX_ERR_DB;
}

ox_status ox_store_fail(ox_store *st, const char *what) {
    return store_error(st, what, sqlite3_errmsg(st->db));
}

static ox_status group_lost(ox_store *st) {
    snprintf(st->err, st->errlen, "%s: group: SQLite rolled its transaction back after an"
             " earlier error; nothing of the group is committed", st->path);
    return OX_ERR_DB;
}

void ox_store_reset(sqlite3_stmt *stmt) {
    /* reset only repeats the last step's error, which the caller has already seen */
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

ox_status ox_store_bound(ox_store *st, sqlite3_stmt *stmt, int rc, const char *what) {
    assert(st->db);
    if (rc == SQLITE_OK) return OX_OK;
    ox_store_reset(stmt);
    return store_error(st, what, sqlite3_errstr(rc));   /* the bind's own code: the
                                                        ** connection does not keep it */
}

ox_status ox_store_run(ox_store *st, sqlite3_stmt *stmt, const char *what, int *changes) {
    if (st->group_lost) {   /* it would run in autocommit, outside the group */
        if (changes) *changes = 0;
        ox_store_reset(stmt);
        return group_lost(st);
    }
    int rc = sqlite3_step(stmt);
    ox_status s = rc == SQLITE_DONE ? OX_OK : ox_store_fail(st, what);
    if (changes) *changes = rc == SQLITE_DONE ? sqlite3_changes(st->db) : 0;
    ox_store_reset(stmt);
    return s;
}

int ox_store_row(ox_store *st, sqlite3_stmt *stmt, const char *what) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) return 1;
    if (rc != SQLITE_DONE) ox_store_fail(st, what);
    ox_store_reset(stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- transactions, and groups of them ---- */

ox_status ox_store_begin(ox_store *st) {
    assert(!st->tx);
    if (st->group && sqlite3_get_autocommit(st->db)) st->group_lost = 1;
    ox_status s = ox_store_run(st, st->group ? st->savepoint : st->begin, "begin", NULL);
    st->tx = s == OX_OK;
    return s;
}

/* ROLLBACK fails only when no transaction is open (SQLite may already have rolled
** back after an I/O error); either way none is open afterwards. */
static void rollback_all(ox_store *st) {
    sqlite3_step(st->rollback);
    sqlite3_reset(st->rollback);
    assert(sqlite3_get_autocommit(st->db));
}

/* ROLLBACK TO + RELEASE: the work since SAVEPOINT is undone and its savepoint gone,
** the group's transaction stays open.  Both fail only when SQLite has already rolled
** the whole group back; then the group is lost. */
static void rollback_savepoint(ox_store *st) {
    int rc = sqlite3_step(st->rollback_to);
    sqlite3_reset(st->rollback_to);
    int rc2 = sqlite3_step(st->release);
    sqlite3_reset(st->release);
    if (sqlite3_get_autocommit(st->db)) st->group_lost = 1;
    assert(st->group_lost || (rc == SQLITE_DONE && rc2 == SQLITE_DONE));
    (void)rc; (void)rc2;
}

void ox_store_rollback(ox_store *st) {
    assert(st->tx);
    st->tx = 0;
    if (st->group) rollback_savepoint(st);
    else rollback_all(st);
}

ox_status ox_store_commit(ox_store *st) {
    assert(st->tx);
    ox_status s = ox_store_run(st, st->group ? st->release : st->commit, "commit", NULL);
    if (s != OX_OK) ox_store_rollback(st);
    st->tx = 0;
    return s;
}

ox_status ox_store_group_begin(ox_store *st) {
    assert(!st->group);
    assert(!st->tx);
    assert(sqlite3_get_autocommit(st->db));
    ox_status s = ox_store_run(st, st->begin, "begin group", NULL);
    st->group = s == OX_OK;
    st->group_lost = 0;
    return s;
}

ox_status ox_store_group_end(ox_store *st) {
    assert(st->group);
    assert(!st->tx);
    int lost = st->group_lost || sqlite3_get_autocommit(st->db);
    st->group = st->group_lost = 0;
    ox_status s = lost ? group_lost(st) : ox_store_run(st, st->commit, "commit group", NULL);
    if (s != OX_OK) rollback_all(st);
    else s = ox_store_barrier(st);   /* the group's sends went out with it (store.h) */
    return s;
}

/* xSync of one of the database's files, found by file control (op: the main file or
** its journal/WAL); a file not open (no WAL yet) has nothing to sync. */
static int sync_one(ox_store *st, int op) {
    sqlite3_file *f = NULL;
    int rc = sqlite3_file_control(st->db, "main", op, &f);
    if (rc != SQLITE_OK) return rc;
    if (f == NULL || f->pMethods == NULL) return SQLITE_OK;
    return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
}

ox_status ox_store_barrier(ox_store *st) {
    assert(st->db);
    if (!st->barrier || !sqlite3_get_autocommit(st->db)) return OX_OK;
    sqlite3_int64 changes = sqlite3_total_changes64(st->db);
    assert(changes >= st->synced_changes);
    if (changes == st->synced_changes) return OX_OK;
    /* the WAL: it holds the commits; under off also the database a checkpoint wrote */
    int rc = sync_one(st, SQLITE_FCNTL_JOURNAL_POINTER);
    if (rc == SQLITE_OK && st->barrier_db) rc = sync_one(st, SQLITE_FCNTL_FILE_POINTER);
    if (rc != SQLITE_OK) {
        snprintf(st->err, st->errlen, "%s: durability barrier: sync failed: %s", st->path,
                 sqlite3_errstr(rc));
        return OX_ERR_DB;
    }
    st->synced_changes = changes;
    return OX_OK;
}
