/*
** vfs.c: the simulated disk's VFS (see vfs.h; the journal's format and model are in
** proto/disk.h).
**
** Each open file is our vfs_file followed by the unix VFS's own file object, which does
** the real work.  A file we track (a named main database, -wal or -journal) keeps its
** name in its directory; before each WRITE or TRUNCATE the old bytes are copied from a
** read-only map of the file (or read through it) into the record, and the record goes
** into the journal: stored into a shared map of the journal (vfs_set_buffered), or
** appended with one write().  The journal is appended before the change it undoes: a
** SIGKILL between the two leaves a record of a change never made, which undoing rewrites
** with the bytes already there.
**
** Directory syncs follow os_unix.c: a journal or WAL opened with SQLITE_OPEN_CREATE
** syncs its directory at its first xSync on that handle (unixOpen's syncDir), and
** xDelete syncs it when SQLite passes dirSync.  A new main database file gets none.
**
** The state is one process-wide struct: SQLite's VFS registry is process-wide too, and
** the node opens one database.
*/
#include "vfs.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../lib/prng.h"
#include "../proto/disk.h"

#define VFS_PRNG_STREAM 0x7666735f64736bULL   /* "vfs_dsk": the seed's stream for SQLite */
#define JULIAN_UNIX_EPOCH_MS (24405875LL * 8640000LL)
#define VFS_JMAP_MIN ((size_t)4 << 20)     /* the mapped journal's first length */
#define VFS_JMAP_STEP ((size_t)64 << 20)   /* it doubles as it grows, by at most this */
#define VFS_MAP_MAX ((size_t)256 << 20)   /* old bytes read through a map below this */
#define OPEN_TYPES (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TRANSIENT_DB | \
                    SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_TEMP_JOURNAL |                  \
                    SQLITE_OPEN_SUBJOURNAL | SQLITE_OPEN_SUPER_JOURNAL | SQLITE_OPEN_WAL)

typedef struct {
    sqlite3_file base;
    sqlite3_file *real;          /* the unix VFS's file, right after this struct */
    char *path;                  /* tracked: its name in its directory (proto/disk.h);
                                 ** NULL: passed through */
    size_t path_len;
    const char *full;            /* tracked: the name SQLite opened it by (valid until
                                 ** xClose), for the map */
    const uint8_t *map;          /* tracked: the file read-only, VFS_MAP_MAX long, mapped at
                                 ** its first overwrite; NULL: not (yet) */
    int map_tried;
    int dirsync;                 /* the first xSync also syncs the directory */
    disk_file kind;              /* tracked: main database, -wal or -journal */
    sqlite3_int64 size;          /* tracked: its size, valid while size_gen == V.gen != 0 */
    uint64_t size_gen;
    size_t whead_len;            /* tracked: whead holds a WRITE record's head for it, */
    uint8_t whead[DISK_HEAD_MAX];   /* its numbers set per write (disk_head_set) */
} vfs_file;

static struct {
    sqlite3_vfs base;
    sqlite3_vfs *real;
    int fd;                      /* DIR/disk.journal */
    ox_prng rand;
    disk_pending pending;
    uint8_t *buf;                /* unmapped: the record being built */
    size_t cap;
    uint64_t records, bytes;
    int complained;
    int buffered;                /* the journal is to be mapped (vfs_set_buffered) */
    uint8_t *jmap;               /* mapped: the journal file, jmap_len bytes; NULL: not */
    size_t jmap_len;
    int jmap_failed;             /* it could not be mapped: records are written instead */
    uint64_t file_len;           /* bytes of the journal, magic included: where the next
                                 ** record goes */
    uint64_t phys;               /* bytes in the file: file_len, or more behind an end mark
                                 ** (mapped: jmap_len) */
    uint64_t gen;                /* vfs_step_begin's count; 0: sizes are never cached */
    vfs_fault_fn fault;          /* disk errors (vfs.h); NULL: none */
    void *fault_ctx;
    vfs_sync_fn synced;          /* sync points (vfs.h); NULL: none */
    void *synced_ctx;
} V = { .fd = -1 };

