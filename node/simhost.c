/*
** simhost.c: the lockstep host (--sim ENDPOINT).
**
** Under bin/outbox-sim the node owns one ZMQ_PAIR socket.  It receives one STEP
** message, a batch of one or more events, runs the service on each in order, and
** answers one REPLY with a section per event listing what the service asked its host
** for (proto/step.h): frames to send, timers to set, the answer to a PAY, trace notes
** and the failpoints it passed.  Before each event it sets its own virtual clock to
** the step's (libfaketime's FAKETIME, rewritten in place), and it stops a batch early
** where going on could differ from being stepped one event at a time (a timer that
** would fire in between, a crash).  Between a REPLY and the next STEP it does nothing,
** so what it does is a function of the steps it is sent; nothing in a reply depends on
** pids, addresses or the real time.
**
** A site armed with INJECT makes the library's inject hook answer yes once (its
** skip+1-th pass in the step); the service takes its fault path and the step goes on.
** A crash at an armed failpoint is real: the node flushes the effects so far with
** status CRASH and waits for the simulator's SIGKILL inside the service call, so the
** database is left exactly as a crash there would leave it.
**
** Sync points (explore --power, docs/shrink-explore.md): with OUTBOX_SYNC_POINTS=1 in its
** environment, a node on the simulated disk passes the failpoint "<role>.after_sync" right
** after each sync its VFS records, so a crash or a power_loss can be placed there like at
** any failpoint.  Without it (every run but explore's) nothing is reported: no trace
** changes.
**
** The simulator gives this process /dev/null or a log on fds 0-2; nothing here writes
** to any other fd with stdio, and diagnostics go to stderr only.
**
** --sim-stdio (the text encoding, proto/stepjson.h): the same host, but a STEP comes as
** one JSON line on stdin and the REPLY leaves as one on stdout.  Only the transport
** changes: each line is translated into the binary message at the boundary (serve_stdio,
** send_line) and everything between runs as under --sim.  The node keeps stdin and stdout
** to itself (duplicated above fd 2) and points fd 1 at stderr, the log, so that nothing
** else it runs can write into the protocol stream.
*/
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <zmq.h>

#include "coverage.h"
#include "../proto/disk.h"
#include "../proto/step.h"
#include "../proto/stepjson.h"
#include "memf.h"
#include "node.h"
#include "vfs.h"

#define FATAL_REPLY_MAX 1024   /* a FATAL reply: header + one NOTE of <= OX_DETAIL_MAX */
#define REPLY_DETAIL_MAX 255   /* REPLY detail is a str8 on the wire */
#define EXIT_LINGER_MS 2000    /* how long a last reply may take to leave */
#define STEP_TIMERS_MAX 32     /* distinct timer ids one step sets that a batch tracks */

typedef struct {
    const node_opts *o;
    void *zctx, *sock;
    ox_service *svc;           /* NULL until START */
    uint8_t *buf;              /* OX_REPLY_MAX bytes, the reply being built */
    ox_reply_builder rb;
    const ox_step *step;       /* the step being handled, NULL between steps */
    char *clock;               /* the digits of our FAKETIME entry (set_clock) */
    uint32_t batch_first;      /* seq of the batch's first step, 0 between batches */
    int64_t timer_due_min;     /* this step: the earliest vtime a timer it set fires */
    uint32_t timers[STEP_TIMERS_MAX];     /* this step: the timer ids it set */
    int ntimers;               /* -1: more than STEP_TIMERS_MAX */
    uint32_t passes[OX_STEP_MAX_ARMED];   /* passes of each armed failpoint, this step */
    int rejected;              /* the service itself reported a "reject" this step */
    int disk_failed;           /* the simulated disk failed a call in this step */
    char fatal[OX_DETAIL_MAX + 1];        /* set by a callback that cannot go on */
    int in_fd, out_fd;         /* --sim-stdio: the simulator's lines, ours; else -1 */
    char *line;                /* --sim-stdio: STEPJSON_STEP_MAX bytes read, `have` used */
    size_t have;
    uint8_t *stepbin;          /* --sim-stdio: the line as a binary STEP (OX_STEP_MAX) */
    char *text;                /* --sim-stdio: the reply as a line (STEPJSON_REPLY_MAX + 1) */
    ox_effect *scratch;        /* --sim-stdio: OX_STEP_MAX_EFFECTS, for the translation */
} simhost;

/* ---- leaving ---------------------------------------------------------------- */

