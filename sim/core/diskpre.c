/*
** diskpre.c: the simulated disk under a node of another language (diskpre.h).
*/
#include "diskpre.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../proto/disk.h"
#include "../../proto/diskarm.h"
#include "diskf.h"
#include "world_loop.h"


/* 1 if node n runs a command of --node, not this project's node. */
static int foreign(const sim_world *w, int n) {
    ox_role r = scenario_node_role(n);
    return w->o->node_cmds != NULL && w->o->node_cmds[r] != NULL;
}

/* The library beside the simulator's own node executable. */
static int library_path(sim_world *w, char *buf, size_t cap) {
    char bin[600];
    snprintf(bin, sizeof bin, "%s", w->o->node_bin);
    int len = snprintf(buf, cap, "%s/%s", dirname(bin), DISKARM_LIB);
    if (len < 0 || (size_t)len >= cap)
        return world_fail(w, OX_EXIT_HARNESS, "%s: path too long", w->o->node_bin);
    if (access(buf, R_OK) != 0)
        return world_fail(w, OX_EXIT_HARNESS, "%s: %s (the simulated disk for --node; make "
                          "builds it)", buf, strerror(errno));
    return 0;
}

/* Makes DIR/disk.arm, zeroed but for its magic and seed, and maps it. */
static diskarm_map *map_make(sim_world *w, int n, const char *dir) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, DISKARM_NAME);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)sizeof(diskarm_map)) != 0) {
        world_fail(w, OX_EXIT_HARNESS, "cannot make %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    void *m = mmap(NULL, sizeof(diskarm_map), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        world_fail(w, OX_EXIT_HARNESS, "cannot map %s: %s", path, strerror(errno));
        return NULL;
    }
    diskarm_map *a = m;
    a->magic = DISKARM_MAGIC;
    a->seed = ox_prng_derive(w->o->seed, 100 + (uint64_t)n);   /* its --seed (world.c) */
    return a;
}

int diskpre_prepare(sim_world *w, int n, const char *dir) {
    assert(n >= 0 && n < SIM_MAX_NODES);
    assert(w->diskf.arm[n] == NULL);
    if (!foreign(w, n)) return 0;
    sim_proc *p = &w->nodes[n];
    if (library_path(w, p->preload, sizeof p->preload) != 0) return -1;
    w->diskf.arm[n] = map_make(w, n, dir);
    return w->diskf.arm[n] != NULL ? 0 : -1;
}

void diskpre_arm(sim_world *w, int n) {
    diskarm_map *m = w->diskf.arm[n];
    if (m == NULL) return;
    const diskf_state *d = &w->diskf;
    assert(d->n >= 0 && d->n <= OX_STEP_MAX_ARMED);
    for (int i = 0; i < d->n; i++) {
        snprintf(m->site[i].name, sizeof m->site[i].name, "%s", d->name[i]);
        m->site[i].skip = d->skip[i];
        m->site[i].passes = 0;
    }
    m->nfired = 0;
    m->n = (uint32_t)d->n;
}

static void add(ox_reply *r, uint8_t type, const char *site, uint32_t count) {
    assert(r->neffects < OX_STEP_MAX_EFFECTS);
    ox_effect *e = &r->effects[r->neffects++];
    memset(e, 0, sizeof *e);
    e->type = type;
    snprintf(e->label, sizeof e->label, "%s", site);
    e->count = count;
}

/* Drops the node's own INJECTED and PASSED effects of disk sites: the map counts them. */
static void drop_own(ox_reply *r) {
    uint16_t k = 0;
    for (uint16_t i = 0; i < r->neffects; i++) {
        const ox_effect *e = &r->effects[i];
        int own = e->type == OX_FX_INJECTED || e->type == OX_FX_PASSED;
        if (own && diskf_is_site(e->label)) continue;
        if (k != i) r->effects[k] = *e;
        k++;
    }
    r->neffects = k;
}

int diskpre_collect(sim_world *w, int n, ox_reply *r) {
    diskarm_map *m = w->diskf.arm[n];
    if (m == NULL || !m->loaded) return 0;
    uint32_t armed = m->n, fired = m->nfired;
    m->n = 0;   /* between steps nothing is armed */
    if (armed != (uint32_t)w->diskf.n || fired > armed)
        return world_fail(w, OX_EXIT_HARNESS, "%s: the disk's arming map was changed (%u armed, "
                          "%u failed)", scenario_node_name(n), armed, fired);
    drop_own(r);
    if (armed + fired > (uint32_t)(OX_STEP_MAX_EFFECTS - r->neffects))
        return world_fail(w, OX_EXIT_HARNESS, "%s: no room for its disk effects",
                          scenario_node_name(n));
    for (uint32_t j = 0; j < fired; j++) {
        uint32_t s = m->fired[j];
        if (s >= armed)
            return world_fail(w, OX_EXIT_HARNESS, "%s: the disk failed unarmed site %u",
                              scenario_node_name(n), s);
        uint32_t file = m->fired_file[j];
        if (file > DISK_FILE_KINDS)
            return world_fail(w, OX_EXIT_HARNESS, "%s: the disk failed a call on file kind %u",
                              scenario_node_name(n), file);
        char site[OX_NAME_MAX + 1];   /* as the node's own would be: "<site>@<file>" */
        if (file == DISK_FILE_KINDS)   /* an allocation: no file */
            snprintf(site, sizeof site, "%s", m->site[s].name);
        else
            snprintf(site, sizeof site, "%s%c%s", m->site[s].name, DISK_FILE_SEP,
                     disk_file_name((disk_file)file));
        add(r, OX_FX_INJECTED, site, 0);
    }
    for (uint32_t i = 0; i < armed; i++) add(r, OX_FX_PASSED, m->site[i].name, m->site[i].passes);
    return 0;
}

void diskpre_close(sim_world *w) {
    for (int n = 0; n < SIM_MAX_NODES; n++) {
        if (w->diskf.arm[n] == NULL) continue;
        munmap(w->diskf.arm[n], sizeof(diskarm_map));
        w->diskf.arm[n] = NULL;
    }
}