static const sqlite3_io_methods vfs_io;

/* ---- the journal ------------------------------------------------------------------ */

static void complain(const char *what, const char *path) {
    if (V.complained++) return;   /* one line: SQLite reports the I/O error itself */
    fprintf(stderr, "outbox-node: disk journal: %s %s: %s\n", what, path, strerror(errno));
}

/* buf[len] into the journal at `at`; the file grows to at + len if shorter. */
static int pwrite_all(const uint8_t *buf, size_t len, uint64_t at) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(V.fd, buf + done, len - done, (off_t)(at + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        done += (size_t)n;
    }
    if (V.phys < at + len) V.phys = at + len;
    return 0;
}

/* Unmapped: a record right after the last, the file exactly as long as the journal. */
static int write_all(const uint8_t *buf, size_t len) {
    assert(V.phys == V.file_len);
    if (pwrite_all(buf, len, V.file_len) != 0) return -1;
    V.file_len += len;
    return 0;
}

/* The end of the records: a head whose `total` runs past the end of any journal, which
** every reader takes for a record a SIGKILL cut short and stops at, whatever follows it
** (proto/disk.h).  A mapped journal keeps one right after its last record. */
static const uint8_t END_MARK[4] = { 0xff, 0xff, 0xff, 0xff };

/* The file cut to the journal's end, nothing after it: what an unmapped write needs.
** 0 if the truncate failed. */
static int exact(void) {
    assert(V.jmap == NULL);
    if (V.phys == V.file_len) return 1;
    assert(V.phys > V.file_len);
    if (ftruncate(V.fd, (off_t)V.file_len) != 0) return 0;
    V.phys = V.file_len;
    return 1;
}

/* Mapped (vfs_set_buffered), the journal file is a shared map and each record is built
** at its place in it: the old bytes are copied once, from the database file's map into
** the journal's, with no system call and no second copy through the kernel (a WAL that
** wraps journals several MB between two checkpoints).  A store into a shared map is in
** the file the moment it is made, so a SIGKILL, whenever it comes, loses no record
** whose change was made; the file is longer than the journal, and an end mark follows
** the last record at every instant (commit() says how), so that no reader ever sees
** what lies after.  Emptying the journal is an end mark after the magic: the file's
** pages stay allocated and mapped, and are written over. */
static int jmap_open(void) {
    assert(V.jmap == NULL);
    assert(V.fd >= 0);
    if (!exact()) return -1;   /* after a map that failed midway */
    size_t len = VFS_JMAP_MIN;
    while (len < V.file_len + sizeof END_MARK) len *= 2;
    /* The end mark first, then the file longer (zeros after the mark): at every step
    ** of the way the file is a journal that ends where it did. */
    if (pwrite_all(END_MARK, sizeof END_MARK, V.file_len) != 0) return -1;
    if (ftruncate(V.fd, (off_t)len) != 0) return -1;
    V.phys = len;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, V.fd, 0);
    if (m == MAP_FAILED) return -1;
    V.jmap = m;
    V.jmap_len = len;
    return 0;
}

/* The map, and the file, made at least `end` bytes long. */
static int jmap_fit(uint64_t end) {
    assert(V.jmap != NULL);
    assert(V.phys >= V.jmap_len);
    if (end <= V.jmap_len) return 0;
    size_t len = V.jmap_len;
    while (len < end) len += len < VFS_JMAP_STEP ? len : VFS_JMAP_STEP;
    if (V.phys < len && ftruncate(V.fd, (off_t)len) != 0) return -1;
    if (V.phys < len) V.phys = len;   /* zeros after the end mark */
    void *m = mremap(V.jmap, V.jmap_len, len, MREMAP_MAYMOVE);
    if (m == MAP_FAILED) return -1;   /* the file stays longer: never read */
    V.jmap = m;
    V.jmap_len = len;
    return 0;
}

/* Unmapped again: the file cut to the journal's end.  0, or -1 if the cut failed. */
static int jmap_close(void) {
    if (V.jmap == NULL) return 0;
    munmap(V.jmap, V.jmap_len);
    V.jmap = NULL;
    V.jmap_len = 0;
    return exact() ? 0 : -1;
}

