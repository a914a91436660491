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

