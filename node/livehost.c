/*
** livehost.c: the daemon host (the default mode): one service as a real process that
** talks ZeroMQ over TCP and runs on real time.
**
**   broker       ROUTER bound to --broker, ZMQ_ROUTER_MANDATORY, so a frame for a
**                peer that is not connected fails at once (EHOSTUNREACH) and is
**                logged as lost instead of queueing silently; at-least-once
**                redelivery covers it.  ZMQ_ROUTER_HANDOVER lets a restarted peer
**                take its name back from a connection that has not yet been reaped.
**                Frames are [peer name][bytes].
**   payment,     DEALER named after the instance (--name; the role by default:
**                ZMQ_ROUTING_ID), connected to
**   accounting   --broker; every frame goes to and comes from "broker".
**   payment      also a REP bound to --listen for clients:
**                "PAY <id> <account> <amount>" -> "OK <id>" | "FAILED <id> <reason>",
**                anything else -> "ERROR <reason>".
**
** Group commit (--group N, payment and accounting, design outbox; service.h): the
** frames drained from the broker in one poll round are handled in groups of up to N
** per transaction.  While a group is open, every frame the service sends is held in a
** buffer of HELD_MAX frames; they leave, in order, only after the group's COMMIT, and
** are dropped (one "error" line) if it fails: the broker redelivers what was not acked
** and the payment's scan republishes.  A group ends when it has N frames, when its
** held frames could overflow the buffer with one more frame's (SENDS_PER_FRAME), and at
** the end of the round.  Client payments and timers never run inside a group.
**
** Timers are CLOCK_REALTIME deadlines (timers.h); the poll never sleeps longer than
** POLL_CAP_MS, so a libfaketime speed-up, a clock step or a signal that landed on a
** ZeroMQ thread is noticed promptly.  Every service event is one line on stderr:
** "<role> <kind> pay=<id> <detail>".  SIGINT/SIGTERM close the service and exit 0
** (OX_EXIT_OK).
*/
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "node.h"
#include "timers.h"

#define POLL_CAP_MS 100        /* longest sleep in one poll */
#define DRAIN_MAX 256          /* messages read from one socket per poll round */
#define FIRE_MAX (NODE_TIMERS * 4)   /* timer calls per round: a 0 ms timer cannot spin us */
#define MSG_MAX 65536          /* larger peers' messages are refused by ZeroMQ itself */
#define REQUEST_MAX 128        /* longest client request we parse */
#define CLOSE_LINGER_MS 500    /* on a clean stop, frames already queued may leave */
#define HELD_MAX 512           /* frames held for a group's COMMIT */
#define SENDS_PER_FRAME 2      /* most a service sends per frame: an answer and an ack */

typedef struct {
    size_t len;
    uint8_t bytes[OX_FRAME_MAX];
} held_frame;

typedef struct {
    const node_opts *o;
    const char *name;          /* role name: the first word of every log line */
    void *zctx;
    void *peer;                /* broker: ROUTER; payment/accounting: DEALER */
    void *clients;             /* payment: REP for clients; else NULL */
    ox_service *svc;
    node_timers timers;
    uint64_t lost;             /* frames ZeroMQ would not take */
    int rejected;              /* the service logged a "reject" during the current call */
    int group_max;             /* frames from the broker per transaction; 1: no groups */
    int grouped;               /* a group is open: sends are held */
    int group_frames;          /* frames handled in the open group */
    held_frame *held;          /* HELD_MAX frames waiting for the group's COMMIT */
    int nheld;
} livehost;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

