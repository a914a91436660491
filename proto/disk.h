/*
** disk.h: the simulated disk's contract between a node and the simulator: the undo
** journal a node's VFS (node/vfs.h) appends to, and the power cut that replays it.
**
** The node writes through to its real database files and, before each change to one
** (main database, -wal, -journal), appends to DIR/disk.journal what that change
** destroys: old bytes, old size, the file's creation or deletion.  The journal is
** written with plain write() or stores into a shared map, and never synced: it must
** survive a SIGKILL of the node, not a real power cut.  Nothing else is kept in the
** node: a process crash loses nothing (crash{} keeps its meaning).
**
** What is durable (the model; SQLite's os_unix.c is what it imitates):
**   - a file's contents and size: every WRITE and TRUNCATE of a file before an xSync
**     of that file (SYNC record).  SQLITE_SYNC_DATAONLY counts as a full sync: Linux's
**     fdatasync() flushes a size change too;
**   - a file's existence (its CREATE or DELETE): only a directory sync (DIRSYNC record)
**     after it.  SQLite asks for one at the first xSync of a journal or WAL it opened
**     with SQLITE_OPEN_CREATE, and in xDelete when the dirSync flag is set (under
**     synchronous=EXTRA only); a new main database file gets none of its own.
**   - a file deleted by a durable DELETE takes its unsynced contents with it.
** The -shm (wal-index) is never durable: a power cut removes it.
**
** A power cut (disk_power_cut), done by the simulator after it SIGKILLed the node:
**   keep none    every file back to what was durable;
**   keep random  each unsynced WRITE or TRUNCATE kept whole or lost, a fair coin each;
**   keep torn    each unsynced WRITE torn at 512-byte sectors: each sector it touched
**                holds its new bytes or its old ones, a fair coin each; TRUNCATEs as
**                under random.
** Under every mode a creation or deletion not made durable by a directory sync is
** undone (the file vanishes, or comes back), so only writes are ever partly kept; a
** write to a file that vanishes is lost with it.  No garbage is ever written: a power
** cut is not corruption.  Decisions are drawn in journal order from the seed, so the
** same journal, files and seed give the same bytes.  Afterwards the journal is emptied
** (the durable state is the new baseline).
**
** Journal format: the 8 bytes DISK_MAGIC, then records, each
**   total:u32 (bytes of the whole record) kind:u8 path:str16
**   off:u64 len:u32 old_size:u64 old_len:u32 old:old_len bytes
** little-endian (lib/codec.h).  path is the file's name in its directory, the
** database's ("payment.db-wal"), so a node's files can be copied or moved with their
** journal; for DIRSYNC it is ".".  By kind:
**   WRITE     off, len: the write; old_size: file size before; old: the bytes it
**             overwrote, [off, min(off+len, old_size)) (empty when it appended)
**   TRUNCATE  off: the new size; old_size; old: the bytes cut off, [off, old_size)
**   CREATE    (nothing: path did not exist; recorded before the file is opened)
**   DELETE    old_size; old: the whole file (recorded before the unlink)
**   SYNC      (nothing: path's contents and size are durable)
**   DIRSYNC   every CREATE and DELETE before it is durable
** Unused fields are zero.  A record cut short at the end of the journal is the one
** a SIGKILL interrupted: the change it announced was never made, and it is ignored.
** The same rule gives an end mark: four 0xff bytes (a `total` running past the end of
** any journal) end the records, and whatever follows is never read.  The node's
** buffered VFS keeps its journal in a shared map of a file longer than the journal,
** with an end mark always after its last record, and empties the journal by an end mark
** after the magic instead of a truncate, so that the file's pages are reused
** (node/vfs.c, jmap_open).
*/
#ifndef DISK_H
#define DISK_H

#include <stddef.h>
#include <stdint.h>

#define DISK_JOURNAL_NAME "disk.journal"
#define DISK_SITE_PREFIX "disk."        /* an armed disk site: "disk.<op>.<fault>" */
#define DISK_MAGIC "OXDISK1\n"
#define DISK_MAGIC_LEN 8
#define DISK_PATH_MAX 512            /* a path in a record, bytes */
#define DISK_FILES_MAX 3             /* main database, -wal, -journal */
#define DISK_SECTOR 512              /* keep = torn */
#define DISK_DIR "."                 /* a DIRSYNC's path */
#define DISK_HEAD_MAX (4 + 1 + 2 + DISK_PATH_MAX + 8 + 4 + 8 + 4)
#define DISK_LIMIT_DEFAULT (256u << 20)   /* disk_power_cut refuses a larger journal */

typedef enum {
    DISK_WRITE = 1,
    DISK_TRUNCATE,
    DISK_CREATE,
    DISK_DELETE,
    DISK_SYNC,
    DISK_DIRSYNC,
} disk_kind;

typedef struct {
    disk_kind kind;
    char path[DISK_PATH_MAX + 1];
    uint64_t off;                /* WRITE: offset; TRUNCATE: the new size */
    uint32_t len;                /* WRITE: bytes written */
    uint64_t old_size;           /* WRITE, TRUNCATE, DELETE: the size before */
    uint32_t old_len;            /* bytes in old */
    const uint8_t *old;          /* decode: points into the journal; encode: may be NULL */
} disk_rec;

