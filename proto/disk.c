/*
** disk.c: the undo journal's records and the power cut (see disk.h).
**
** Encoder and decoder are a pair: disk_rec_size() says how many bytes a record takes,
** from its fields alone; the encoder asserts it wrote that many and the decoder that
** the record's `total` is that many.  rec_valid() is the one statement of which field
** values a kind allows, checked on both sides.
**
** The power cut works on the real files in three passes over the journal's records:
**   1. backwards: which records are durable (a later SYNC of the same file with no
**      CREATE or DELETE of it in between; a later DIRSYNC for CREATE and DELETE);
**   2. forwards: which unsynced writes survive (keep), drawn from the seed in order;
**   3. backwards: undo every change that is not durable, reading first the bytes a
**      kept write left (the file then holds exactly the state right after that write);
**      then forwards: write the kept bytes again, in their original order.
** Undoing backwards is sound because every record of a file after a non-durable one
** is itself non-durable (a SYNC covers everything before it) and is undone first.
*/
#include "disk.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/codec.h"
#include "../lib/prng.h"

#define HEAD_FIXED (4 + 1 + 2 + 8 + 4 + 8 + 4)   /* a head without its path */

static void say(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t cap, const char *fmt, ...) {
    if (cap == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

const char *disk_kind_name(disk_kind k) {
    switch (k) {
    case DISK_WRITE: return "WRITE";
    case DISK_TRUNCATE: return "TRUNCATE";
    case DISK_CREATE: return "CREATE";
    case DISK_DELETE: return "DELETE";
    case DISK_SYNC: return "SYNC";
    case DISK_DIRSYNC: return "DIRSYNC";
    }
    return "?";
}

/* ---- records ------------------------------------------------------------------ */

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* The old bytes a record of this kind and these fields must carry. */
static uint64_t old_expected(const disk_rec *r) {
    switch (r->kind) {
    case DISK_WRITE: return r->off < r->old_size ? min_u64(r->len, r->old_size - r->off) : 0;
    case DISK_TRUNCATE: return r->off < r->old_size ? r->old_size - r->off : 0;
    case DISK_DELETE: return r->old_size;
    default: return 0;
    }
}

static int rec_valid(const disk_rec *r) {
    if (r->kind < DISK_WRITE || r->kind > DISK_DIRSYNC) return 0;
    size_t n = strnlen(r->path, DISK_PATH_MAX + 1);
    if (n == 0 || n > DISK_PATH_MAX) return 0;
    if (r->old_len != old_expected(r)) return 0;
    if (r->kind == DISK_WRITE) return r->len > 0 && r->off <= (uint64_t)INT64_MAX - r->len;
    if (r->kind == DISK_TRUNCATE)
        return r->off <= (uint64_t)INT64_MAX && r->old_size <= (uint64_t)INT64_MAX;
    if (r->kind == DISK_DELETE) return r->off == 0 && r->len == 0;
    return r->off == 0 && r->len == 0 && r->old_size == 0;
}

size_t disk_rec_size(const disk_rec *r) {
    return HEAD_FIXED + strnlen(r->path, DISK_PATH_MAX + 1) + r->old_len;
}

size_t disk_encode_head(const disk_rec *r, uint8_t *out, size_t cap) {
    if (!rec_valid(r)) return 0;
    size_t total = disk_rec_size(r);
    if (total > UINT32_MAX) return 0;
    ox_writer w;
    ox_writer_init(&w, out, cap);
    ox_put_u32(&w, (uint32_t)total);
    ox_put_u8(&w, (uint8_t)r->kind);
    ox_put_str16(&w, r->path);
    ox_put_u64(&w, r->off);
    ox_put_u32(&w, r->len);
    ox_put_u64(&w, r->old_size);
    ox_put_u32(&w, r->old_len);
    if (w.err) return 0;
    assert(w.len + r->old_len == total);   /* paired with disk_decode */
    return w.len;
}

/* v's low n bytes at out, little-endian: one store on a little-endian machine. */
static void put_le(uint8_t *out, uint64_t v, size_t n) {
    assert(n == 4 || n == 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n == 4) {
        uint32_t w = (uint32_t)v;
        memcpy(out, &w, 4);
    } else {
        memcpy(out, &v, 8);
    }
#else
    for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(v >> (8 * i));
#endif
}

size_t disk_head_set(uint8_t *head, size_t head_len, uint64_t off, uint32_t len,
                     uint64_t old_size, uint32_t old_len) {
    assert(head_len > HEAD_FIXED);   /* a path of at least one byte */
    assert(head_len <= DISK_HEAD_MAX);
    assert(head[4] >= DISK_WRITE && head[4] <= DISK_DIRSYNC);
    if (head[4] == DISK_WRITE) {   /* rec_valid's rule, as an assert: the caller's bug */
        assert(len > 0);
        assert(old_len == (off < old_size ? min_u64(len, old_size - off) : 0));
    }
    size_t total = head_len + old_len;
    assert(total <= UINT32_MAX);
    put_le(head, total, 4);
    uint8_t *t = head + head_len - DISK_HEAD_TAIL;   /* paired with disk_encode_head */
    put_le(t, off, 8);
    put_le(t + 8, len, 4);
    put_le(t + 12, old_size, 8);
    put_le(t + 20, old_len, 4);
    return total;
}

size_t disk_encode(const disk_rec *r, uint8_t *out, size_t cap) {
    size_t head = disk_encode_head(r, out, cap);
    if (head == 0) return 0;
    if (cap - head < r->old_len) return 0;
    assert(r->old != NULL || r->old_len == 0);
    if (r->old_len > 0) memcpy(out + head, r->old, r->old_len);
    assert(head + r->old_len == disk_rec_size(r));
    return head + r->old_len;
}

int disk_decode(const uint8_t *buf, size_t len, disk_rec *r, size_t *used, char *err,
                size_t cap) {
    if (len < 4) return 0;
    ox_reader rd;
    ox_reader_init(&rd, buf, len);
    uint32_t total = ox_get_u32(&rd);
    if (total < HEAD_FIXED + 1) {
        say(err, cap, "record of %u bytes, shorter than any", (unsigned)total);
        return -1;
    }
    if (total > len) return 0;   /* the tail a SIGKILL cut short */
    ox_reader_init(&rd, buf, total);
    (void)ox_get_u32(&rd);
    memset(r, 0, sizeof *r);
    r->kind = (disk_kind)ox_get_u8(&rd);
    ox_get_str16(&rd, r->path, sizeof r->path);
    r->off = ox_get_u64(&rd);
    r->len = ox_get_u32(&rd);
    r->old_size = ox_get_u64(&rd);
    r->old_len = ox_get_u32(&rd);
    if (rd.err || ox_reader_left(&rd) != r->old_len || !rec_valid(r)) {
        say(err, cap, "malformed %s record", disk_kind_name(r->kind));
        return -1;
    }
    r->old = buf + rd.pos;
    assert(disk_rec_size(r) == total);   /* paired with disk_encode_head */
    *used = total;
    return 1;
}

/* ---- what is pending ------------------------------------------------------------ */

static int pending_file(disk_pending *p, const char *path, char *err, size_t cap) {
    for (unsigned i = 0; i < p->nfiles; i++)
        if (strcmp(p->path[i], path) == 0) return (int)i;
    if (p->nfiles == DISK_FILES_MAX) {
        say(err, cap, "more than %d files in one journal: %s", DISK_FILES_MAX, path);
        return -1;
    }
    assert(strlen(path) <= DISK_PATH_MAX);
    strcpy(p->path[p->nfiles], path);
    p->content[p->nfiles] = 0;
    return (int)p->nfiles++;
}

int disk_pending_note(disk_pending *p, const disk_rec *r, char *err, size_t cap) {
    return disk_pending_add(p, r->kind, r->path, err, cap);
}

int disk_pending_add(disk_pending *p, disk_kind kind, const char *path, char *err,
                     size_t cap) {
    assert(p->nfiles <= DISK_FILES_MAX);
    if (kind == DISK_DIRSYNC) {
        p->dir = 0;
        return 0;
    }
    int i = pending_file(p, path, err, cap);
    if (i < 0) return -1;
    switch (kind) {
    case DISK_WRITE:
    case DISK_TRUNCATE: p->content[i]++; break;
    case DISK_SYNC: p->content[i] = 0; break;
    case DISK_CREATE:
    case DISK_DELETE:   /* the old file's unsynced contents now wait on the directory */
        p->dir += p->content[i] + 1;
        p->content[i] = 0;
        break;
    default: assert(!"kind checked by rec_valid");
    }
    return 0;
}

int disk_pending_none(const disk_pending *p) {
    for (unsigned i = 0; i < p->nfiles; i++)
        if (p->content[i] != 0) return 0;
    return p->dir == 0;
}

int disk_scan(const uint8_t *buf, size_t len, disk_pending *p, size_t *whole, char *err,
              size_t cap) {
    memset(p, 0, sizeof *p);
    *whole = 0;
    if (len == 0) return 0;
    if (len < DISK_MAGIC_LEN || memcmp(buf, DISK_MAGIC, DISK_MAGIC_LEN) != 0) {
        say(err, cap, "not a disk journal (no magic)");
        return -1;
    }
    size_t pos = DISK_MAGIC_LEN, used = 0;
    disk_rec r;
    for (;;) {
        int rc = disk_decode(buf + pos, len - pos, &r, &used, err, cap);
        *whole = pos;
        if (rc < 0) return -1;
        if (rc == 0) return 0;
        if (disk_pending_note(p, &r, err, cap) != 0) return -1;
        pos += used;
        assert(pos <= len);
    }
}

int disk_keep_parse(const char *s, disk_keep *out) {
    if (strcmp(s, "none") == 0) *out = DISK_KEEP_NONE;
    else if (strcmp(s, "random") == 0) *out = DISK_KEEP_RANDOM;
    else if (strcmp(s, "torn") == 0) *out = DISK_KEEP_TORN;
    else return -1;
    return 0;
}

const char *disk_keep_name(disk_keep k) {
    return k == DISK_KEEP_NONE ? "none" : k == DISK_KEEP_RANDOM ? "random" : "torn";
}

/* ---- the power cut ---------------------------------------------------------------- */

enum { KEEP_NO, KEEP_WHOLE, KEEP_TORN };

typedef struct {
    disk_kind kind;
    int f;                       /* index into cut.file; -1 for DIRSYNC */
    uint64_t off, old_size;
    uint32_t len, old_len;
    const uint8_t *old;          /* into cut.buf */
    uint8_t durable;
    uint8_t keep;                /* KEEP_* */
    uint8_t *now;                /* a kept write's bytes, read before it is undone */
} cut_op;

typedef struct {
    char file[DISK_FILES_MAX][DISK_PATH_MAX + 1];   /* db, db-wal, db-journal */
    const char *base[DISK_FILES_MAX];               /* their names in dir (in file[]) */
    char dir[DISK_PATH_MAX + 1];
    int fd[DISK_FILES_MAX];
    uint8_t *buf;                /* the journal */
    size_t len;
    cut_op *ops;
    size_t nops;
    disk_keep keep;
    uint64_t seed;
    disk_loss *loss;
    char *err;
    size_t cap;
} cut;

static int fail(cut *c, const char *what, const char *path) {
    say(c->err, c->cap, "%s %s: %s", what, path, strerror(errno));
    return -1;
}

/* The absolute names the node's VFS wrote (SQLite's full pathnames). */
static int cut_paths(cut *c, const char *db) {
    char copy[PATH_MAX], real[PATH_MAX];
    if (strlen(db) >= sizeof copy) return fail(c, "path too long:", db);
    strcpy(copy, db);
    if (realpath(dirname(copy), real) == NULL) return fail(c, "cannot resolve", db);
    strcpy(copy, db);
    const char *base = basename(copy);
    if (strlen(real) + 1 + strlen(base) + strlen("-journal") > DISK_PATH_MAX) {
        say(c->err, c->cap, "%s: path longer than %d bytes", db, DISK_PATH_MAX);
        return -1;
    }
    strcpy(c->dir, real);
    static const char *const suffix[DISK_FILES_MAX] = { "", "-wal", "-journal" };
    for (int i = 0; i < DISK_FILES_MAX; i++) {
        int n = snprintf(c->file[i], sizeof c->file[i], "%s/%s%s", real, base, suffix[i]);
        assert(n > 0);
        assert((size_t)n < sizeof c->file[i]);   /* the length was checked above */
        c->base[i] = c->file[i] + strlen(real) + 1;
        snprintf(c->loss->file[i].path, sizeof c->loss->file[i].path, "%s", c->file[i]);
    }
    c->loss->nfiles = DISK_FILES_MAX;
    return 0;
}

static int read_all(int fd, uint8_t *buf, size_t len, uint64_t off) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) { errno = EIO; return -1; }   /* shorter than the journal says */
        done += (size_t)n;
    }
    return 0;
}