int vfs_flush(void) { return 0; }   /* nothing is ever held (vfs.h) */

/* Where the next record, `need` bytes, is built: mapped, at its place in the journal;
** else in V.buf, written by commit().  NULL if the journal cannot take it. */
static uint8_t *slot(size_t need) {
    if (V.buffered && V.jmap == NULL && !V.jmap_failed && jmap_open() != 0)
        V.jmap_failed = 1;   /* records are written, as unbuffered: slower, no less sound */
    if (V.jmap != NULL)
        return jmap_fit(V.file_len + need + sizeof END_MARK) == 0 ? V.jmap + V.file_len : NULL;
    if (!exact()) return NULL;
    if (need <= V.cap) return V.buf;
    uint8_t *b = realloc(V.buf, need);
    if (b == NULL) return NULL;
    V.buf = b;
    V.cap = need;
    return b;
}

/* The record built at `at` (slot's answer; its old bytes after the head in place), len
** bytes, into the journal; its head is hd[head], encoded apart so that, mapped, its
** `total` is stored last.  Until that store the end mark at `at` ends the journal and
** the record does not count; after it the record is whole and the new end mark, stored
** first, follows it.  Even stored a byte at a time, low to high, the `total` reads as an
** end mark until its last byte: a journal is far below 4 GiB. */
static int commit(uint8_t *at, const uint8_t *hd, size_t head, size_t len) {
    assert(head > 4);
    assert(head <= len);
    if (V.jmap != NULL) {
        assert(at == V.jmap + V.file_len);
        assert(V.file_len + len + sizeof END_MARK <= V.jmap_len);
        memcpy(at + len, END_MARK, sizeof END_MARK);
        memcpy(at + 4, hd + 4, head - 4);
        atomic_signal_fence(memory_order_seq_cst);   /* the compiler keeps this order */
        memcpy(at, hd, 4);
        V.file_len += len;
        return 0;
    }
    assert(at == V.buf);
    memcpy(at, hd, head);
    return write_all(at, len);
}

void vfs_set_buffered(int on) {
    if (!on && jmap_close() != 0) complain("cannot cut", DISK_JOURNAL_NAME);
    V.buffered = on;
    V.jmap_failed = 0;
}

/* Commits the record of `kind` for `path` built at `at` (head hd[head], len bytes in
** all), then notes it; empties the journal once nothing is pending. */
static int emit(disk_kind kind, const char *path, uint8_t *at, const uint8_t *hd,
                size_t head, size_t len) {
    if (commit(at, hd, head, len) != 0) {
        complain("cannot append a record for", path);
        return -1;
    }
    V.records++;
    V.bytes += len;
    char err[128];
    if (disk_pending_add(&V.pending, kind, path, err, sizeof err) != 0) {
        errno = EINVAL;
        complain(err, path);
        return -1;
    }
    if (!disk_pending_none(&V.pending)) return 0;
    memset(&V.pending, 0, sizeof V.pending);
    if (V.jmap != NULL) {   /* over the old records, behind an end mark: one 4-byte store */
        memcpy(V.jmap + DISK_MAGIC_LEN, END_MARK, sizeof END_MARK);
        V.file_len = DISK_MAGIC_LEN;
        return 0;
    }
    if (V.file_len <= DISK_MAGIC_LEN) return 0;   /* empty: no system call */
    if (ftruncate(V.fd, DISK_MAGIC_LEN) != 0) {
        complain("cannot empty the journal after", path);
        return -1;
    }
    V.file_len = V.phys = DISK_MAGIC_LEN;
    return 0;
}

