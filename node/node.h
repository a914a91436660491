/*
** node.h: what the parts of bin/outbox-node share.
**
** main.c turns the command line into a node_opts and hands it to one host:
**   simhost.c   --sim ENDPOINT: lockstep under the simulator (proto/step.h)
**   livehost.c  the default: a real daemon over ZeroMQ TCP with real time
**   client.c    --role client: sends payments to a live payment daemon
** Each host returns the process exit code (proto/exit.h): OX_EXIT_OK fine,
** OX_EXIT_FAIL a payment failed (client), OX_EXIT_USAGE bad usage, OX_EXIT_HARNESS the
** runtime failed (a socket, a file, memory).
*/
#ifndef NODE_H
#define NODE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../lib/config.h"
#include "../lib/service.h"
#include "../lib/wire.h"
#include "../proto/exit.h"

#define NODE_GROUP_DEFAULT 64    /* --group: frames from the broker per transaction */
#define NODE_GROUP_MAX 1024

#define NODE_DEFAULT_BROKER "tcp://127.0.0.1:5570"
#define NODE_DEFAULT_LISTEN "tcp://127.0.0.1:5571"

typedef struct {
    int client;              /* --role client (then `role` is unused) */
    ox_role role;            /* --role payment|broker|accounting */
    const char *name;        /* --name: the instance's address ("accounting-2"): its
                             ** ZeroMQ routing id live; the role's name by default */
    const char *db;          /* --db PATH (services) */
    ox_config cfg;           /* defaults, then --design, --knob, --seed */
    const char *sim;         /* --sim ENDPOINT, or NULL for live ("stdio" with sim_stdio) */
    int sim_stdio;           /* --sim-stdio: the text encoding on stdin and stdout */
    const char *broker;      /* live: the broker's endpoint */
    const char *listen;      /* live payment: where clients send payments */
    int group;               /* live payment/accounting: frames from the broker per
                             ** transaction (--group, 1..NODE_GROUP_MAX; 1: each frame
                             ** its own, always so unless design outbox); 0 elsewhere */
    const char *payment;     /* client: the payment daemon's endpoint */
    uint64_t count;          /* client: payments to send */
    uint64_t first_id;       /* client: id of the first one */
    int64_t amount;          /* client: cents per payment */
    uint32_t account;        /* client: paying account */
} node_opts;

ox_exit simhost_run(const node_opts *o);
ox_exit livehost_run(const node_opts *o);
ox_exit client_run(const node_opts *o);

/* The library's open errors already start with "PATH: "; hosts print
** "cannot open PATH: <rest>" without saying the path twice. */
static inline const char *node_open_error(const char *err, const char *path) {
    size_t n = strlen(path);
    return strncmp(err, path, n) == 0 && err[n] == ':' && err[n + 1] == ' ' ? err + n + 2 : err;
}

/* label.c: "PUBLISH PAYMENT", "DELIVER CONSUMED", "DACK", ... into out[cap]. */
void node_frame_label(const ox_frame *f, char *out, size_t cap);

/* zhelp.c: ZeroMQ set-up shared by the hosts.  Each prints its own one-line error
** ("outbox-node: cannot bind tcp://...: Address already in use") and returns -1. */
int zh_setint(void *sock, int opt, int value, const char *what);
/* Binds or connects; an endpoint ZeroMQ cannot parse is a usage error
** (*code = OX_EXIT_USAGE), anything else a runtime error (*code = OX_EXIT_HARNESS). */
int zh_bind(void *sock, const char *endpoint, const char *flag, ox_exit *code);
int zh_connect(void *sock, const char *endpoint, const char *flag, ox_exit *code);
/* Closes a socket after waiting at most linger_ms for queued messages to leave. */
void zh_close(void *sock, int linger_ms);

#endif
