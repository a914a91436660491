/*
** files.c: directories made and removed, files written atomically (see files.h).
*/
#include "files.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int files_parent(const char *path, char *out, size_t cap) {
    assert(path);
    assert(cap > 0);
    char tmp[FILES_PATH_MAX];
    if (strlen(path) >= sizeof tmp) return -1;
    memcpy(tmp, path, strlen(path) + 1);
    const char *d = dirname(tmp);
    if (strlen(d) >= cap) return -1;
    memcpy(out, d, strlen(d) + 1);
    return 0;
}

int files_mkdirs(const char *dir) {
    assert(dir);
    char path[FILES_PATH_MAX];
    size_t n = strlen(dir);
    if (n >= sizeof path || n == 0) { errno = ENAMETOOLONG; return -1; }
    memcpy(path, dir, n + 1);
    for (char *s = path + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) return -1;
        *s = '/';
    }
    return (mkdir(path, 0755) == 0 || errno == EEXIST) ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) != 0 && errno != ENOENT ? -1 : 0;
}

int files_rmtree(const char *path) {
    assert(path);
    assert(path[0]);
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

int files_write(const char *path, void (*write)(FILE *f, void *ctx), void *ctx, char *err,
                size_t cap) {
    assert(path);
    assert(write);
    char tmp[FILES_PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "we");
    if (!f) {
        snprintf(err, cap, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    errno = 0;
    write(f, ctx);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        snprintf(err, cap, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int files_dir_writable(const char *path) {
    char parent[FILES_PATH_MAX];
    if (files_parent(path, parent, sizeof parent) != 0) return 0;
    struct stat st;
    return stat(parent, &st) == 0 && S_ISDIR(st.st_mode) && access(parent, W_OK) == 0;
}

/* The pid a lock file names, for the message; 0 when it says nothing readable. */
static long lock_owner(int fd) {
    char buf[32] = "";
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

/* Is fd still the file at path?  A holder that finished unlinks its lock file; one who
** opened that file before the unlink must not hold a lock nobody else can see. */
static int same_file(int fd, const char *path) {
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

int files_lock(const char *dir, const char *name, char *err, size_t cap) {
    assert(dir);
    assert(name);
    char path[FILES_PATH_MAX + 64];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(err, cap, "%s/%s: path too long", dir, name);
        return FILES_LOCK_ERROR;
    }
    for (int tries = 0; tries < 100; tries++) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(err, cap, "cannot create %s: %s", path, strerror(errno));
            return FILES_LOCK_ERROR;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            long pid = lock_owner(fd);
            close(fd);
            if (e != EWOULDBLOCK) {
                snprintf(err, cap, "cannot lock %s: %s", path, strerror(e));
                return FILES_LOCK_ERROR;
            }
            if (pid > 0) snprintf(err, cap, "held by pid %ld", pid);
            else snprintf(err, cap, "held by another process");
            return FILES_LOCK_HELD;
        }
        if (!same_file(fd, path)) { close(fd); continue; }   /* unlinked meanwhile */
        char pid[32];
        int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
            snprintf(err, cap, "cannot write %s: %s", path, strerror(errno));
            close(fd);
            return FILES_LOCK_ERROR;
        }
        return fd;
    }
    snprintf(err, cap, "cannot lock %s: it keeps being replaced", path);
    return FILES_LOCK_ERROR;
}

void files_unlock(int fd, const char *dir, const char *name) {
    assert(fd >= 0);
    char path[FILES_PATH_MAX + 64];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    /* Unlinked while still held: a waiting process that opened it sees it replaced. */
    if (n > 0 && (size_t)n < sizeof path && same_file(fd, path)) unlink(path);
    close(fd);
}
