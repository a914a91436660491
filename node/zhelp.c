/*
** zhelp.c: ZeroMQ set-up shared by the lockstep host, the live host and the client,
** so that every socket error reads the same way and is classified the same way
** (a malformed endpoint is the user's mistake, OX_EXIT_USAGE; a port in use is not,
** OX_EXIT_HARNESS).
*/
#include <assert.h>
#include <errno.h>
#include <stdio.h>

#include <zmq.h>

#include "node.h"

int zh_setint(void *sock, int opt, int value, const char *what) {
    assert(sock != NULL);
    if (zmq_setsockopt(sock, opt, &value, sizeof value) != 0) {
        fprintf(stderr, "outbox-node: cannot set %s: %s\n", what, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* Errors that mean "this endpoint is not something ZeroMQ understands". */
static int endpoint_is_malformed(int err) {
    return err == EINVAL || err == EPROTONOSUPPORT || err == ENOCOMPATPROTO;
}

static int attach(void *sock, const char *endpoint, const char *flag, ox_exit *code, int bind) {
    assert(sock != NULL);
    assert(endpoint != NULL);
    assert(flag != NULL);
    assert(code != NULL);
    int rc = bind ? zmq_bind(sock, endpoint) : zmq_connect(sock, endpoint);
    if (rc == 0) return 0;
    int err = errno;
    if (endpoint_is_malformed(err)) {
        fprintf(stderr, "outbox-node: %s: invalid endpoint '%s': %s\n", flag, endpoint,
                zmq_strerror(err));
        *code = OX_EXIT_USAGE;
    } else {
        fprintf(stderr, "outbox-node: cannot %s %s: %s\n", bind ? "bind" : "connect to",
                endpoint, zmq_strerror(err));
        *code = OX_EXIT_HARNESS;
    }
    return -1;
}

int zh_bind(void *sock, const char *endpoint, const char *flag, ox_exit *code) {
    return attach(sock, endpoint, flag, code, 1);
}

int zh_connect(void *sock, const char *endpoint, const char *flag, ox_exit *code) {
    return attach(sock, endpoint, flag, code, 0);
}

void zh_close(void *sock, int linger_ms) {
    if (sock == NULL) return;
    /* Linger bounds how long zmq_ctx_term() may wait: never forever. */
    (void)zmq_setsockopt(sock, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
    zmq_close(sock);
}