/* A record with no old bytes (CREATE, SYNC, DIRSYNC). */
static int note(disk_kind kind, const char *path) {
    disk_rec r = { .kind = kind };
    snprintf(r.path, sizeof r.path, "%s", path);
    uint8_t hd[DISK_HEAD_MAX];
    size_t head = disk_encode_head(&r, hd, sizeof hd);
    uint8_t *at = head > 0 ? slot(head) : NULL;
    if (at == NULL) return -1;
    assert(head == disk_rec_size(&r));
    return emit(kind, r.path, at, hd, head, head);
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* A tracked file read-only, mapped once at its first overwrite for all later ones: the
** old bytes are then copied from the page cache without a system call each (a WAL that
** wraps overwrites nearly every frame, a checkpoint every page).  The map is longer than
** the file and follows it as it grows; only bytes below the file's size are read.  If
** it cannot be made, the old bytes are read through the file. */
static void map_file(vfs_file *p) {
    assert(p->map == NULL);
    p->map_tried = 1;
    int fd = open(p->full, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    void *m = mmap(NULL, VFS_MAP_MAX, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);   /* the map holds the file */
    if (m != MAP_FAILED) p->map = m;
}

/* The old bytes [from, from + n) of a tracked file, all below its size, into dst. */
static int old_bytes(vfs_file *p, uint8_t *dst, uint32_t n, sqlite3_int64 from) {
    assert(from >= 0);
    assert(n > 0);
    if (!p->map_tried) map_file(p);
    if (p->map != NULL && (uint64_t)from + n <= VFS_MAP_MAX) {
        memcpy(dst, p->map + from, n);
        return SQLITE_OK;
    }
    return p->real->pMethods->xRead(p->real, dst, (int)n, from);
}

/* A WRITE or TRUNCATE: its old bytes, [from, from + old_len), read from the file. */
static int note_change(vfs_file *p, const disk_rec *r, sqlite3_int64 from) {
    uint8_t hd[DISK_HEAD_MAX];
    size_t head = disk_encode_head(r, hd, sizeof hd);
    if (head == 0) return SQLITE_IOERR;
    uint8_t *at = slot(head + r->old_len);
    if (at == NULL) return SQLITE_IOERR_NOMEM;
    if (r->old_len > 0 && old_bytes(p, at + head, r->old_len, from) != SQLITE_OK)
        return SQLITE_IOERR_READ;   /* what it put after the end mark is never read */
    size_t len = head + r->old_len;
    assert(len == disk_rec_size(r));
    return emit(r->kind, r->path, at, hd, head, len) == 0 ? SQLITE_OK : SQLITE_IOERR_WRITE;
}

/* A WRITE of [off, off + amt) over a file of `size` bytes: the record from the file's
** own head (whead), its numbers set, the old bytes after it. */
static int note_write(vfs_file *p, sqlite3_int64 off, int amt, sqlite3_int64 size) {
    assert(p->whead_len > 0);
    uint32_t old_len = 0;
    if (off < size) old_len = (uint32_t)(size - off < amt ? size - off : amt);
    size_t head = p->whead_len;
    uint8_t *at = slot(head + old_len);
    if (at == NULL) return SQLITE_IOERR_NOMEM;
    if (old_len > 0 && old_bytes(p, at + head, old_len, off) != SQLITE_OK)
        return SQLITE_IOERR_READ;   /* what it put after the end mark is never read */
    size_t len = disk_head_set(p->whead, head, (uint64_t)off, (uint32_t)amt, (uint64_t)size,
                               old_len);
    assert(len == head + old_len);
    return emit(DISK_WRITE, p->path, at, p->whead, head, len) == 0 ? SQLITE_OK
                                                                    : SQLITE_IOERR_WRITE;
}

/* ---- disk errors ------------------------------------------------------------------- */

void vfs_set_fault_hook(vfs_fault_fn fn, void *ctx) {
    V.fault = fn;
    V.fault_ctx = ctx;
}

void vfs_set_sync_hook(vfs_sync_fn fn, void *ctx) {
    V.synced = fn;
    V.synced_ctx = ctx;
}

const char *vfs_op_name(vfs_op op) {
    static const char *const NAMES[VFS_OP_COUNT] = { "read", "write", "sync" };
    assert(op >= 0);
    assert(op < VFS_OP_COUNT);
    return NAMES[op];
}

int vfs_fault_code(vfs_op op, const char *fault) {
    static const int IOERR[VFS_OP_COUNT] = { SQLITE_IOERR_READ, SQLITE_IOERR_WRITE,
                                           SQLITE_IOERR_FSYNC };
    assert(op >= 0);
    assert(op < VFS_OP_COUNT);
    if (strcmp(fault, "full") == 0) return SQLITE_FULL;
    if (strcmp(fault, "eio") == 0) return IOERR[op];
    if (strcmp(fault, "fsync_fail") == 0) return SQLITE_IOERR_FSYNC;
    return 0;
}

/* 0, or the error the host's hook wants this call of a tracked file to fail with. */
static int disk_error(const vfs_file *p, vfs_op op) {
    if (p->path == NULL || V.fault == NULL) return 0;
    int rc = V.fault(V.fault_ctx, op, p->kind);
    assert(rc == 0 || (rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR);
    return rc;
}

/* ---- io methods ----------------------------------------------------------------------- */

#define REAL(f) (((vfs_file *)(f))->real)

static int io_close(sqlite3_file *f) {
    vfs_file *p = (vfs_file *)f;
    int rc = p->real->pMethods->xClose(p->real);
    if (p->map != NULL) munmap((void *)p->map, VFS_MAP_MAX);
    p->map = NULL;
    free(p->path);
    p->path = NULL;
    return rc;
}

static int io_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off) {
    int rc = disk_error((const vfs_file *)f, VFS_OP_READ);
    if (rc != 0) return rc;
    return REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

void vfs_step_begin(void) { V.gen++; }

/* A tracked file's size: cached within a step (nothing else writes the file then), else
** asked of the file. */
static int file_size(vfs_file *p, sqlite3_int64 *size) {
    if (V.gen != 0 && p->size_gen == V.gen) {
        *size = p->size;
        return SQLITE_OK;
    }
    int rc = p->real->pMethods->xFileSize(p->real, size);
    if (rc != SQLITE_OK) return rc;
    p->size = *size;
    p->size_gen = V.gen;
    return SQLITE_OK;
}

/* After a change of the file: its new size, or unknown if the change failed. */
static void size_after(vfs_file *p, int rc, sqlite3_int64 size) {
    if (rc != SQLITE_OK) p->size_gen = 0;
    else if (p->size_gen == V.gen) p->size = size;
    assert(p->size >= 0);
}

static int io_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off) {
    vfs_file *p = (vfs_file *)f;
    assert(amt > 0);
    assert(off >= 0);
    int err = disk_error(p, VFS_OP_WRITE);
    if (err != 0) return err;   /* before the record: a write that fails changes nothing */
    if (p->path == NULL) return p->real->pMethods->xWrite(p->real, buf, amt, off);
    sqlite3_int64 size;
    int rc = file_size(p, &size);
    if (rc != SQLITE_OK) return rc;
    rc = note_write(p, off, amt, size);
    if (rc != SQLITE_OK) return rc;
    rc = p->real->pMethods->xWrite(p->real, buf, amt, off);
    size_after(p, rc, off + amt > size ? off + amt : size);
    return rc;
}

static int io_truncate(sqlite3_file *f, sqlite3_int64 size) {
    vfs_file *p = (vfs_file *)f;
    assert(size >= 0);
    if (p->path == NULL) return p->real->pMethods->xTruncate(p->real, size);
    sqlite3_int64 now;
    int rc = file_size(p, &now);
    if (rc != SQLITE_OK) return rc;
    if (now - size > INT32_MAX) return SQLITE_IOERR_TRUNCATE;   /* one record's bound */
    if (now != size) {
        disk_rec r = { .kind = DISK_TRUNCATE, .off = (uint64_t)size, .old_size = (uint64_t)now };
        if (size < now) r.old_len = (uint32_t)(now - size);
        memcpy(r.path, p->path, p->path_len + 1);
        rc = note_change(p, &r, size);
        if (rc != SQLITE_OK) return rc;
    }
    rc = p->real->pMethods->xTruncate(p->real, size);
    size_after(p, rc, size);
    return rc;
}

/* Recorded, not performed (vfs.h).  An untracked file (a temporary one) syncs for real. */
static int io_sync(sqlite3_file *f, int flags) {
    vfs_file *p = (vfs_file *)f;
    if (p->path == NULL) return p->real->pMethods->xSync(p->real, flags);
    int err = disk_error(p, VFS_OP_SYNC);
    if (err != 0) return err;   /* no SYNC recorded: the writes stay undurable */
    if (note(DISK_SYNC, p->path) != 0) return SQLITE_IOERR_FSYNC;
    if (p->dirsync && note(DISK_DIRSYNC, DISK_DIR) != 0) return SQLITE_IOERR_DIR_FSYNC;
    p->dirsync = 0;
    if (V.synced != NULL) V.synced(V.synced_ctx, p->path);   /* after the notes: durable */
    return SQLITE_OK;
}

static int io_file_size(sqlite3_file *f, sqlite3_int64 *size) {
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int io_lock(sqlite3_file *f, int level) {
    return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int io_unlock(sqlite3_file *f, int level) {
    return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int io_check_reserved(sqlite3_file *f, int *out) {
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

/* A size hint or chunk size would let the unix VFS grow a file behind our back; mmap
** would let reads bypass xRead.  All three are refused; the rest pass through. */
static int io_file_control(sqlite3_file *f, int op, void *arg) {
    switch (op) {
    case SQLITE_FCNTL_SIZE_HINT:
    case SQLITE_FCNTL_CHUNK_SIZE: return SQLITE_OK;
    case SQLITE_FCNTL_MMAP_SIZE: *(sqlite3_int64 *)arg = 0; return SQLITE_OK;
    default: return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
    }
}

static int io_sector_size(sqlite3_file *f) {
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int io_device(sqlite3_file *f) {
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

/* The wal-index: never durable (a power cut removes the -shm), passed through. */
static int io_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **out) {
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, out);
}

static int io_shm_lock(sqlite3_file *f, int offset, int n, int flags) {
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void io_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }

static int io_shm_unmap(sqlite3_file *f, int delete_flag) {
    return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

/* Version 2: no xFetch, so SQLite never reads a page through a memory map. */
static const sqlite3_io_methods vfs_io = {
    2,
    io_close, io_read, io_write, io_truncate, io_sync, io_file_size, io_lock, io_unlock,
    io_check_reserved, io_file_control, io_sector_size, io_device,
    io_shm_map, io_shm_lock, io_shm_barrier, io_shm_unmap,
    NULL, NULL,
};

/* ---- vfs methods ------------------------------------------------------------------------ */

static int tracked_type(int flags) {
    int type = flags & OPEN_TYPES;
    return type == SQLITE_OPEN_MAIN_DB || type == SQLITE_OPEN_MAIN_JOURNAL ||
           type == SQLITE_OPEN_WAL;
}

static int vfs_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
                    int *out_flags) {
    (void)vfs;
    vfs_file *p = (vfs_file *)f;
    memset(p, 0, sizeof *p);
    p->real = (sqlite3_file *)(p + 1);
    int track = name != NULL && tracked_type(flags);
    if (track && strlen(name) > DISK_PATH_MAX) return SQLITE_CANTOPEN;
    /* The creation is recorded before the file exists: undoing a CREATE whose open
    ** never happened removes nothing. */
    if (track && (flags & SQLITE_OPEN_CREATE) && access(name, F_OK) != 0) {
        if (errno != ENOENT) return SQLITE_CANTOPEN;
        if (note(DISK_CREATE, base_name(name)) != 0) return SQLITE_IOERR_WRITE;
    }
    if (track) {
        p->path = strdup(base_name(name));
        if (p->path == NULL) return SQLITE_NOMEM;
        p->path_len = strlen(p->path);
        assert(p->path_len <= DISK_PATH_MAX);
        p->full = name;
        disk_rec w = { .kind = DISK_WRITE, .len = 1 };   /* numbers set per write */
        memcpy(w.path, p->path, p->path_len + 1);
        p->whead_len = disk_encode_head(&w, p->whead, sizeof p->whead);
        assert(p->whead_len == disk_rec_size(&w));
    }
    int rc = V.real->xOpen(V.real, name, p->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        free(p->path);
        p->path = NULL;
        return rc;   /* base.pMethods stays NULL: SQLite will not close it */
    }
    int type = flags & OPEN_TYPES;   /* os_unix.c's syncDir */
    p->kind = type == SQLITE_OPEN_WAL ? DISK_FILE_WAL
              : type == SQLITE_OPEN_MAIN_JOURNAL ? DISK_FILE_JOURNAL : DISK_FILE_DB;
    p->dirsync = track && (flags & SQLITE_OPEN_CREATE) &&
                 (type == SQLITE_OPEN_MAIN_JOURNAL || type == SQLITE_OPEN_WAL);
    p->base.pMethods = &vfs_io;
    return SQLITE_OK;
}

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* A DELETE record holds the whole file, read before the unlink. */
static int note_delete(const char *name) {
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;   /* nothing to delete, nothing to undo */
    struct stat st;
    disk_rec r = { .kind = DISK_DELETE };
    snprintf(r.path, sizeof r.path, "%s", base_name(name));
    int rc = fstat(fd, &st);
    if (rc == 0 && (uint64_t)st.st_size > UINT32_MAX - DISK_HEAD_MAX) rc = -1;
    if (rc == 0) r.old_size = r.old_len = (uint32_t)st.st_size;
    uint8_t hd[DISK_HEAD_MAX];
    size_t head = rc == 0 ? disk_encode_head(&r, hd, sizeof hd) : 0;
    uint8_t *at = head > 0 ? slot(head + r.old_len) : NULL;
    size_t done = 0;
    while (at != NULL && done < r.old_len) {
        ssize_t n = pread(fd, at + head + done, r.old_len - done, (off_t)done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    close(fd);
    if (at == NULL || done != r.old_len) return -1;
    assert(head + r.old_len == disk_rec_size(&r));
    return emit(r.kind, r.path, at, hd, head, head + r.old_len);
}

static int vfs_delete(sqlite3_vfs *vfs, const char *name, int dir_sync) {
    (void)vfs;
    int track = strlen(name) <= DISK_PATH_MAX &&
                (ends_with(name, "-journal") || ends_with(name, "-wal"));
    if (track && note_delete(name) != 0) return SQLITE_IOERR_DELETE;
    int rc = V.real->xDelete(V.real, name, 0);   /* the directory sync is ours to note */
    if (rc == SQLITE_OK && track && dir_sync && note(DISK_DIRSYNC, DISK_DIR) != 0)
        return SQLITE_IOERR_DIR_FSYNC;
    return rc;
}

static int vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
    (void)vfs;
    return V.real->xAccess(V.real, name, flags, out);
}

static int vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
    (void)vfs;
    return V.real->xFullPathname(V.real, name, n, out);
}

static void *vfs_dlopen(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return V.real->xDlOpen(V.real, name);
}

static void vfs_dlerror(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    V.real->xDlError(V.real, n, out);
}

static void (*vfs_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void) {
    (void)vfs;
    return V.real->xDlSym(V.real, h, sym);
}

static void vfs_dlclose(sqlite3_vfs *vfs, void *h) {
    (void)vfs;
    V.real->xDlClose(V.real, h);
}

/* From the node's seed, never /dev/urandom. */
static int vfs_randomness(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    assert(n >= 0);
    for (int i = 0; i < n; i += 8) {
        uint64_t x = ox_prng_next(&V.rand);
        int k = n - i < 8 ? n - i : 8;
        memcpy(out + i, &x, (size_t)k);
    }
    return n;
}

static int vfs_sleep(sqlite3_vfs *vfs, int us) {
    (void)vfs;
    return V.real->xSleep(V.real, us);
}

/* The process clock, which libfaketime sets to the node's virtual time. */
static int vfs_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
    (void)vfs;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return SQLITE_ERROR;
    *out = JULIAN_UNIX_EPOCH_MS + (sqlite3_int64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return SQLITE_OK;
}

static int vfs_time(sqlite3_vfs *vfs, double *out) {
    sqlite3_int64 ms = 0;
    int rc = vfs_time_int64(vfs, &ms);
    *out = (double)ms / 86400000.0;
    return rc;
}

static int vfs_last_error(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    return V.real->xGetLastError(V.real, n, out);
}

/* ---- installing ------------------------------------------------------------------------- */

/* Takes over a journal an earlier life left: what it still has pending, its torn tail
** cut off (that record's change was never made).  Mapped, not read: a journal has no
** size limit here (under synchronous=off nothing is ever durable and it only grows);
** the power cut is what refuses one too large. */
static int adopt(const char *path, char *err, size_t cap) {
    struct stat st;
    if (fstat(V.fd, &st) != 0) return -1;
    if (st.st_size == 0) return write_all((const uint8_t *)DISK_MAGIC, DISK_MAGIC_LEN);
    size_t len = (size_t)st.st_size, whole = 0;
    V.file_len = V.phys = len;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, V.fd, 0);
    if (map == MAP_FAILED) return -1;
    char why[256];
    int rc = disk_scan(map, len, &V.pending, &whole, why, sizeof why);
    munmap(map, len);
    if (rc != 0) {
        snprintf(err, cap, "%s: %s", path, why);
        return -2;
    }
    assert(whole >= DISK_MAGIC_LEN);
    assert(whole <= len);
    if (disk_pending_none(&V.pending)) whole = DISK_MAGIC_LEN;
    if (whole >= len) return 0;
    V.file_len = V.phys = whole;   /* a torn tail, or an end mark and what was after it */
    return ftruncate(V.fd, (off_t)whole);
}

/* At a clean exit a mapped journal's file is cut to its last record, as an unmapped one
** ends: what the simulator keeps of a run (it copies each journal into the run dir) is
** the journal, not the map's 4 MiB or more.  A SIGKILL leaves the longer file, which the
** next life or the power cut reads to its end mark. */
static void at_exit(void) {
    if (jmap_close() != 0) complain("cannot cut", DISK_JOURNAL_NAME);
}

int vfs_install(const char *dir, uint64_t seed, char *err, size_t cap) {
    assert(V.fd < 0);   /* once per process */
    char path[DISK_PATH_MAX + 1];
    int n = snprintf(path, sizeof path, "%s/%s", dir, DISK_JOURNAL_NAME);
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(err, cap, "%s: path too long", dir);
        return -1;
    }
    V.real = sqlite3_vfs_find("unix");
    if (V.real == NULL) {
        snprintf(err, cap, "SQLite has no unix VFS to wrap");
        return -1;
    }
    V.fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int rc = V.fd < 0 ? -1 : adopt(path, err, cap);
    if (rc == -1) snprintf(err, cap, "%s: %s", path, strerror(errno));
    if (rc != 0) {
        if (V.fd >= 0) close(V.fd);
        V.fd = -1;
        return -1;
    }
    ox_prng_seed(&V.rand, ox_prng_derive(seed, VFS_PRNG_STREAM));
    sqlite3_vfs *b = &V.base;
    *b = (sqlite3_vfs){ .iVersion = 2, .mxPathname = V.real->mxPathname, .zName = VFS_NAME };
    b->szOsFile = (int)sizeof(vfs_file) + V.real->szOsFile;
    b->xOpen = vfs_open;
    b->xDelete = vfs_delete;
    b->xAccess = vfs_access;
    b->xFullPathname = vfs_full_pathname;
    b->xDlOpen = vfs_dlopen;
    b->xDlError = vfs_dlerror;
    b->xDlSym = vfs_dlsym;
    b->xDlClose = vfs_dlclose;
    b->xRandomness = vfs_randomness;
    b->xSleep = vfs_sleep;
    b->xCurrentTime = vfs_time;
    b->xGetLastError = vfs_last_error;
    b->xCurrentTimeInt64 = vfs_time_int64;
    if (sqlite3_vfs_register(b, 1) != SQLITE_OK) {
        snprintf(err, cap, "cannot register the VFS");
        return -1;
    }
    if (atexit(at_exit) != 0) complain("cannot arrange to cut at exit", DISK_JOURNAL_NAME);
    return 0;
}

void vfs_stats(uint64_t *records, uint64_t *bytes) {
    *records = V.records;
    *bytes = V.bytes;
}