static int write_all(int fd, const uint8_t *buf, size_t len, uint64_t off) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

/* Reads the whole journal (a missing one is empty), refusing one above limit. */
static int cut_read(cut *c, const char *journal, size_t limit) {
    int fd = open(journal, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return 0;
    if (fd < 0) return fail(c, "cannot open", journal);
    struct stat st;
    int rc = fstat(fd, &st);
    if (rc == 0 && (uint64_t)st.st_size > limit) {
        say(c->err, c->cap, "journal %s is %lld bytes, above the limit of %zu", journal,
            (long long)st.st_size, limit);
        close(fd);
        return -1;
    }
    if (rc == 0 && st.st_size > 0) {
        c->len = (size_t)st.st_size;
        c->buf = malloc(c->len);
        if (c->buf == NULL) errno = ENOMEM;
        rc = c->buf == NULL ? -1 : read_all(fd, c->buf, c->len, 0);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    if (rc != 0) return fail(c, "cannot read", journal);
    c->loss->journal_bytes = c->len;
    return 0;
}

static int file_of(const cut *c, const disk_rec *r) {
    if (r->kind == DISK_DIRSYNC) return strcmp(r->path, DISK_DIR) == 0 ? -1 : -2;
    for (int i = 0; i < DISK_FILES_MAX; i++)
        if (strcmp(r->path, c->base[i]) == 0) return i;
    return -2;
}

/* Decodes every record into c->ops (bounded: the journal is). */
static int cut_parse(cut *c) {
    if (c->len == 0) return 0;
    if (c->len < DISK_MAGIC_LEN || memcmp(c->buf, DISK_MAGIC, DISK_MAGIC_LEN) != 0) {
        say(c->err, c->cap, "not a disk journal (no magic)");
        return -1;
    }
    c->ops = calloc(c->len / (HEAD_FIXED + 1) + 1, sizeof *c->ops);
    if (c->ops == NULL) return fail(c, "out of memory for", "the journal's records");
    size_t pos = DISK_MAGIC_LEN, used = 0;
    disk_rec r;
    int rc;
    while ((rc = disk_decode(c->buf + pos, c->len - pos, &r, &used, c->err, c->cap)) == 1) {
        int f = file_of(c, &r);
        if (f == -2) {
            say(c->err, c->cap, "journal names %s, not a file of %s", r.path, c->file[0]);
            return -1;
        }
        cut_op *o = &c->ops[c->nops++];
        *o = (cut_op){ .kind = r.kind, .f = f, .off = r.off, .old_size = r.old_size,
                       .len = r.len, .old_len = r.old_len, .old = r.old };
        pos += used;
    }
    c->loss->records = (uint32_t)c->nops;
    return rc;   /* 0: the end, or a tail cut short; -1: malformed */
}

static int is_content(const cut_op *o) {
    return o->kind == DISK_WRITE || o->kind == DISK_TRUNCATE;
}

/* Pass 1, backwards: what a later sync made durable (disk.h, the model). */
static void cut_durable(cut *c) {
    int synced[DISK_FILES_MAX] = { 0 };
    int dirsynced = 0;
    for (size_t i = c->nops; i-- > 0;) {
        cut_op *o = &c->ops[i];
        switch (o->kind) {
        case DISK_DIRSYNC: o->durable = 1; dirsynced = 1; break;
        case DISK_SYNC: o->durable = 1; synced[o->f] = 1; break;
        case DISK_WRITE:
        case DISK_TRUNCATE: o->durable = (uint8_t)synced[o->f]; break;
        case DISK_CREATE: o->durable = (uint8_t)dirsynced; synced[o->f] = 0; break;
        case DISK_DELETE:   /* a durable delete takes the old contents with it */
            o->durable = (uint8_t)dirsynced;
            synced[o->f] = dirsynced;
            break;
        }
    }
}

/* Pass 2, forwards: which unsynced changes survive, drawn in journal order. */
static void cut_choose(cut *c) {
    ox_prng p;
    ox_prng_seed(&p, c->seed);
    int vanishes[DISK_FILES_MAX] = { 0 };
    for (size_t i = 0; i < c->nops; i++) {
        cut_op *o = &c->ops[i];
        if (o->kind == DISK_CREATE) vanishes[o->f] = !o->durable;
        if (!is_content(o) || o->durable || vanishes[o->f]) continue;
        if (c->keep == DISK_KEEP_TORN && o->kind == DISK_WRITE) o->keep = KEEP_TORN;
        else if (c->keep != DISK_KEEP_NONE)
            o->keep = ox_prng_chance(&p, 0.5) ? KEEP_WHOLE : KEEP_NO;
    }
}

static int cut_fd(cut *c, int f) {
    assert(f >= 0);
    assert(f < DISK_FILES_MAX);
    if (c->fd[f] < 0) c->fd[f] = open(c->file[f], O_RDWR | O_CLOEXEC);
    return c->fd[f];
}

static void cut_close(cut *c, int f) {
    if (c->fd[f] >= 0) close(c->fd[f]);
    c->fd[f] = -1;
}

/* Undoes one WRITE, first reading what it left if it is kept. */
static int undo_write(cut *c, cut_op *o) {
    const char *path = c->file[o->f];
    int fd = cut_fd(c, o->f);
    if (fd < 0) return fail(c, "cannot open", path);
    if (o->keep != KEEP_NO) {
        o->now = malloc(o->len);
        if (o->now == NULL) return fail(c, "out of memory for a write to", path);
        if (read_all(fd, o->now, o->len, o->off) != 0) return fail(c, "cannot read", path);
    }
    if (write_all(fd, o->old, o->old_len, o->off) != 0) return fail(c, "cannot write", path);
    if (o->off + o->len > o->old_size && ftruncate(fd, (off_t)o->old_size) != 0)
        return fail(c, "cannot truncate", path);
    return 0;
}

static int undo_one(cut *c, cut_op *o) {
    const char *path = o->f >= 0 ? c->file[o->f] : c->dir;
    int fd;
    switch (o->kind) {
    case DISK_WRITE: return undo_write(c, o);
    case DISK_TRUNCATE:
        fd = cut_fd(c, o->f);
        if (fd < 0 || ftruncate(fd, (off_t)o->old_size) != 0) return fail(c, "cannot size", path);
        if (write_all(fd, o->old, o->old_len, o->off) != 0) return fail(c, "cannot write", path);
        return 0;
    case DISK_CREATE:   /* recorded before the open: the file may never have been made */
        cut_close(c, o->f);
        if (unlink(path) != 0 && errno != ENOENT) return fail(c, "cannot remove", path);
        c->loss->file[o->f].vanished++;
        return 0;
    case DISK_DELETE:
        cut_close(c, o->f);
        c->fd[o->f] = fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write_all(fd, o->old, o->old_len, 0) != 0)
            return fail(c, "cannot restore", path);
        c->loss->file[o->f].restored++;
        return 0;
    case DISK_SYNC:
    case DISK_DIRSYNC: return 0;
    }
    return 0;
}

/* Writes a kept write's sectors back as a torn write: each 512-byte sector of the file
** it touched gets its new bytes or keeps its old ones, a fair coin from the record's
** own stream (so one write's sector count never shifts another's draws). */
static int replay_torn(cut *c, const cut_op *o, size_t i, int fd, uint64_t *kept) {
    ox_prng p;
    ox_prng_seed(&p, ox_prng_derive(c->seed, i));
    uint64_t pos = o->off, end = o->off + o->len;
    while (pos < end) {
        uint64_t next = min_u64((pos / DISK_SECTOR + 1) * DISK_SECTOR, end);
        assert(next > pos);
        if (ox_prng_chance(&p, 0.5)) {
            if (write_all(fd, o->now + (pos - o->off), next - pos, pos) != 0) return -1;
            *kept += next - pos;
        }
        pos = next;
    }
    return 0;
}

/* Writes one kept change again and counts what each unsynced change became. */
static int replay_one(cut *c, const cut_op *o, size_t i) {
    disk_file_loss *l = &c->loss->file[o->f];
    int fd = o->keep == KEEP_NO ? -1 : cut_fd(c, o->f);
    if (o->keep != KEEP_NO && fd < 0) return fail(c, "cannot open", c->file[o->f]);
    if (o->kind == DISK_TRUNCATE) {
        if (o->keep == KEEP_NO) l->truncates_lost++;
        else if (ftruncate(fd, (off_t)o->off) != 0) return fail(c, "cannot size", c->file[o->f]);
        else l->truncates_kept++;
        return 0;
    }
    uint64_t kept = 0;
    if (o->keep == KEEP_WHOLE) {
        if (write_all(fd, o->now, o->len, o->off) != 0) return fail(c, "cannot write", l->path);
        kept = o->len;
    } else if (o->keep == KEEP_TORN && replay_torn(c, o, i, fd, &kept) != 0) {
        return fail(c, "cannot write", l->path);
    }
    assert(kept <= o->len);
    if (kept == o->len) l->writes_kept++;
    else if (kept == 0) l->writes_lost++;
    else l->writes_torn++;
    l->bytes_kept += kept;
    l->bytes_lost += o->len - kept;
    return 0;
}

/* Pass 3: undo backwards, then write the kept changes forwards. */
static int cut_apply(cut *c) {
    for (size_t i = c->nops; i-- > 0;)
        if (!c->ops[i].durable && undo_one(c, &c->ops[i]) != 0) return -1;
    for (size_t i = 0; i < c->nops; i++) {
        const cut_op *o = &c->ops[i];
        if (is_content(o) && !o->durable && replay_one(c, o, i) != 0) return -1;
    }
    return 0;
}

/* The -shm goes, and the journal starts again from nothing. */
static int cut_finish(cut *c, const char *journal) {
    char shm[DISK_PATH_MAX + 8];
    snprintf(shm, sizeof shm, "%s-shm", c->file[0]);
    if (unlink(shm) == 0) c->loss->shm_removed = 1;
    else if (errno != ENOENT) return fail(c, "cannot remove", shm);
    if (c->len > 0 && truncate(journal, 0) != 0) return fail(c, "cannot empty", journal);
    return 0;
}

int disk_power_cut(const char *journal, const char *db, disk_keep keep, uint64_t seed,
                   size_t limit, disk_loss *loss, char *err, size_t cap) {
    assert(journal != NULL);
    assert(db != NULL);
    assert(keep == DISK_KEEP_NONE || keep == DISK_KEEP_RANDOM || keep == DISK_KEEP_TORN);
    memset(loss, 0, sizeof *loss);
    cut c = { .keep = keep, .seed = seed, .loss = loss, .err = err, .cap = cap };
    for (int i = 0; i < DISK_FILES_MAX; i++) c.fd[i] = -1;
    int rc = cut_paths(&c, db);
    if (rc == 0) rc = cut_read(&c, journal, limit);
    if (rc == 0) rc = cut_parse(&c);
    if (rc == 0) {   /* nothing was changed before here */
        cut_durable(&c);
        cut_choose(&c);
        rc = cut_apply(&c);
    }
    if (rc == 0) rc = cut_finish(&c, journal);
    for (int i = 0; i < DISK_FILES_MAX; i++) cut_close(&c, i);
    for (size_t i = 0; i < c.nops; i++) free(c.ops[i].now);
    free(c.ops);
    free(c.buf);
    return rc;
}

static const char *const FILE_NAMES[DISK_FILE_KINDS] = { "db", "wal", "journal" };

const char *disk_file_name(disk_file f) {
    assert((unsigned)f < DISK_FILE_KINDS);
    return FILE_NAMES[f];
}

int disk_file_parse(const char *name) {
    assert(name != NULL);
    for (int i = 0; i < DISK_FILE_KINDS; i++)
        if (strcmp(name, FILE_NAMES[i]) == 0) return i;
    return -1;
}

const char *disk_site_fault(const char *site, const char *op) {
    assert(site != NULL);
    assert(op != NULL);
    size_t p = strlen(DISK_SITE_PREFIX), n = strlen(op);
    if (strncmp(site, DISK_SITE_PREFIX, p) != 0 || strncmp(site + p, op, n) != 0) return NULL;
    return site[p + n] == '.' ? site + p + n + 1 : NULL;
}
