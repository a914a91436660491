/*
** svc.c: the helpers of svc.h, through which the roles reach their host.
**
** The helpers layer (service.h, Layers): the roles call down into this file, and it
** calls down only into wire.c, store.c (the durability barrier before a send) and the
** host's io table.  Every helper tolerates a host
** that leaves a callback NULL (a test host, a tool), so a role never checks.
*/
#include "svc.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

ox_status ox_svc_fail(ox_service *s, ox_status st, const char *fmt, ...) {
    assert(s != NULL);
    assert(st != OX_OK);   /* a failure needs a code to fail with */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return st;
}

void ox_svc_event(ox_service *s, const char *kind, uint64_t pay, const char *fmt, ...) {
    assert(s != NULL);
    assert(kind != NULL);
    if (!s->io.event) return;
    char detail[OX_DETAIL_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    s->io.event(s->io.ctx, kind, pay, detail);
}

ox_status ox_svc_reject(ox_service *s, const char *from, uint64_t pay, const char *fmt, ...) {
    assert(s != NULL);
    assert(from != NULL);
    char why[OX_DETAIL_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    ox_svc_fail(s, OX_ERR_FRAME, "frame from %s rejected: %s", from, why);
    ox_svc_event(s, "reject", pay, "frame from %s: %s", from, why);
    return OX_ERR_FRAME;
}

void ox_svc_failpoint(ox_service *s, const char *name) {
    assert(s != NULL);
    assert(name != NULL);
    if (s->io.failpoint) s->io.failpoint(s->io.ctx, name);
}

void ox_svc_send(ox_service *s, const char *to, const ox_frame *f) {
    assert(s != NULL);
    assert(to != NULL);
    assert(f != NULL);
    uint8_t buf[OX_FRAME_MAX];
    ox_wire_err e;
    size_t n = ox_wire_encode(f, buf, sizeof buf, &e);
    assert(n > 0);            /* our frames come from wire.h's constructors */
    assert(e == OX_WIRE_OK);
    /* durable_send: nothing leaves before the commits behind it are durable (store.h);
    ** if the barrier fails it does not leave at all: a retry or redelivery sends it */
    if (ox_store_barrier(&s->store) != OX_OK) {
        ox_svc_event(s, "error", f->msg.pay_id, "%s: %s not sent", s->err,
                     ox_wire_kind_name(f->msg.kind));
        return;
    }
    if (n > 0 && s->io.send) s->io.send(s->io.ctx, to, buf, n, f);
}

void ox_svc_timer(ox_service *s, int id, int64_t delay_ms) {
    assert(s != NULL);
    assert(id == OX_TIMER_SCAN || id == OX_TIMER_REDELIVER || id == OX_TIMER_PURGE ||
           id == OX_TIMER_RELAY);
    assert(delay_ms >= 0);
    if (s->io.set_timer) s->io.set_timer(s->io.ctx, id, delay_ms);
}

void ox_svc_publish(ox_service *s, const char *queue, const ox_msg *msg) {
    ox_frame f = ox_wire_publish(queue, msg);
    ox_svc_send(s, ox_role_name(OX_ROLE_BROKER), &f);
}

void ox_svc_dack(ox_service *s, const char *queue, uint64_t delivery) {
    ox_frame f = ox_wire_dack(queue, delivery);
    ox_svc_send(s, ox_role_name(OX_ROLE_BROKER), &f);
}