static void logline(const livehost *h, const char *kind, uint64_t pay, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void logline(const livehost *h, const char *kind, uint64_t pay, const char *fmt, ...) {
    assert(h->name != NULL);
    assert(kind != NULL);
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s pay=%" PRIu64 " %s\n", h->name, kind, pay, detail);
}

/* ---- the service's io callbacks -------------------------------------------- */

static void lost_frame(livehost *h, const char *to, const ox_frame *f, int err) {
    char label[64];
    node_frame_label(f, label, sizeof label);
    h->lost++;
    logline(h, "lost", f->type == OX_F_DACK ? 0 : f->msg.pay_id,
            "%s to %s not sent: %s (lost frames so far: %" PRIu64 ")", label, to,
            err == EHOSTUNREACH ? "peer not connected" : zmq_strerror(err), h->lost);
}

static void io_send(void *ctx, const char *to, const uint8_t *bytes, size_t len,
                    const ox_frame *f) {
    livehost *h = ctx;
    assert(to != NULL);
    assert(bytes != NULL);
    assert(f != NULL);
    if (h->o->role == OX_ROLE_BROKER) {
        /* Never block: a full or missing peer loses the frame, as a network would. */
        if (zmq_send(h->peer, to, strlen(to), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
            zmq_send(h->peer, bytes, len, ZMQ_DONTWAIT) < 0)
            lost_frame(h, to, f, errno);
        return;
    }
    if (strcmp(to, ox_role_name(OX_ROLE_BROKER)) != 0) {   /* only through the broker */
        logline(h, "error", 0, "service asked to send to '%s'; only the broker is reachable", to);
        return;
    }
    if (h->grouped) {
        /* group_step leaves room for every frame's sends: running out is a host bug,
        ** and then the frame is lost as the network could lose it */
        if (h->nheld == HELD_MAX || len > OX_FRAME_MAX) { lost_frame(h, to, f, ENOBUFS); return; }
        h->held[h->nheld].len = len;
        memcpy(h->held[h->nheld].bytes, bytes, len);
        h->nheld++;
        return;
    }
    if (zmq_send(h->peer, bytes, len, ZMQ_DONTWAIT) < 0) lost_frame(h, to, f, errno);
}

static void io_set_timer(void *ctx, int id, int64_t delay_ms) {
    livehost *h = ctx;
    assert(id >= 0);
    assert(delay_ms >= 0);
    if (timers_set(&h->timers, id, timers_now_ms() + delay_ms) != 0)
        logline(h, "error", 0, "timer table full, timer %d dropped", id);
}

static void io_event(void *ctx, const char *kind, uint64_t pay, const char *detail) {
    livehost *h = ctx;
    if (kind && strcmp(kind, "reject") == 0) h->rejected = 1;
    logline(h, kind ? kind : "?", pay, "%s", detail ? detail : "");
}

/* ---- frames from peers ----------------------------------------------------- */

/* Logs a failed call once: a rejected frame the service already logged is not repeated. */
static void report(livehost *h, ox_status st) {
    int logged = h->rejected;
    h->rejected = 0;
    if (st == OX_OK || (st == OX_ERR_FRAME && logged)) return;
    logline(h, st == OX_ERR_FRAME ? "reject" : "error", 0, "%s", ox_service_error(h->svc));
}

/* Reads the rest of a multipart message nobody asked for. */
static void discard_more(void *sock) {
    for (int i = 0; i < 64; i++) {
        int more = 0;
        size_t sz = sizeof more;
        if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) != 0 || !more) return;
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc = zmq_msg_recv(&m, sock, ZMQ_DONTWAIT);
        zmq_msg_close(&m);
        if (rc < 0) return;
    }
}

/* A peer name we can route to: printable ASCII that fits out[cap].  ZeroMQ makes up
** a binary name for a peer that set no ZMQ_ROUTING_ID: such a peer is not ours. */
static int peer_name(zmq_msg_t *m, char *out, size_t cap) {
    assert(out != NULL);
    assert(cap > 1);
    size_t n = zmq_msg_size(m);
    const unsigned char *p = zmq_msg_data(m);
    if (n == 0 || n >= cap) return -1;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7e) return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* Broker: one [name][bytes] message.  Returns 0 if one was read, -1 if none waited. */
static int recv_routed(livehost *h) {
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, h->peer, ZMQ_DONTWAIT) < 0) { zmq_msg_close(&id); return -1; }
    char from[65];
    int named = peer_name(&id, from, sizeof from) == 0;
    int more = zmq_msg_more(&id);
    zmq_msg_close(&id);
    if (!more) { logline(h, "reject", 0, "message without a body from a peer"); return 0; }
    zmq_msg_init(&body);
    if (zmq_msg_recv(&body, h->peer, ZMQ_DONTWAIT) < 0) { zmq_msg_close(&body); return 0; }
    if (zmq_msg_more(&body)) {
        discard_more(h->peer);
        logline(h, "reject", 0, "message of more than one frame from %s", named ? from : "?");
    } else if (!named) {
        logline(h, "reject", 0, "frame from a peer without a routing id");
    } else {
        report(h, ox_service_on_frame(h->svc, from, zmq_msg_data(&body), zmq_msg_size(&body)));
    }
    zmq_msg_close(&body);
    return 0;
}

/* ---- group commit ---------------------------------------------------------- */