static void host_exit(simhost *h, ox_exit code) {
    (void)vfs_flush();                   /* what the last step wrote, if anything */
    zh_close(h->sock, EXIT_LINGER_MS);   /* lets the last reply leave, boundedly */
    if (h->zctx) zmq_ctx_term(h->zctx);
    if (h->out_fd >= 0) close(h->out_fd);   /* a pipe: what was written is there */
    free(h->buf);
    free(h->line);
    free(h->stepbin);
    free(h->text);
    free(h->scratch);
    exit(code);
}

/* --sim-stdio: the binary reply buf[len] as one JSON line on our stdout.  A reply that
** has no text form (a string that is not UTF-8) cannot be answered: exit 3, said why. */
static void send_line(simhost *h, const uint8_t *buf, size_t len) {
    char err[400];
    size_t n = stepjson_reply_from_bin(buf, len, h->scratch, h->text, STEPJSON_REPLY_MAX + 1, err,
                                       sizeof err);
    if (n == 0) {
        fprintf(stderr, "outbox-node: %s: cannot write the reply as JSON: %s\n",
                ox_role_name(h->o->role), err);
        host_exit(h, OX_EXIT_HARNESS);
    }
    assert(h->text[n - 1] == '\n');
    for (size_t off = 0; off < n;) {
        ssize_t w = write(h->out_fd, h->text + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            fprintf(stderr, "outbox-node: %s: cannot write the reply: %s\n",
                    ox_role_name(h->o->role), strerror(errno));
            host_exit(h, OX_EXIT_HARNESS);
        }
        off += (size_t)w;
    }
}

static void send_bytes(simhost *h, const uint8_t *buf, size_t len) {
    assert(len > 0);
    assert(len <= OX_REPLY_MAX);
    /* Before the reply leaves: the simulator may SIGKILL us the moment it has it, and
    ** a coverage build must have written its counts by then (no-op otherwise). */
    node_coverage_flush();
    if (vfs_flush() != 0) {   /* the disk journal, likewise, before a SIGKILL can come */
        fprintf(stderr, "outbox-node: %s: cannot write the disk journal: %s\n",
                ox_role_name(h->o->role), strerror(errno));
        host_exit(h, OX_EXIT_HARNESS);
    }
    if (h->o->sim_stdio) { send_line(h, buf, len); return; }
    while (zmq_send(h->sock, buf, len, 0) < 0) {
        if (errno == EINTR) continue;
        fprintf(stderr, "outbox-node: %s: cannot send reply: %s\n", ox_role_name(h->o->role),
                zmq_strerror(errno));
        host_exit(h, OX_EXIT_HARNESS);
    }
}

/* Replaces whatever was built with a small FATAL reply naming why, sends it, exits 3
** (OX_EXIT_HARNESS). */
/* The reply is one FATAL section answering the batch's first step (`seq` outside a
** batch): the simulator reads sections from the first, and the run ends on it. */
static void fatal_reply(simhost *h, uint32_t seq, const char *why) {
    assert(why != NULL);
    assert(why[0] != '\0');
    static uint8_t small[FATAL_REPLY_MAX];
    if (h->batch_first) seq = h->batch_first;
    ox_reply_builder b;
    ox_effect e;
    memset(&e, 0, sizeof e);
    e.type = OX_FX_NOTE;
    snprintf(e.label, sizeof e.label, "fatal");
    snprintf(e.detail, sizeof e.detail, "%s", why);
    ox_reply_begin(&b, small, sizeof small, seq);
    ox_reply_add(&b, &e);
    size_t len = ox_reply_finish(&b, OX_REPLY_FATAL);
    assert(len > 0);   /* one bounded note always fits */
    fprintf(stderr, "outbox-node: %s: fatal: %s\n", ox_role_name(h->o->role), why);
    send_bytes(h, small, len);
    host_exit(h, OX_EXIT_HARNESS);
}

/* Finishes the reply being built with `status` and sends it (FATAL if it overflowed). */
static void finish_reply(simhost *h, uint8_t status) {
    assert(h->step != NULL);
    assert(status <= OX_REPLY_FATAL);
    uint32_t seq = h->step->seq;
    if (h->fatal[0]) fatal_reply(h, seq, h->fatal);
    size_t len = ox_reply_finish(&h->rb, status);
    if (len == 0) {
        char why[128];
        snprintf(why, sizeof why, "reply overflow: a step's effects exceed %u bytes or %d effects",
                 OX_STEP_MAX, OX_STEP_MAX_EFFECTS);
        fatal_reply(h, seq, why);
    }
    send_bytes(h, h->buf, len);
}

