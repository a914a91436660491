/*
** lock.c: one writer per results directory (see lock.h).
*/
#include "lock.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "files.h"

/* The pid the holder wrote, or 0 if the file says nothing readable. */
static long holder_pid(int fd) {
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = '\0';
    long pid = strtol(buf, NULL, 10);
    return pid > 0 ? pid : 0;
}

/* Records our pid in the file we hold, for the message of the next writer refused. */
static void write_pid(int fd) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    assert(n > 0);
    if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) == n) return;
    /* The pid is only for a message: a lock without it is still a lock. */
}

int lock_dir(const char *dir, int *busy, char *err, size_t cap) {
    assert(dir != NULL);
    assert(cap > 0);
    *busy = 0;
    char path[FILES_PATH_MAX + 16];
    if (snprintf(path, sizeof path, "%s/%s", dir, LOCK_FILE) >= (int)sizeof path) {
        snprintf(err, cap, "%s: path too long", dir);
        return -1;
    }
    if (files_mkdirs(dir) != 0) {
        snprintf(err, cap, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, cap, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) continue;
        int e = errno;
        if (e == EWOULDBLOCK) {
            long pid = holder_pid(fd);
            *busy = 1;
            if (pid) snprintf(err, cap, "%s is in use by another outbox-sim (pid %ld)", dir, pid);
            else snprintf(err, cap, "%s is in use by another outbox-sim", dir);
        } else {
            snprintf(err, cap, "cannot lock %s: %s", path, strerror(e));
        }
        close(fd);
        return -1;
    }
    write_pid(fd);
    return fd;
}

void lock_release(int fd) {
    if (fd < 0) return;
    close(fd);   /* closing the last descriptor of the open file drops the flock */
}