/* The held frames, in order, after the group's COMMIT. */
static void flush_held(livehost *h) {
    assert(!h->grouped);   /* only what a committed group held may leave */
    assert(h->nheld >= 0);
    assert(h->nheld <= HELD_MAX);
    for (int i = 0; i < h->nheld; i++) {
        const held_frame *m = &h->held[i];
        if (zmq_send(h->peer, m->bytes, m->len, ZMQ_DONTWAIT) >= 0) continue;
        int err = errno;
        ox_frame f;
        if (ox_wire_decode(m->bytes, m->len, &f) == OX_WIRE_OK) lost_frame(h, "broker", &f, err);
    }
    h->nheld = 0;
}

static void group_begin(livehost *h) {
    assert(!h->grouped);
    assert(h->group_max > 1);
    if (ox_service_group_begin(h->svc) != OX_OK) {
        logline(h, "error", 0, "cannot begin a group, the frame commits alone: %s",
                ox_service_error(h->svc));
        return;
    }
    h->grouped = 1;
    h->group_frames = 0;
    h->nheld = 0;
}

/* Commits the open group (if any) and sends what it held; drops them if it failed. */
static void group_end(livehost *h) {
    if (!h->grouped) return;
    h->grouped = 0;
    if (ox_service_group_end(h->svc) == OX_OK) { flush_held(h); return; }
    logline(h, "error", 0, "group of %d frames not committed, its %d frames to the broker"
            " dropped (the broker redelivers): %s", h->group_frames, h->nheld,
            ox_service_error(h->svc));
    h->nheld = 0;
}

/* Before a frame from the broker: end a full group, begin one if none is open. */
static void group_step(livehost *h) {
    if (h->group_max <= 1) return;
    if (h->grouped && (h->group_frames >= h->group_max || h->nheld + SENDS_PER_FRAME > HELD_MAX))
        group_end(h);
    if (!h->grouped) group_begin(h);
    if (h->grouped) h->group_frames++;
    assert(!h->grouped || h->group_frames <= h->group_max);
    assert(!h->grouped || h->nheld + SENDS_PER_FRAME <= HELD_MAX);
}

/* Payment/accounting: one frame from the broker.  0 if one was read, -1 if none. */
static int recv_dealer(livehost *h) {
    zmq_msg_t body;
    zmq_msg_init(&body);
    if (zmq_msg_recv(&body, h->peer, ZMQ_DONTWAIT) < 0) { zmq_msg_close(&body); return -1; }
    if (zmq_msg_more(&body)) {
        discard_more(h->peer);
        logline(h, "reject", 0, "message of more than one frame from broker");
    } else {
        group_step(h);
        report(h, ox_service_on_frame(h->svc, "broker", zmq_msg_data(&body), zmq_msg_size(&body)));
    }
    zmq_msg_close(&body);
    return 0;
}

/* ---- client requests (payment) --------------------------------------------- */