/* ---- the service's io callbacks: each appends an effect -------------------- */

static void add(simhost *h, const ox_effect *e) {
    assert(h->step != NULL);   /* services call back only from inside a step */
    ox_reply_add(&h->rb, e);
}

static void io_send(void *ctx, const char *to, const uint8_t *bytes, size_t len,
                    const ox_frame *f) {
    simhost *h = ctx;
    assert(to != NULL);
    assert(bytes != NULL);
    assert(f != NULL);
    if (len == 0 || len > OX_BLOB_MAX) {
        snprintf(h->fatal, sizeof h->fatal, "service sent a frame of %zu bytes (max %d)", len,
                 OX_BLOB_MAX);
        return;
    }
    ox_effect e;
    memset(&e, 0, sizeof e);
    e.type = OX_FX_SEND;
    snprintf(e.to, sizeof e.to, "%s", to);
    snprintf(e.queue, sizeof e.queue, "%s", f->queue);
    node_frame_label(f, e.label, sizeof e.label);
    if (f->type != OX_F_DACK) {   /* a DACK carries no message */
        e.pay = f->msg.pay_id;
        e.msg = f->msg.msg_id;
    }
    e.delivery = f->delivery;
    e.frame = bytes;
    e.frame_len = len;
    add(h, &e);
}

static void io_set_timer(void *ctx, int id, int64_t delay_ms) {
    simhost *h = ctx;
    assert(h->step != NULL);
    assert(id >= 0);
    assert(delay_ms >= 0);
    ox_effect e;
    memset(&e, 0, sizeof e);
    e.type = OX_FX_TIMER;
    e.timer_id = (uint32_t)id;
    e.delay_us = delay_ms > INT64_MAX / 1000 ? INT64_MAX : delay_ms * 1000;
    add(h, &e);
    /* What a batch needs to know (may_go_on): when it fires, which id. */
    int64_t due =
        e.delay_us > INT64_MAX - h->step->vtime_us ? INT64_MAX : h->step->vtime_us + e.delay_us;
    if (due < h->timer_due_min) h->timer_due_min = due;
    if (h->ntimers >= 0 && h->ntimers < STEP_TIMERS_MAX) h->timers[h->ntimers++] = (uint32_t)id;
    else h->ntimers = -1;
    assert(h->timer_due_min <= due);
}

/* msg with the database's path cut to its file name: the run's folder is not the run's,
** and the trace must not depend on it (a disk error names the file, in an error's text
** and in a note the library writes, such as a failed durability barrier's). */
static const char *cut_db_path(const simhost *h, const char *msg, char *out, size_t cap) {
    const char *db = h->o->db;
    const char *slash = strrchr(db, '/'), *at = strstr(msg, db);
    if (slash == NULL || at == NULL) return msg;
    snprintf(out, cap, "%.*s%s%s", (int)(at - msg), msg, slash + 1, at + strlen(db));
    return out;
}

static void io_event(void *ctx, const char *kind, uint64_t pay, const char *detail) {
    simhost *h = ctx;
    if (kind && strcmp(kind, "reject") == 0) h->rejected = 1;
    ox_effect e;
    memset(&e, 0, sizeof e);
    e.type = OX_FX_NOTE;
    snprintf(e.label, sizeof e.label, "%s", kind ? kind : "?");
    e.pay = pay;
    char text[sizeof e.detail];
    const char *d = detail ? cut_db_path(h, detail, text, sizeof text) : "";
    snprintf(e.detail, sizeof e.detail, "%s", d);
    add(h, &e);
}

/* Flushes what this step produced with status CRASH and waits to be killed. */
static void crash_here(simhost *h) {
    finish_reply(h, OX_REPLY_CRASH);
    for (;;) pause();   /* the simulator SIGKILLs us; PDEATHSIG if it died */
}

