/*
** power.c: power loss under the services (see power.h).
*/
#include "power.h"

#include "diskf.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/config.h"
#include "../../proto/disk.h"
#include "world_loop.h"

int power_wanted(const sim_scenario *sc) {
    assert(sc);
    for (int i = 0; i < sc->nfaults; i++)
        if (sc->faults[i].kind == FK_POWER_LOSS) return 1;
    return 0;
}

/* Each node's knobs, resolved for its role, as the node itself will read them (the
** scenario's knobs were checked at load: they parse). */
static void read_durability(sim_world *w) {
    ox_config base;
    ox_config_default(&base);
    for (int k = 0; k < w->sc->nknobs; k++) {
        char err[256];
        int rc = ox_config_set_kv(&base, w->sc->knobs[k], err, sizeof err);
        assert(rc == 0);
        (void)rc;
    }
    for (int n = 0; n < SIM_MAX_NODES; n++) {
        if (!scenario_node_active(w->sc, n)) continue;
        ox_config c = base;
        ox_config_resolve(&c, scenario_node_role(n));
        w->power.durable[n] = ox_config_durable(&c);
    }
}

int power_setup(sim_world *w) {
    assert(!w->power.on);
    if (!power_wanted(w->sc)) return 0;
    w->power.on = 1;
    ox_prng_seed(&w->power.prng, ox_prng_derive(w->o->seed, POWER_STREAM));
    read_durability(w);
    /* diskf_prepare (diskf.h), run before, made each node's disk folder and set
    ** OUTBOX_DISK: diskf_wanted() is true whenever power_wanted() is. */
    for (int n = 0; n < SIM_MAX_NODES; n++)
        assert(!scenario_node_active(w->sc, n) || w->nodes[n].env_extra[0] != 0);
    return 0;
}

/* Where the node's database really is: the private temp dir while dbplace keeps it
** there (dbplace.h; the VFS journals the files by their names there), else the run dir. */
static void db_path(const sim_world *w, int node, char *buf, size_t cap) {
    const char *dir = w->tmp_dbs ? w->procs.dir : w->o->run_dir;
    snprintf(buf, cap, "%s/%s.db", dir, scenario_node_name(node));
}

/* The payment service's OKs since the last cut may be gone: indefinite (power.h). */
static uint64_t make_indefinite(sim_world *w) {
    uint64_t n = 0;
    for (uint32_t i = 1; i <= w->sc->workload.payments; i++) {
        hist_entry *h = &w->res->hist[i];
        if (h->outcome != HIST_OK) continue;
        h->outcome = HIST_INDEFINITE;
        n++;
    }
    assert(n <= w->sc->workload.payments);
    return n;
}

/* The per-file part of the "power_cut" line, written into the trace's own writer: an
** array the flat trace_* calls cannot make. */
static void trace_files(sim_world *w, const disk_loss *loss) {
    json_w *j = &w->trace.w;
    json_w_key(j, "files");
    json_w_arr(j);
    for (unsigned i = 0; i < loss->nfiles; i++) {
        const disk_file_loss *f = &loss->file[i];
        const char *slash = strrchr(f->path, '/');   /* the name alone: the dir is a temp one */
        json_w_obj(j);
        json_w_kstr(j, "path", slash ? slash + 1 : f->path);
        json_w_kuint(j, "writes_lost", f->writes_lost);
        json_w_kuint(j, "bytes_lost", f->bytes_lost);
        json_w_kuint(j, "writes_kept", f->writes_kept);
        json_w_kuint(j, "writes_torn", f->writes_torn);
        json_w_kuint(j, "bytes_kept", f->bytes_kept);
        json_w_kuint(j, "truncates_lost", f->truncates_lost);
        json_w_kuint(j, "vanished", f->vanished);
        json_w_kuint(j, "restored", f->restored);
        json_w_obj_end(j);
    }
    json_w_arr_end(j);
}

static void trace_cut(sim_world *w, int node, const sim_fault *f, const disk_loss *loss,
                      uint64_t indefinite) {
    uint64_t writes = 0, bytes = 0;
    for (unsigned i = 0; i < loss->nfiles; i++) {
        writes += loss->file[i].writes_lost;
        bytes += loss->file[i].bytes_lost;
    }
    trace_begin(&w->trace, w->now, "power_cut");
    trace_str(&w->trace, "node", scenario_node_name(node));
    trace_int(&w->trace, "life", w->nodes[node].life);
    trace_int(&w->trace, "fault", f->id);
    trace_str(&w->trace, "keep", disk_keep_name((disk_keep)f->keep));
    trace_uint(&w->trace, "writes_lost", writes);
    trace_uint(&w->trace, "bytes_lost", bytes);
    trace_uint(&w->trace, "indefinite", indefinite);
    char lost_in[3 * 80] = "";   /* the files that lost something, for a one-line story */
    for (unsigned i = 0; i < loss->nfiles; i++) {
        const disk_file_loss *fl = &loss->file[i];
        if (!fl->writes_lost && !fl->writes_torn && !fl->truncates_lost && !fl->vanished &&
            !fl->restored) continue;
        const char *slash = strrchr(fl->path, '/');
        size_t n = strlen(lost_in);
        snprintf(lost_in + n, sizeof lost_in - n, "%s%.70s", n ? "," : "",
                 slash ? slash + 1 : fl->path);
    }
    trace_str(&w->trace, "lost_in", lost_in);
    trace_files(w, loss);
    trace_end(&w->trace);
}

int power_cut(sim_world *w, int node, const sim_fault *f) {
    assert(f->kind == FK_POWER_LOSS);
    assert(w->power.on);
    assert(w->nodes[node].pid == 0);   /* dead: nothing writes while its files roll back */
    char dir[600], journal[700], db[700], err[600];
    diskf_dir(w, node, dir, sizeof dir);
    snprintf(journal, sizeof journal, "%s/%s", dir, DISK_JOURNAL_NAME);
    db_path(w, node, db, sizeof db);
    uint64_t seed = ox_prng_next(&w->power.prng);
    disk_loss loss;
    if (disk_power_cut(journal, db, (disk_keep)f->keep, seed, DISK_LIMIT_DEFAULT, &loss, err,
                       sizeof err) != 0)
        return world_fail(w, OX_EXIT_HARNESS, "power cut at %s: %s", scenario_node_name(node),
                          err);
    uint64_t indefinite = 0;
    if (node == OX_ROLE_PAYMENT && !w->power.durable[node]) indefinite = make_indefinite(w);
    w->res->st.power_cuts++;
    trace_cut(w, node, f, &loss, indefinite);
    return 0;
}