/* Parses all of s as a decimal integer in [min, max]. */
static int parse_int(const char *s, long long min, long long max, long long *out) {
    if (!((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9'))) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) return -1;
    *out = v;
    return 0;
}

/* "PAY <id> <account> <amount>" -> the answer, in ans[cap]. */
static void answer(livehost *h, char *req, char *ans, size_t cap) {
    assert(req != NULL);
    assert(ans != NULL);
    assert(cap > 0);
    char *save = NULL;
    char *w[5] = { NULL };
    int n = 0;
    for (char *t = strtok_r(req, " ", &save); t != NULL && n < 5; t = strtok_r(NULL, " ", &save))
        w[n++] = t;
    if (n != 4 || strcmp(w[0], "PAY") != 0) {
        snprintf(ans, cap, "ERROR expected 'PAY <id> <account> <amount>'");
        return;
    }
    long long id, account, amount;
    if (parse_int(w[1], 1, INT64_MAX, &id) != 0) {
        snprintf(ans, cap, "ERROR bad payment id '%s'", w[1]);
        return;
    }
    if (parse_int(w[2], 0, UINT32_MAX, &account) != 0) {
        snprintf(ans, cap, "ERROR bad account '%s'", w[2]);
        return;
    }
    if (parse_int(w[3], INT64_MIN, INT64_MAX, &amount) != 0) {
        snprintf(ans, cap, "ERROR bad amount '%s'", w[3]);
        return;
    }
    ox_status st = ox_service_pay(h->svc, (uint64_t)id, (uint32_t)account, amount);
    h->rejected = 0;   /* report() is not called for payments: do not let it leak */
    if (st == OX_OK) snprintf(ans, cap, "OK %lld", id);
    else snprintf(ans, cap, "FAILED %lld %s", id, ox_service_error(h->svc));
}

/* One client request, answered.  0 if one was read, -1 if none waited. */
static int serve_client(livehost *h) {
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, h->clients, ZMQ_DONTWAIT) < 0) { zmq_msg_close(&m); return -1; }
    char req[REQUEST_MAX + 1], ans[256];
    size_t n = zmq_msg_size(&m);
    if (zmq_msg_more(&m)) {
        discard_more(h->clients);
        snprintf(ans, sizeof ans, "ERROR a request is one frame");
    } else if (n > REQUEST_MAX) {
        snprintf(ans, sizeof ans, "ERROR request longer than %d bytes", REQUEST_MAX);
    } else {
        memcpy(req, zmq_msg_data(&m), n);
        req[n] = '\0';
        if (strlen(req) != n) snprintf(ans, sizeof ans, "ERROR request contains a NUL byte");
        else answer(h, req, ans, sizeof ans);
    }
    zmq_msg_close(&m);
    /* A REP must answer before it can read again; the answer is small, so it never waits. */
    if (zmq_send(h->clients, ans, strlen(ans), 0) < 0)
        logline(h, "error", 0, "cannot answer client: %s", zmq_strerror(errno));
    return 0;
}

/* ---- the loop -------------------------------------------------------------- */

static void drain(livehost *h, int (*one)(livehost *), int max) {
    for (int i = 0; i < max && !stop_signal; i++)
        if (one(h) != 0) return;
}

/* Payment/accounting: the frames waiting from the broker, in groups; none left open. */
static void drain_broker(livehost *h) {
    drain(h, recv_dealer, h->group_max > DRAIN_MAX ? h->group_max : DRAIN_MAX);
    group_end(h);
}

static void fire_timers(livehost *h) {
    int id;
    for (int i = 0; i < FIRE_MAX && timers_pop_due(&h->timers, timers_now_ms(), &id); i++)
        report(h, ox_service_on_timer(h->svc, id));
}

static ox_exit loop(livehost *h) {
    assert(h->svc != NULL);
    assert(h->peer != NULL);
    while (!stop_signal) {
        zmq_pollitem_t items[2] = {
            { .socket = h->peer, .events = ZMQ_POLLIN },
            { .socket = h->clients, .events = ZMQ_POLLIN },
        };
        int nitems = h->clients ? 2 : 1;
        assert((h->clients != NULL) == (h->o->role == OX_ROLE_PAYMENT));
        long wait = (long)timers_wait_ms(&h->timers, timers_now_ms(), POLL_CAP_MS);
        if (zmq_poll(items, nitems, wait) < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "outbox-node: %s: poll failed: %s\n", h->name, zmq_strerror(errno));
            return OX_EXIT_HARNESS;
        }
        if (items[0].revents & ZMQ_POLLIN) {
            if (h->o->role == OX_ROLE_BROKER) drain(h, recv_routed, DRAIN_MAX);
            else drain_broker(h);
        }
        if (nitems > 1 && (items[1].revents & ZMQ_POLLIN)) drain(h, serve_client, DRAIN_MAX);
        fire_timers(h);
    }
    return OX_EXIT_OK;
}

/* ---- set-up and tear-down -------------------------------------------------- */

static int set_maxmsg(void *sock) {
    int64_t max = MSG_MAX;
    if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max) == 0) return 0;
    fprintf(stderr, "outbox-node: cannot set ZMQ_MAXMSGSIZE: %s\n", zmq_strerror(errno));
    return -1;
}

/* Creates and attaches the sockets.  Returns 0, or the exit code. */
static ox_exit open_sockets(livehost *h) {
    const node_opts *o = h->o;
    ox_exit code = OX_EXIT_HARNESS;
    int broker = o->role == OX_ROLE_BROKER;
    h->peer = zmq_socket(h->zctx, broker ? ZMQ_ROUTER : ZMQ_DEALER);
    if (h->peer == NULL || set_maxmsg(h->peer) != 0 ||
        zh_setint(h->peer, ZMQ_LINGER, 0, "ZMQ_LINGER") != 0)
        return code;
    if (broker) {
        if (zh_setint(h->peer, ZMQ_ROUTER_MANDATORY, 1, "ZMQ_ROUTER_MANDATORY") != 0 ||
            zh_setint(h->peer, ZMQ_ROUTER_HANDOVER, 1, "ZMQ_ROUTER_HANDOVER") != 0 ||
            zh_bind(h->peer, o->broker, "--broker", &code) != 0)
            return code;
    } else {
        if (zmq_setsockopt(h->peer, ZMQ_ROUTING_ID, h->name, strlen(h->name)) != 0) {
            fprintf(stderr, "outbox-node: cannot set ZMQ_ROUTING_ID: %s\n", zmq_strerror(errno));
            return code;
        }
        if (zh_connect(h->peer, o->broker, "--broker", &code) != 0) return code;
    }
    if (o->role != OX_ROLE_PAYMENT) return OX_EXIT_OK;
    h->clients = zmq_socket(h->zctx, ZMQ_REP);
    if (h->clients == NULL || set_maxmsg(h->clients) != 0 ||
        zh_setint(h->clients, ZMQ_LINGER, 0, "ZMQ_LINGER") != 0 ||
        zh_bind(h->clients, o->listen, "--listen", &code) != 0)
        return code;
    return OX_EXIT_OK;
}