static void io_failpoint(void *ctx, const char *name) {
    simhost *h = ctx;
    assert(name != NULL);
    assert(h->step != NULL);
    ox_effect e;
    memset(&e, 0, sizeof e);
    e.type = OX_FX_FAILPOINT;
    snprintf(e.label, sizeof e.label, "%s", name);
    add(h, &e);
    for (int i = 0; i < h->step->narmed; i++) {
        const ox_armed *a = &h->step->armed[i];
        if (a->action != OX_ARM_CRASH || strcmp(a->name, name) != 0) continue;
        /* crash on the (skip+1)-th pass within this step */
        if (++h->passes[i] > a->skip) crash_here(h);
        assert(h->passes[i] <= a->skip);   /* crash_here does not return */
    }
}

/* The library asks whether to take the injected fault path at `site`: yes exactly on
** the (skip+1)-th pass within this step of a site the simulator armed with INJECT. */
static int io_inject(void *ctx, const char *site) {
    simhost *h = ctx;
    assert(site != NULL);
    assert(h->step != NULL);
    for (int i = 0; i < h->step->narmed; i++) {
        const ox_armed *a = &h->step->armed[i];
        if (a->action != OX_ARM_INJECT || strcmp(a->name, site) != 0) continue;
        if (++h->passes[i] != a->skip + 1) continue;
        ox_effect e;
        memset(&e, 0, sizeof e);
        e.type = OX_FX_INJECTED;
        snprintf(e.label, sizeof e.label, "%s", site);
        add(h, &e);
        return 1;
    }
    return 0;
}

/* ---- the simulated disk's errors (vfs.h; proto/step.h, "Disk sites") --------- */

#define DISK_ALLOC_SITE "disk.alloc.nomem"   /* memf.h: a failed allocation */

/* The op of an armed disk site "disk.<op>.<fault>" is `op`: its fault's name, or NULL. */
static const char *armed_fault(const ox_armed *a, vfs_op op) {
    return a->action == OX_ARM_INJECT ? disk_site_fault(a->name, vfs_op_name(op)) : NULL;
}

/* The VFS asks before a read, write or sync: every armed site of that op counts the
** call; the first whose (skip+1)-th pass this is fails it. */
static int disk_hook(void *ctx, vfs_op op, disk_file file) {
    simhost *h = ctx;
    if (h->step == NULL) return 0;
    int fire = -1;
    for (int i = 0; i < h->step->narmed; i++) {
        const ox_armed *a = &h->step->armed[i];
        if (armed_fault(a, op) == NULL) continue;
        if (++h->passes[i] == a->skip + 1 && fire < 0) fire = i;
    }
    if (fire < 0) return 0;
    h->disk_failed = 1;
    const ox_armed *a = &h->step->armed[fire];
    int rc = vfs_fault_code(op, armed_fault(a, op));
    if (rc == 0) {
        snprintf(h->fatal, sizeof h->fatal, "unknown disk site '%s'", a->name);
        return 0;
    }
    ox_effect e;
    memset(&e, 0, sizeof e);
    e.type = OX_FX_INJECTED;
    snprintf(e.label, sizeof e.label, "%s%c%s", a->name, DISK_FILE_SEP, disk_file_name(file));
    add(h, &e);
    return rc;
}

/* SQLite asks before an allocation (memf.h): every armed "disk.alloc.nomem" site counts
** it; the first whose (skip+1)-th pass this is fails it (SQLITE_NOMEM follows).  Outside
** a step (the database closed after a STOP's reply) nothing is armed. */
static int alloc_hook(void *ctx) {
    simhost *h = ctx;
    if (h->step == NULL) return 0;
    int fire = -1;
    for (int i = 0; i < h->step->narmed; i++) {
        const ox_armed *a = &h->step->armed[i];
        if (a->action != OX_ARM_INJECT || strcmp(a->name, DISK_ALLOC_SITE) != 0) continue;
        if (++h->passes[i] == a->skip + 1 && fire < 0) fire = i;
    }
    if (fire < 0) return 0;
    h->disk_failed = 1;
    ox_effect e;
    memset(&e, 0, sizeof e);
    e.type = OX_FX_INJECTED;
    snprintf(e.label, sizeof e.label, "%s", DISK_ALLOC_SITE);
    add(h, &e);
    return 1;
}

