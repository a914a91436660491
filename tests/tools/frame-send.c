/*
** frame-send.c: sends malformed input to a live outbox-node daemon (tests only).
**
**   frame-send --dealer ENDPOINT --id NAME KIND...
**       connects a DEALER named NAME (as payment and accounting do) to the broker at
**       ENDPOINT and sends one message per KIND, in order:
**         truncated     a PUBLISH cut short by 5 bytes
**         oversized     a header stating a body of 592 bytes, and those bytes (600 in all,
**                       over the 512-byte frame limit, under ZeroMQ's message limit)
**         huge          70000 bytes: over the daemon's ZeroMQ message limit
**         unknown-type  a PUBLISH whose type byte says 9
**         bad-magic     a PUBLISH starting "XX"
**         trailing      a valid DACK and one byte more
**         empty         zero bytes
**         multipart     a valid DACK split over two message parts
**       Valid frames are made with the library's encoder and then broken, so the kinds
**       stay what they say when the format changes.
**   frame-send --req ENDPOINT TEXT
**       sends TEXT as one request to a payment daemon's client port and prints the
**       answer (exit 1 if none comes within 5 s).
**
** Prints one line per message sent.  Exit 0 sent, 1 no answer, 2 bad usage, 3 ZeroMQ
** failed.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "../../lib/wire.h"

#define HUGE_LEN 70000
#define ANSWER_TIMEOUT_MS 5000
#define LINGER_MS 2000

static int usage(void) {
    fprintf(stderr, "usage: frame-send --dealer ENDPOINT --id NAME KIND...\n"
                    "       frame-send --req ENDPOINT TEXT\n");
    return 2;
}

/* A well-formed frame of `type` (PUBLISH or DACK), built by its constructor. */
static size_t valid(uint8_t type, uint8_t *out) {
    ox_msg m = { .kind = OX_M_PAYMENT, .msg_id = 1, .pay_id = 1, .account = 1, .amount = 100,
                 .attempt = 1 };
    ox_frame f = type == OX_F_DACK ? ox_wire_dack(OX_PAY_QUEUE, 1)
                                   : ox_wire_publish(OX_PAY_QUEUE, &m);
    ox_wire_err e;
    size_t n = ox_wire_encode(&f, out, OX_FRAME_MAX, &e);
    if (n == 0) {
        fprintf(stderr, "frame-send: cannot encode: %s\n", ox_wire_strerror(e));
        exit(3);
    }
    return n;
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Builds the message of `kind` into buf[HUGE_LEN]; returns its length, or -1. */
static long build(const char *kind, uint8_t *buf) {
    size_t n;
    if (!strcmp(kind, "truncated")) return (long)valid(OX_F_PUBLISH, buf) - 5;
    if (!strcmp(kind, "oversized")) {
        valid(OX_F_PUBLISH, buf);
        memset(buf + OX_FRAME_HEADER, 'x', 600 - OX_FRAME_HEADER);
        put_u32(buf + 4, 600 - OX_FRAME_HEADER);
        return 600;
    }
    if (!strcmp(kind, "huge")) {
        memset(buf, 'h', HUGE_LEN);
        return HUGE_LEN;
    }
    if (!strcmp(kind, "unknown-type")) { n = valid(OX_F_PUBLISH, buf); buf[3] = 9; return (long)n; }
    if (!strcmp(kind, "bad-magic")) {
        n = valid(OX_F_PUBLISH, buf);
        buf[0] = buf[1] = 'X';
        return (long)n;
    }
    if (!strcmp(kind, "trailing")) { n = valid(OX_F_DACK, buf); buf[n] = 0; return (long)n + 1; }
    if (!strcmp(kind, "empty")) return 0;
    if (!strcmp(kind, "multipart")) return (long)valid(OX_F_DACK, buf);
    return -1;
}

static int zfail(const char *what) {
    fprintf(stderr, "frame-send: %s: %s\n", what, zmq_strerror(zmq_errno()));
    return 3;
}

static int dealer(void *ctx, const char *endpoint, const char *id, int nkinds, char **kinds) {
    static uint8_t buf[HUGE_LEN + 1];
    for (int i = 0; i < nkinds; i++)
        if (build(kinds[i], buf) < 0) {
            fprintf(stderr, "frame-send: unknown kind '%s'\n", kinds[i]);
            return 2;
        }
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = LINGER_MS;
    if (s == NULL || zmq_setsockopt(s, ZMQ_ROUTING_ID, id, strlen(id)) != 0 ||
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0)
        return zfail("socket");
    if (zmq_connect(s, endpoint) != 0) return zfail(endpoint);
    for (int i = 0; i < nkinds; i++) {
        long n = build(kinds[i], buf);
        int multi = !strcmp(kinds[i], "multipart");
        size_t first = multi ? (size_t)n / 2 : (size_t)n;
        if (zmq_send(s, buf, first, multi ? ZMQ_SNDMORE : 0) < 0) return zfail("send");
        if (multi && zmq_send(s, buf + first, (size_t)n - first, 0) < 0) return zfail("send");
        printf("sent %s (%ld bytes)\n", kinds[i], n);
    }
    zmq_close(s);   /* waits up to LINGER_MS for the messages to leave */
    return 0;
}

static int request(void *ctx, const char *endpoint, const char *text) {
    void *s = zmq_socket(ctx, ZMQ_REQ);
    int timeout = ANSWER_TIMEOUT_MS, zero = 0;
    if (s == NULL || zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0)
        return zfail("socket");
    if (zmq_connect(s, endpoint) != 0) return zfail(endpoint);
    if (zmq_send(s, text, strlen(text), 0) < 0) return zfail("send");
    char ans[512];
    int n = zmq_recv(s, ans, sizeof ans - 1, 0);
    zmq_close(s);
    if (n < 0) {
        fprintf(stderr, "frame-send: no answer from %s within %d ms\n", endpoint,
                ANSWER_TIMEOUT_MS);
        return 1;
    }
    ans[n < (int)sizeof ans - 1 ? n : (int)sizeof ans - 1] = '\0';
    printf("%s\n", ans);
    return 0;
}

int main(int argc, char **argv) {
    int rc;
    void *ctx = zmq_ctx_new();
    if (ctx == NULL) return zfail("context");
    if (argc >= 6 && !strcmp(argv[1], "--dealer") && !strcmp(argv[3], "--id"))
        rc = dealer(ctx, argv[2], argv[4], argc - 5, argv + 5);
    else if (argc == 4 && !strcmp(argv[1], "--req"))
        rc = request(ctx, argv[2], argv[3]);
    else
        rc = usage();
    zmq_ctx_term(ctx);
    return rc;
}
