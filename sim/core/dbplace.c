/*
** dbplace.c: the services' databases on the private temp dir during a run, in the run
** dir after it (see dbplace.h).
*/
#include "dbplace.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPY_CHUNK (64 * 1024)

static const char *const suffixes[] = { "", "-wal", "-shm" };

int dbplace_enabled(void) {
    const char *e = getenv("OUTBOX_SIM_TMPDB");
    return !(e && !strcmp(e, "0"));
}

int dbplace_link(const char *tmp_dir, const char *run_dir, const char *name, char *err,
                 size_t errlen) {
    char target[600], link[600];
    assert(tmp_dir != NULL);
    assert(strcmp(tmp_dir, run_dir) != 0);   /* else the link would point at itself */
    snprintf(target, sizeof target, "%s/%s.db", tmp_dir, name);
    snprintf(link, sizeof link, "%s/%s.db", run_dir, name);
    unlink(link);   /* prepare_run_dir emptied the dir; this is belt and braces */
    if (symlink(target, link) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", link, strerror(errno));
        return -1;
    }
    return 0;
}

/* Copies src to dst through dst.tmp and a rename: dst is never half written. */
static int copy_file(const char *src, const char *dst, char *err, size_t errlen) {
    char tmp[620];
    assert(strcmp(src, dst) != 0);
    assert(errlen > 0);
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) { snprintf(err, errlen, "cannot read %s: %s", src, strerror(errno)); return -1; }
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        close(in);
        return -1;
    }
    static char buf[COPY_CHUNK];
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { if (n < 0) rc = -1; break; }
        assert((size_t)n <= sizeof buf);
        for (ssize_t off = 0; off < n && rc == 0;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) rc = -1;
            else off += w;
        }
        if (rc) break;
    }
    if (close(out) != 0) rc = -1;
    close(in);
    if (rc == 0 && rename(tmp, dst) != 0) rc = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot copy %s to %s: %s", src, dst, strerror(errno));
        unlink(tmp);
    }
    return rc;
}

int dbplace_copy(const char *src, const char *dst, char *err, size_t errlen) {
    return copy_file(src, dst, err, errlen);
}

int dbplace_keep(const char *tmp_dir, const char *run_dir, const char *name, char *err,
                 size_t errlen) {
    int rc = 0;
    assert(name != NULL);
    assert(errlen > 0);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char src[600], dst[600];
        snprintf(src, sizeof src, "%s/%s.db%s", tmp_dir, name, suffixes[i]);
        snprintf(dst, sizeof dst, "%s/%s.db%s", run_dir, name, suffixes[i]);
        if (access(src, F_OK) != 0) {
            /* Never created (a node that never started), or removed by a clean close:
            ** no dangling symlink is left in the run dir. */
            if (i == 0) unlink(dst);
            continue;
        }
        char why[2048];
        if (copy_file(src, dst, why, sizeof why) != 0 && rc == 0) {
            snprintf(err, errlen, "%s", why);   /* the first failure is the one named */
            rc = -1;
        }
    }
    return rc;
}