/* A sync the VFS recorded, during a step: the failpoint "<role>.after_sync" (a crash there
** waits inside the xSync, after the sync's record).  Outside a step (the database closed
** after a STOP's reply) there is no reply to report it in, and no crash can be armed. */
static void sync_point(void *ctx, const char *path) {
    simhost *h = ctx;
    assert(path != NULL);
    if (h->step == NULL) return;
    char name[OX_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s.after_sync", ox_role_name(h->o->role));
    io_failpoint(h, name);
}

/* After a step: how many calls passed each armed disk site (the simulator's count). */
static void disk_passes(simhost *h) {
    for (int i = 0; i < h->step->narmed; i++) {
        const ox_armed *a = &h->step->armed[i];
        size_t p = strlen(DISK_SITE_PREFIX);
        if (a->action != OX_ARM_INJECT || strncmp(a->name, DISK_SITE_PREFIX, p) != 0)
            continue;
        ox_effect e;
        memset(&e, 0, sizeof e);
        e.type = OX_FX_PASSED;
        snprintf(e.label, sizeof e.label, "%s", a->name);
        e.count = h->passes[i];
        add(h, &e);
    }
}

/* ---- steps ------------------------------------------------------------------ */

static void note(simhost *h, const char *kind, const char *detail) {
    io_event(h, kind, 0, detail);
}

/* The service's last error, its database's path cut to the file name (cut_db_path). */
static const char *error_text(simhost *h, char *out, size_t cap) {
    return cut_db_path(h, ox_service_error(h->svc), out, cap);
}

/* A failed call is not fatal: the trace shows it and the checker judges the outcome.
** A rejected frame gets one "reject" note, the library's own if it sent one. */
static void note_status(simhost *h, ox_status st) {
    if (st == OX_OK || (st == OX_ERR_FRAME && h->rejected)) return;
    char text[OX_DETAIL_MAX + 1];
    note(h, st == OX_ERR_FRAME ? "reject" : "error", error_text(h, text, sizeof text));
}

/* A START that failed after the simulated disk failed one of its calls: what a service
** that cannot open its database does, not a broken harness.  The reply keeps its effects
** (the INJECTED disk calls, their PASSED counts, a "fatal" note with the database's file
** name only: the trace may not depend on where the run lives), is FATAL, and the node
** exits 3, "the database cannot be opened" (docs/design.md, "Exit codes"); the simulator
** restarts it (sim/core/diskf.h, diskf_start_failed). */
static void start_failed(simhost *h, const char *what, const char *err) {
    char why[OX_DETAIL_MAX + 1];
    const char *slash = strrchr(h->o->db, '/');
    if (what) snprintf(why, sizeof why, "%s %s: %s", what, slash ? slash + 1 : h->o->db, err);
    else snprintf(why, sizeof why, "cannot start: %s", err);
    fprintf(stderr, "outbox-node: %s: fatal: %s\n", ox_role_name(h->o->role), why);
    disk_passes(h);
    note(h, "fatal", why);
    finish_reply(h, OX_REPLY_FATAL);
    host_exit(h, OX_EXIT_HARNESS);
}

static void on_start(simhost *h) {
    assert(h->step->kind == OX_STEP_START);
    if (h->svc != NULL)
        fatal_reply(h, h->step->seq, "START step, but the service is already started");
    ox_io io = { .ctx = h, .send = io_send, .set_timer = io_set_timer, .event = io_event,
                 .failpoint = io_failpoint, .inject = io_inject };
    char err[OX_SERVICE_ERR_MAX] = "";   /* the path and the reason after it, whole */
    h->svc = ox_service_open(h->o->role, h->o->db, &h->o->cfg, &io, err, sizeof err);
    /* Whatever failed it (a disk fault, a database tampered with, a foreign file), the
    ** reply names the file only; the simulator decides whether the node is restarted
    ** (sim/core/diskf.h, sim/core/tamper.h) or the run ends as a harness error. */
    if (h->svc == NULL) start_failed(h, "cannot open", node_open_error(err, h->o->db));
    ox_status st = ox_service_start(h->svc);
    if (st != OX_OK) {
        char text[OX_DETAIL_MAX + 1];
        start_failed(h, NULL, error_text(h, text, sizeof text));
    }
    assert(h->svc != NULL);
}

static void on_pay(simhost *h) {
    const ox_step *s = h->step;
    assert(s->kind == OX_STEP_PAY);
    assert(h->svc != NULL);
    ox_status st = ox_service_pay(h->svc, s->pay_id, s->account, s->amount);
    ox_effect e;
    memset(&e, 0, sizeof e);
    e.type = OX_FX_REPLY;
    e.pay = s->pay_id;
    e.ok = st == OX_OK;
    _Static_assert(sizeof e.detail > REPLY_DETAIL_MAX, "REPLY detail fits the effect");
    if (st == OX_OK) snprintf(e.detail, REPLY_DETAIL_MAX + 1, "committed");
    else {
        char text[OX_DETAIL_MAX + 1];
        snprintf(e.detail, REPLY_DETAIL_MAX + 1, "%s: %s",
                 st == OX_ERR_REFUSED ? "refused" : "error", error_text(h, text, sizeof text));
    }
    add(h, &e);
}

static void on_stop(simhost *h) {
    assert(h->step->kind == OX_STEP_STOP);
    if (h->svc != NULL) ox_service_close(h->svc);
    h->svc = NULL;
    finish_reply(h, OX_REPLY_OK);
    host_exit(h, OX_EXIT_OK);
}

/* Sets the clock libfaketime gives the service to clock_us: the digits of our own
** FAKETIME entry (put there by claim_clock) are rewritten in place, same length, so
** the environment never holds a partial value a reader could take for a time. */
static void set_clock(simhost *h, int64_t clock_us) {
    assert(h->clock != NULL);
    assert(strlen(h->clock) == OX_CLOCK_TEXT_LEN);   /* claim_clock's length, kept */
    char text[OX_CLOCK_TEXT_LEN + 1];
    ox_clock_text(clock_us, text);   /* ox_steps_decode bounds clock_us */
    assert(strlen(text) == OX_CLOCK_TEXT_LEN);
    memcpy(h->clock, text, OX_CLOCK_TEXT_LEN);
}

/* Handles one step into the open reply section. */
static void run_step(simhost *h, const ox_step *s) {
    assert(s != NULL);
    assert(s->narmed <= OX_STEP_MAX_ARMED);
    h->step = s;
    memset(h->passes, 0, sizeof h->passes);
    h->rejected = 0;
    h->disk_failed = 0;
    h->timer_due_min = INT64_MAX;
    h->ntimers = 0;
    vfs_step_begin();   /* between steps the operator's tool may write our files */
    set_clock(h, s->clock_us);
    if (s->kind != OX_STEP_START && s->kind != OX_STEP_STOP && h->svc == NULL) {
        char why[64];
        snprintf(why, sizeof why, "%s step before START", ox_step_kind_name(s->kind));
        fatal_reply(h, s->seq, why);
    }
    switch (s->kind) {
    case OX_STEP_START: on_start(h); break;
    case OX_STEP_FRAME:
        note_status(h, ox_service_on_frame(h->svc, s->from, s->frame, s->frame_len));
        break;
    case OX_STEP_TIMER: note_status(h, ox_service_on_timer(h->svc, (int)s->timer_id)); break;
    case OX_STEP_PAY: on_pay(h); break;
    case OX_STEP_STOP: on_stop(h); break;
    default: assert(!"ox_step_decode let an unknown kind through");
    }
    disk_passes(h);
    if (h->fatal[0]) fatal_reply(h, s->seq, h->fatal);
    assert(h->step == s);
}

/* After step i of n: may the batch go on to step i+1 without a difference from being
** stepped one event at a time (proto/step.h, "Batches")? */
static int may_go_on(const simhost *h, const ox_step *steps, unsigned n, unsigned i) {
    assert(i < n);
    assert(n <= OX_BATCH_MAX);
    if (i + 1 >= n || h->rb.overflow) return 0;
    if (h->rb.len > OX_REPLY_MAX - OX_STEP_MAX) return 0;   /* the next step keeps its room */
    const ox_step *next = &steps[i + 1];
    if (h->timer_due_min < next->vtime_us) return 0;        /* a timer fires first */
    if (h->ntimers < 0) return 0;
    for (unsigned j = i + 1; j < n; j++) {
        if (steps[j].kind != OX_STEP_TIMER) continue;
        for (int k = 0; k < h->ntimers; k++)
            if (h->timers[k] == steps[j].timer_id) return 0;   /* that step went stale */
    }
    return 1;
}

/* Whether a batch runs as one group commit (service.h): a batch of several steps, none
** armed (so no crash can come inside the group: the simulator kills a node only between
** round trips or at an armed failpoint), of a service that groups.  Everything the
** steps produce reaches the simulator in the reply, after the group committed, so the
** group changes no effect and no row, only how many commits write them. */
static int group_batch(const simhost *h, const ox_step *steps, unsigned n) {
    if (n < 2 || h->svc == NULL || h->o->role == OX_ROLE_BROKER) return 0;
    if (h->o->role == OX_ROLE_RELAY) return 0;   /* its claims stay their own transactions */
    for (unsigned i = 0; i < n; i++)
        if (steps[i].narmed > 0) return 0;
    return 1;
}

static void handle(simhost *h, const ox_step *steps, unsigned n) {
    assert(n >= 1);
    assert(n <= OX_BATCH_MAX);
    h->fatal[0] = '\0';
    h->batch_first = steps[0].seq;
    ox_reply_begin(&h->rb, h->buf, OX_REPLY_MAX, steps[0].seq);
    /* A group that cannot begin (never expected) leaves each step its own commit. */
    int grouped = group_batch(h, steps, n) && ox_service_group_begin(h->svc) == OX_OK;
    unsigned i = 0;
    for (;; i++) {
        run_step(h, &steps[i]);   /* a crash or a fatal error does not return */
        if (!may_go_on(h, steps, n, i)) break;
        ox_reply_next(&h->rb, steps[i + 1].seq);
    }
    if (grouped && ox_service_group_end(h->svc) != OX_OK) {
        char why[OX_DETAIL_MAX + 1];
        snprintf(why, sizeof why, "group commit of %u steps failed: %s", i + 1,
                 ox_service_error(h->svc));
        fatal_reply(h, steps[i].seq, why);
    }
    finish_reply(h, OX_REPLY_OK);
    h->step = NULL;
    h->batch_first = 0;
}

/* Receives one message into msg; exits OX_EXIT_HARNESS if the socket fails. */
static void recv_step(simhost *h, zmq_msg_t *msg) {
    while (zmq_msg_recv(msg, h->sock, 0) < 0) {
        if (errno == EINTR) continue;
        fprintf(stderr, "outbox-node: %s: cannot receive a step: %s\n",
                ox_role_name(h->o->role), zmq_strerror(errno));
        host_exit(h, OX_EXIT_HARNESS);
    }
}

static void serve(simhost *h) {
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        recv_step(h, &msg);
        static ox_step steps[OX_BATCH_MAX];
        unsigned n = 0;
        char err[256];
        if (ox_steps_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), steps, &n, err, sizeof err) !=
            0) {
            char why[300];
            snprintf(why, sizeof why, "malformed step: %s", err);
            zmq_msg_close(&msg);
            fatal_reply(h, steps[0].seq, why);
        }
        handle(h, steps, n);    /* the steps' frames point into msg: close it only after */
        zmq_msg_close(&msg);
    }
}

