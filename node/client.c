/*
** client.c: --role client, a tiny client of a live payment daemon.
**
** Sends --count payments ("PAY <id> <account> <amount>", ids --first-id upwards) one
** at a time over a REQ socket, prints each answer on stdout, and exits 0 (OX_EXIT_OK)
** if every one was OK, 1 (OX_EXIT_FAIL) if any FAILED (or was answered ERROR), 3
** (OX_EXIT_HARNESS) if an answer did not come within ANSWER_TIMEOUT_MS: then the
** payment's outcome is unknown, and paying the same id again is safe (the id is the
** idempotency key).
*/
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "node.h"

#define ANSWER_TIMEOUT_MS 5000
#define ANSWER_MAX 512

/* Sends one request and reads its answer into ans[cap].  0, or the exit code. */
static ox_exit ask(void *sock, const node_opts *o, uint64_t id, char *ans, size_t cap) {
    assert(sock != NULL);
    assert(cap > 1);
    char req[128];
    int n = snprintf(req, sizeof req, "PAY %" PRIu64 " %" PRIu32 " %" PRId64, id, o->account,
                     o->amount);
    assert(n > 0);
    assert((size_t)n < sizeof req);
    if (zmq_send(sock, req, (size_t)n, 0) < 0) {
        fprintf(stderr, "outbox-node: client: cannot send payment %" PRIu64 " to %s: %s\n", id,
                o->payment, zmq_strerror(errno));
        return OX_EXIT_HARNESS;
    }
    int got = zmq_recv(sock, ans, cap - 1, 0);
    if (got < 0 && errno == EAGAIN) {
        fprintf(stderr, "outbox-node: client: no answer from %s for payment %" PRIu64
                " within %d s\n", o->payment, id, ANSWER_TIMEOUT_MS / 1000);
        return OX_EXIT_HARNESS;
    }
    if (got < 0) {
        fprintf(stderr, "outbox-node: client: cannot receive the answer for payment %" PRIu64
                " from %s: %s\n", id, o->payment, zmq_strerror(errno));
        return OX_EXIT_HARNESS;
    }
    assert(got >= 0);
    ans[(size_t)got < cap - 1 ? (size_t)got : cap - 1] = '\0';   /* zmq_recv truncates */
    return OX_EXIT_OK;
}

static ox_exit pay_all(void *sock, const node_opts *o) {
    assert(o->count > 0);
    int failed = 0;
    for (uint64_t i = 0; i < o->count; i++) {
        char ans[ANSWER_MAX];
        ox_exit code = ask(sock, o, o->first_id + i, ans, sizeof ans);
        if (code != OX_EXIT_OK) return code;
        printf("%s\n", ans);
        fflush(stdout);
        if (strncmp(ans, "OK ", 3) != 0) failed = 1;
    }
    return failed ? OX_EXIT_FAIL : OX_EXIT_OK;
}

ox_exit client_run(const node_opts *o) {
    assert(o->client);
    assert(o->payment != NULL);
    assert(o->count > 0);
    assert(o->first_id <= UINT64_MAX - o->count);
    void *ctx = zmq_ctx_new();
    if (ctx == NULL) {
        fprintf(stderr, "outbox-node: cannot create a ZeroMQ context: %s\n", zmq_strerror(errno));
        return OX_EXIT_HARNESS;
    }
    ox_exit code = OX_EXIT_HARNESS;
    void *sock = zmq_socket(ctx, ZMQ_REQ);
    if (sock != NULL && zh_setint(sock, ZMQ_LINGER, 0, "ZMQ_LINGER") == 0 &&
        zh_setint(sock, ZMQ_RCVTIMEO, ANSWER_TIMEOUT_MS, "ZMQ_RCVTIMEO") == 0 &&
        zh_setint(sock, ZMQ_SNDTIMEO, ANSWER_TIMEOUT_MS, "ZMQ_SNDTIMEO") == 0 &&
        zh_connect(sock, o->payment, "--payment", &code) == 0)
        code = pay_all(sock, o);
    zh_close(sock, 0);
    zmq_ctx_term(ctx);
    return code;
}