static void close_all(livehost *h) {
    assert(!h->grouped);
    if (h->svc) ox_service_close(h->svc);
    free(h->held);
    zh_close(h->peer, CLOSE_LINGER_MS);
    zh_close(h->clients, 0);
    if (h->zctx) zmq_ctx_term(h->zctx);
}

static void catch_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   /* no SA_RESTART: zmq_poll returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Block, or unblock, SIGINT and SIGTERM in the calling thread. */
static void mask_signals(int how) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(how, &set, NULL);
}

static ox_exit start(livehost *h) {
    const node_opts *o = h->o;
    /* ZeroMQ's threads inherit this mask, so the signals reach the polling thread. */
    mask_signals(SIG_BLOCK);
    h->zctx = zmq_ctx_new();
    mask_signals(SIG_UNBLOCK);
    if (h->zctx == NULL) {
        fprintf(stderr, "outbox-node: cannot create a ZeroMQ context: %s\n", zmq_strerror(errno));
        return OX_EXIT_HARNESS;
    }
    ox_exit code = open_sockets(h);
    if (code != OX_EXIT_OK) return code;
    h->group_max = o->group > 1 ? o->group : 1;
    if (h->group_max > 1 && (h->held = malloc(HELD_MAX * sizeof *h->held)) == NULL) {
        fprintf(stderr, "outbox-node: out of memory for --group\n");
        return OX_EXIT_HARNESS;
    }
    ox_io io = { .ctx = h, .send = io_send, .set_timer = io_set_timer, .event = io_event,
                 .failpoint = NULL };   /* io.h: failpoints are for test hosts */
    char err[OX_SERVICE_ERR_MAX] = "";   /* the path and the reason after it, whole */
    h->svc = ox_service_open(o->role, o->db, &o->cfg, &io, err, sizeof err);
    if (h->svc == NULL) {
        fprintf(stderr, "outbox-node: cannot open %s: %s\n", o->db, node_open_error(err, o->db));
        return OX_EXIT_HARNESS;
    }
    if (ox_service_start(h->svc) != OX_OK) {
        fprintf(stderr, "outbox-node: cannot start %s: %s\n", h->name, ox_service_error(h->svc));
        return OX_EXIT_HARNESS;
    }
    char group[64] = "";
    if (o->role != OX_ROLE_BROKER)
        snprintf(group, sizeof group, ", group %d%s", h->group_max,
                 h->group_max > 1 ? " frames per commit" : " (off)");
    if (o->role == OX_ROLE_PAYMENT)
        logline(h, "ready", 0, "pid %ld, design %s, db %s, broker %s, clients on %s%s",
                (long)getpid(), ox_design_name(o->cfg.design), o->db, o->broker, o->listen, group);
    else
        logline(h, "ready", 0, "pid %ld, design %s, db %s, broker %s%s", (long)getpid(),
                ox_design_name(o->cfg.design), o->db, o->broker, group);
    return OX_EXIT_OK;
}

ox_exit livehost_run(const node_opts *o) {
    assert(o->sim == NULL);
    assert(o->db != NULL);
    assert(o->broker != NULL);
    assert(!o->client);
    /* main.c: groups only for payment and accounting of design outbox */
    assert(o->group <= 1 || (o->role != OX_ROLE_BROKER && o->cfg.design == OX_DESIGN_OUTBOX));
    assert(o->group <= NODE_GROUP_MAX);
    livehost h;
    memset(&h, 0, sizeof h);
    h.o = o;
    h.name = o->name;   /* main.c: the role's name unless --name said ROLE-N */
    stop_signal = 0;
    catch_signals();
    ox_exit code = start(&h);
    if (code == OX_EXIT_OK) code = loop(&h);
    if (code == OX_EXIT_OK)
        logline(&h, "stopped", 0, "on %s", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    close_all(&h);
    return code;
}