/* --sim-stdio: the next line of stdin, without its '\n', at h->line; returns its length.
** End of input (the simulator is gone) or a line over STEPJSON_STEP_MAX: exit 3. */
static size_t read_line(simhost *h) {
    for (;;) {
        char *nl = memchr(h->line, '\n', h->have);
        if (nl != NULL) return (size_t)(nl - h->line);
        if (h->have >= STEPJSON_STEP_MAX) {
            fprintf(stderr, "outbox-node: %s: a step line over %u bytes\n",
                    ox_role_name(h->o->role), STEPJSON_STEP_MAX);
            host_exit(h, OX_EXIT_HARNESS);
        }
        ssize_t r = read(h->in_fd, h->line + h->have, STEPJSON_STEP_MAX - h->have);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            fprintf(stderr, "outbox-node: %s: %s\n", ox_role_name(h->o->role),
                    r == 0 ? "end of input: the simulator is gone" : strerror(errno));
            host_exit(h, OX_EXIT_HARNESS);
        }
        h->have += (size_t)r;
        assert(h->have <= STEPJSON_STEP_MAX);
    }
}

/* --sim-stdio: serve() with a line for a message.  A line is translated into the
** binary STEP (stepjson_steps_to_bin) and handled as one; a line that does not translate
** is a malformed step. */
static void serve_stdio(simhost *h) {
    for (;;) {
        size_t len = read_line(h);
        static ox_step steps[OX_BATCH_MAX];
        unsigned n = 0;
        char err[400];
        size_t m = stepjson_steps_to_bin(h->line, len, h->stepbin, OX_STEP_MAX, err, sizeof err);
        if (m == 0 || ox_steps_decode(h->stepbin, m, steps, &n, err, sizeof err) != 0) {
            char why[OX_DETAIL_MAX + 1];
            snprintf(why, sizeof why, "malformed step line: %.400s", err);
            fatal_reply(h, 0, why);
        }
        assert(len < h->have);
        h->have -= len + 1;   /* the simulator sends nothing more before our reply */
        memmove(h->line, h->line + len + 1, h->have);
        handle(h, steps, n);   /* the steps' frames point into h->stepbin */
    }
}