const char *disk_kind_name(disk_kind k);
/* Bytes the record takes in the journal (head and old bytes). */
size_t disk_rec_size(const disk_rec *r);
/* Encodes all of r but its old bytes into out[cap]; returns the head's length (the
** record's `total` counts the old bytes, which the caller puts right after), 0 if r is
** invalid or does not fit.  The node reads the old bytes straight into out + head. */
size_t disk_encode_head(const disk_rec *r, uint8_t *out, size_t cap);
/* The head's fixed fields after its path (off, len, old_size, old_len): its last
** DISK_HEAD_TAIL bytes.  A node that journals many changes of one file encodes one head
** for it once (disk_encode_head) and then, for each record, sets that head's `total` and
** these fields with disk_head_set: the bytes disk_encode_head would write for the
** record (test_disk pairs the two), without a string or a bounds check each time.  The
** fields must be valid for the head's kind (asserted for WRITE); returns the total. */
#define DISK_HEAD_TAIL (8 + 4 + 8 + 4)
size_t disk_head_set(uint8_t *head, size_t head_len, uint64_t off, uint32_t len,
                     uint64_t old_size, uint32_t old_len);
/* Encodes the whole record (r->old holds old_len bytes); 0 if invalid or too long. */
size_t disk_encode(const disk_rec *r, uint8_t *out, size_t cap);
/* Decodes one record from buf[len]: 1 and *used, 0 if buf holds only the start of one
** (the torn tail), -1 if malformed (err says why). */
int disk_decode(const uint8_t *buf, size_t len, disk_rec *r, size_t *used, char *err,
                size_t cap);

/* What is not yet durable, record by record: the node keeps it to empty its journal
** when nothing is (a SYNC or DIRSYNC that leaves nothing pending), and the same rules
** decide what a power cut undoes.  content[i]: unsynced WRITEs and TRUNCATEs of the
** current file at path[i]; dir: CREATEs, DELETEs and the contents of deleted files
** awaiting a directory sync. */
typedef struct {
    unsigned nfiles;
    char path[DISK_FILES_MAX][DISK_PATH_MAX + 1];
    uint32_t content[DISK_FILES_MAX];
    uint32_t dir;
} disk_pending;

/* Applies one record; -1 if it names a fourth file (err says so). */
int disk_pending_note(disk_pending *p, const disk_rec *r, char *err, size_t cap);
/* The same, from a record's kind and path alone (what the rules read of it). */
int disk_pending_add(disk_pending *p, disk_kind kind, const char *path, char *err,
                     size_t cap);
/* 1 if nothing is pending. */
int disk_pending_none(const disk_pending *p);
/* Scans a whole journal (magic included) into *p; *whole: the bytes up to the end of
** its last complete record (less than len after a torn tail).  -1 if malformed. */
int disk_scan(const uint8_t *buf, size_t len, disk_pending *p, size_t *whole, char *err,
              size_t cap);

typedef enum { DISK_KEEP_NONE, DISK_KEEP_RANDOM, DISK_KEEP_TORN } disk_keep;

int disk_keep_parse(const char *s, disk_keep *out);
const char *disk_keep_name(disk_keep k);

/* What one power cut did to one file (the report's "which writes were lost"). */
typedef struct {
    char path[DISK_PATH_MAX + 1];
    uint32_t writes_lost, writes_kept, writes_torn;   /* torn: some sectors kept */
    uint64_t bytes_lost, bytes_kept;
    uint32_t truncates_lost, truncates_kept;
    uint32_t vanished;           /* creations undone: the file is gone */
    uint32_t restored;           /* deletions undone: the file is back */
} disk_file_loss;

typedef struct {
    unsigned nfiles;
    disk_file_loss file[DISK_FILES_MAX];
    uint32_t records;            /* in the journal */
    uint64_t journal_bytes;
    int shm_removed;
} disk_loss;

/* The power cut.  journal: the node's DIR/disk.journal; db: its main database file
** (the journal may name only it, its -wal and -journal, and "."); the
** node must be dead.  Rolls the files back as `keep` says, removes db's -shm, empties
** the journal, fills *loss.  A missing journal is an empty one.  Refuses, changing
** nothing, a journal above `limit` bytes or one that is malformed or names another
** file; -1 with err then, or when a file operation fails midway (the files are then
** in between: the run is over).  0 on success. */
int disk_power_cut(const char *journal, const char *db, disk_keep keep, uint64_t seed,
                   size_t limit, disk_loss *loss, char *err, size_t cap);

/* The fault of the disk site `site` ("disk.<op>.<fault>", proto/step.h "Disk sites") if
** its op is `op` ("read", "write", "sync", "alloc"), else NULL.  Both node hosts
** (node/simhost.c, node/preload/oxdisk.c) read the sites the simulator arms with it. */
const char *disk_site_fault(const char *site, const char *op);

/* The file a failed read, write or sync was on: the main database, its -wal, or its
** rollback -journal.  A node reports a fired disk site as "<site>@<file>"
** ("disk.write.eio@wal", proto/step.h "Disk sites") so the history checks can tell a call
** whose failure SQLite reports to the service from one it absorbs itself (the writes of
** the checkpoint it runs after a commit).  A failed allocation names no file. */
typedef enum { DISK_FILE_DB = 0, DISK_FILE_WAL, DISK_FILE_JOURNAL, DISK_FILE_KINDS } disk_file;
#define DISK_FILE_SEP '@'

/* "db", "wal", "journal"; the paired parse gives the kind of such a name, or -1. */
const char *disk_file_name(disk_file f);
int disk_file_parse(const char *name);

#endif
