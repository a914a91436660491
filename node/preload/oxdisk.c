/*
** oxdisk.c: bin/libox-disk.so, the simulated disk preloaded into a node this project did
** not build (proto/diskarm.h gives the contract, node/vfs.h the disk itself).
**
** Its constructor runs before the program's main, with the system's libsqlite3 loaded
** (a dependency of this library) but not yet initialized: it wraps SQLite's allocator
** first (memf.h: that must come before anything initializes SQLite, and a VFS
** registration does), then registers the outbox-disk VFS as the default, then points
** both hooks at the arming map the simulator writes.  Only the constructor is visible:
** everything else, the VFS's code included, is hidden (-fvisibility=hidden), so nothing
** here can interpose on a symbol of the program.
**
** A problem (no map, a map that is not one) is one line on stderr and exit 3, before
** the program runs: a node that silently ran without the disk its scenario needs would
** give a verdict about a different run.
*/
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../proto/disk.h"
#include "../../proto/diskarm.h"
#include "../../proto/exit.h"
#include "../memf.h"
#include "../vfs.h"

#define ALLOC_OP "alloc"   /* the op of "disk.alloc.nomem" (memf.h) */

static diskarm_map *arm;   /* the shared map, or NULL: not installed in this process */

static void die(const char *what, const char *detail) {
    fprintf(stderr, "libox-disk: %s: %s\n", what, detail);
    _exit(OX_EXIT_HARNESS);
}

/* Counts a call of `op` against every armed site of it: the index of the site that
** fails it (the first whose (skip + 1)-th call this is), or -1. */
static int count_call(const char *op, uint32_t file, const char **fault) {
    arm->loaded = 1;   /* the disk is this process's: see oxdisk_init */
    uint32_t n = arm->n;
    if (n > OX_STEP_MAX_ARMED) n = 0;   /* never: the simulator bounds it */
    int fire = -1;
    for (uint32_t i = 0; i < n; i++) {
        diskarm_site *s = &arm->site[i];
        const char *f = disk_site_fault(s->name, op);
        if (f == NULL) continue;
        if (++s->passes == s->skip + 1 && fire < 0) {
            fire = (int)i;
            *fault = f;
        }
    }
    if (fire >= 0 && arm->nfired < OX_STEP_MAX_ARMED) {
        arm->fired_file[arm->nfired] = file;
        arm->fired[arm->nfired++] = (uint32_t)fire;
    }
    return fire;
}

static int disk_hook(void *ctx, vfs_op op, disk_file file) {
    const char *fault = NULL;
    if (count_call(vfs_op_name(op), (uint32_t)file, &fault) < 0) return 0;
    return vfs_fault_code(op, fault);   /* 0 for an unknown fault: the call goes on */
}

static int alloc_hook(void *ctx) {
    const char *fault = NULL;
    return count_call(ALLOC_OP, DISK_FILE_KINDS, &fault) >= 0;
}

/* The map DIR/disk.arm the simulator made, or exit 3. */
static diskarm_map *map_open(const char *dir) {
    char path[600];
    int len = snprintf(path, sizeof path, "%s/%s", dir, DISKARM_NAME);
    if (len < 0 || (size_t)len >= sizeof path) die(VFS_ENV, "path too long");
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) die(path, "cannot open the arming map (is this run by outbox-sim?)");
    void *m = mmap(NULL, sizeof(diskarm_map), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) die(path, "cannot map it");
    diskarm_map *a = m;
    if (a->magic != DISKARM_MAGIC) die(path, "not an arming map (bad magic)");
    return a;
}

__attribute__((constructor, visibility("default"))) void oxdisk_init(void) {
    const char *dir = getenv(VFS_ENV);
    if (dir == NULL || dir[0] == '\0') return;
    if (dlsym(RTLD_DEFAULT, DISKARM_OWN_SYMBOL) != NULL) return;   /* brings its own */
    diskarm_map *a = map_open(dir);
    if (memf_install() != 0) die("SQLite", "already initialized: cannot wrap its allocator");
    char err[700];
    if (vfs_install(dir, a->seed, err, sizeof err) != 0) die(VFS_ENV, err);
    arm = a;
    memf_set_hook(alloc_hook, NULL);
    vfs_set_fault_hook(disk_hook, NULL);
    vfs_set_buffered(1);   /* the journal in a shared map: nothing waits for a flush */
    /* `loaded` is set at the first call counted, not here: a shell script that execs the
    ** node gets this constructor too, and a node that brings its own disk (the symbol
    ** above) must not find the map claimed by the shell it replaced. */
}