/* --sim-stdio: our own copies of stdin and stdout for the protocol, and fd 0 and 1 made
** /dev/null and the log; the buffers of the translation.  0, or -1 said why. */
static int open_stdio(simhost *h) {
    h->in_fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
    h->out_fd = fcntl(1, F_DUPFD_CLOEXEC, 3);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (h->in_fd < 0 || h->out_fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0) {
        fprintf(stderr, "outbox-node: --sim-stdio: %s\n", strerror(errno));
        return -1;
    }
    close(null);
    h->line = malloc(STEPJSON_STEP_MAX);
    h->stepbin = malloc(OX_STEP_MAX);
    h->text = malloc(STEPJSON_REPLY_MAX + 1);
    h->scratch = calloc(OX_STEP_MAX_EFFECTS, sizeof *h->scratch);
    if (!h->line || !h->stepbin || !h->text || !h->scratch) {
        fprintf(stderr, "outbox-node: out of memory\n");
        return -1;
    }
    return 0;
}

/* Puts our own FAKETIME entry into the environment, before any other thread exists
** (ZeroMQ's start with its context), so that set_clock can rewrite it in place.  The
** simulator starts us with FAKETIME set to the clock of our first step. */
static int claim_clock(simhost *h) {
    static char entry[sizeof "FAKETIME=" + OX_CLOCK_TEXT_LEN] = "FAKETIME=";
    const char *now = getenv("FAKETIME");
    if (now == NULL || strlen(now) != OX_CLOCK_TEXT_LEN) {
        fprintf(stderr, "outbox-node: --sim needs FAKETIME set to a clock like 1700000000.000000 "
                        "(run me under outbox-sim)\n");
        return -1;
    }
    memcpy(entry + strlen("FAKETIME="), now, OX_CLOCK_TEXT_LEN + 1);
    if (putenv(entry) != 0) return -1;
    h->clock = entry + strlen("FAKETIME=");
    assert(strlen(h->clock) == OX_CLOCK_TEXT_LEN);   /* set_clock rewrites it in place */
    return 0;
}

ox_exit simhost_run(const node_opts *o) {
    assert(o->sim != NULL);
    assert(o->db != NULL);
    assert(!o->client);
    /* Die with the simulator, and do not start if it is already gone. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        fprintf(stderr, "outbox-node: prctl(PR_SET_PDEATHSIG): %s\n", strerror(errno));
        return OX_EXIT_HARNESS;
    }
    if (getppid() == 1) return OX_EXIT_HARNESS;
    simhost h;
    memset(&h, 0, sizeof h);
    h.o = o;
    h.in_fd = h.out_fd = -1;
    if (claim_clock(&h) != 0) return OX_EXIT_HARNESS;
    vfs_set_fault_hook(disk_hook, &h);   /* asked only if the VFS is installed (main.c) */
    memf_set_hook(alloc_hook, &h);       /* main.c wrapped SQLite's allocator (memf.h) */
    const char *sp = getenv("OUTBOX_SYNC_POINTS");
    if (sp != NULL && strcmp(sp, "1") == 0) vfs_set_sync_hook(sync_point, &h);
    vfs_set_buffered(1);                 /* flushed before every reply (send_bytes) */
    h.buf = malloc(OX_REPLY_MAX);
    if (o->sim_stdio) {   /* no ZeroMQ at all: the pipes are the transport */
        if (h.buf == NULL || open_stdio(&h) != 0) host_exit(&h, OX_EXIT_HARNESS);
        serve_stdio(&h);
    }
    h.zctx = zmq_ctx_new();
    if (h.buf == NULL || h.zctx == NULL) {
        fprintf(stderr, "outbox-node: out of memory\n");
        host_exit(&h, OX_EXIT_HARNESS);
    }
    h.sock = zmq_socket(h.zctx, ZMQ_PAIR);
    ox_exit code = OX_EXIT_HARNESS;
    if (h.sock == NULL || zh_setint(h.sock, ZMQ_LINGER, 0, "ZMQ_LINGER") != 0 ||
        zh_connect(h.sock, o->sim, "--sim", &code) != 0)
        host_exit(&h, code);
    serve(&h);
    return OX_EXIT_HARNESS;   /* not reached: serve() exits */
}
