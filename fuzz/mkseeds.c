/*
** mkseeds.c: writes the seed corpora of the binary fuzz targets.
**
**   build/fuzz/mkseeds DIR    writes DIR/wire/, DIR/step/ and DIR/reply/
**
** The seeds are made with the encoders themselves, so they always speak the current
** version of each format: one valid input of every frame type, step kind and effect
** type, at the edges of their fields.  libFuzzer mutates from there; without valid
** seeds it would spend its time being rejected by the magic and version checks.
** make fuzz runs this before each fuzzing session; fuzz/corpus/ keeps a copy in git.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/wire.h"
#include "../proto/step.h"

static const char *out_dir;

static void put(const char *target, const char *name, const uint8_t *buf, size_t len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "mkseeds: cannot create %s: %s\n", path, strerror(errno));
        exit(3);
    }
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "mkseeds: cannot write %s: %s\n", path, strerror(errno));
        exit(3);
    }
}

/* A frame of `type` by its constructor (lib/wire.h); kind and reason for PUBLISH and
** DELIVER. */
static ox_frame frame(uint8_t type, uint8_t kind, const char *reason) {
    const char *queue = kind == OX_M_PAYMENT ? OX_PAY_QUEUE : OX_ACC_QUEUE;
    if (type == OX_F_DACK) return ox_wire_dack(queue, 0x0102030405060708ULL);
    ox_msg m = { .kind = kind, .msg_id = 17, .pay_id = 4711, .account = 9999,
                 .amount = -12345, .attempt = 2 };
    snprintf(m.reason, sizeof m.reason, "%s", reason);
    if (type == OX_F_PUBLISH) return ox_wire_publish(queue, &m);
    return ox_wire_deliver(queue, 0x0102030405060708ULL, 3, &m);
}

static size_t encode(const ox_frame *f, uint8_t *out) {
    ox_wire_err e;
    size_t n = ox_wire_encode(f, out, OX_FRAME_MAX, &e);
    if (n == 0) {
        fprintf(stderr, "mkseeds: cannot encode a seed frame: %s\n", ox_wire_strerror(e));
        exit(3);
    }
    return n;
}

static void wire_seeds(void) {
    static const struct { uint8_t type, kind; const char *reason, *name; } F[] = {
        { OX_F_PUBLISH, OX_M_PAYMENT, "", "publish-payment" },
        { OX_F_DELIVER, OX_M_PAYMENT, "", "deliver-payment" },
        { OX_F_DELIVER, OX_M_CONSUMED, "", "deliver-consumed" },
        { OX_F_PUBLISH, OX_M_CONSUME_FAILED, "account 9999 is frozen", "publish-consume-failed" },
        { OX_F_DACK, 0, "", "dack" },
    };
    uint8_t buf[OX_FRAME_MAX];
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
        ox_frame f = frame(F[i].type, F[i].kind, F[i].reason);
        put("wire", F[i].name, buf, encode(&f, buf));
    }
    /* The longest strings each field allows. */
    ox_frame f = frame(OX_F_DELIVER, OX_M_CONSUME_FAILED, "");
    memset(f.queue, 'Q', OX_QUEUE_MAX);
    f.queue[OX_QUEUE_MAX] = '\0';
    memset(f.msg.reason, 'r', OX_REASON_MAX);
    f.msg.reason[OX_REASON_MAX] = '\0';
    put("wire", "longest-strings", buf, encode(&f, buf));
}

static void step_seeds(void) {
    static uint8_t buf[8192];
    uint8_t fr[OX_FRAME_MAX];
    ox_frame f = frame(OX_F_DELIVER, OX_M_PAYMENT, "");
    size_t flen = encode(&f, fr);
    for (uint8_t kind = OX_STEP_START; kind <= OX_STEP_STOP; kind++) {
        ox_step s;
        memset(&s, 0, sizeof s);
        s.seq = 1000u + kind;
        s.kind = kind;
        s.vtime_us = 12345678;
        s.clock_us = 1700000012345678LL;
        s.narmed = kind == OX_STEP_FRAME ? 2 : 1;
        snprintf(s.armed[0].name, sizeof s.armed[0].name, "payment.after_commit");
        s.armed[0].skip = 2;
        snprintf(s.armed[1].name, sizeof s.armed[1].name, "accounting.after_apply");
        snprintf(s.from, sizeof s.from, "broker");
        s.frame = fr;
        s.frame_len = kind == OX_STEP_FRAME ? flen : 0;
        s.timer_id = 3;
        s.pay_id = 42;
        s.account = 7;
        s.amount = 1500;
        size_t n = ox_step_encode(&s, buf, sizeof buf);
        if (n == 0) { fprintf(stderr, "mkseeds: a seed step does not encode\n"); exit(3); }
        put("step", ox_step_kind_name(kind), buf, n);
    }
    /* a batch: a frame, a timer and a payment for one node */
    ox_step b[3];
    memset(b, 0, sizeof b);
    for (int i = 0; i < 3; i++) {
        b[i].seq = 2000u + (uint32_t)i;
        b[i].vtime_us = 5000000 + 300 * i;
        b[i].clock_us = 1700000005000000LL + 300 * i;
    }
    b[0].kind = OX_STEP_FRAME;
    snprintf(b[0].from, sizeof b[0].from, "broker");
    b[0].frame = fr;
    b[0].frame_len = flen;
    b[1].kind = OX_STEP_TIMER;
    b[1].timer_id = 1;
    b[2].kind = OX_STEP_PAY;
    b[2].pay_id = 43;
    b[2].account = 8;
    b[2].amount = 990;
    size_t n = ox_steps_encode(b, 3, buf, sizeof buf);
    if (n == 0) { fprintf(stderr, "mkseeds: the seed batch does not encode\n"); exit(3); }
    put("step", "batch", buf, n);
}

static void reply_seeds(void) {
    static uint8_t buf[8192];
    uint8_t fr[OX_FRAME_MAX];
    ox_frame f = frame(OX_F_PUBLISH, OX_M_PAYMENT, "");
    size_t flen = encode(&f, fr);
    ox_effect e[5];
    memset(e, 0, sizeof e);
    e[0].type = OX_FX_SEND;
    snprintf(e[0].to, sizeof e[0].to, "broker");
    snprintf(e[0].queue, sizeof e[0].queue, OX_PAY_QUEUE);
    snprintf(e[0].label, sizeof e[0].label, "PUBLISH PAYMENT");
    e[0].pay = 4711;
    e[0].msg = 17;
    e[0].frame = fr;
    e[0].frame_len = flen;
    e[1].type = OX_FX_TIMER;
    e[1].timer_id = 1;
    e[1].delay_us = 2000000;
    e[2].type = OX_FX_REPLY;
    e[2].pay = 4711;
    e[2].ok = 1;
    snprintf(e[2].detail, sizeof e[2].detail, "committed");
    e[3].type = OX_FX_NOTE;
    snprintf(e[3].label, sizeof e[3].label, "commit");
    e[3].pay = 4711;
    snprintf(e[3].detail, sizeof e[3].detail, "payment 4711 committed with its outbox row");
    e[4].type = OX_FX_FAILPOINT;
    snprintf(e[4].label, sizeof e[4].label, "payment.after_commit");
    static const uint8_t status[] = { OX_REPLY_OK, OX_REPLY_CRASH, OX_REPLY_FATAL };
    static const char *const names[] = { "ok-all-effects", "crash", "fatal" };
    for (int i = 0; i < 3; i++) {
        ox_reply_builder b;
        ox_reply_begin(&b, buf, sizeof buf, 77u + (uint32_t)i);
        for (int k = 0; k < 5; k++)
            if (i == 0 || (i == 1 && k == 4) || (i == 2 && k == 3)) ox_reply_add(&b, &e[k]);
        size_t n = ox_reply_finish(&b, status[i]);
        if (n == 0) { fprintf(stderr, "mkseeds: a seed reply does not fit\n"); exit(3); }
        put("reply", names[i], buf, n);
    }
    /* a batch's reply: two sections, the second a crash */
    ox_reply_builder b;
    ox_reply_begin(&b, buf, sizeof buf, 90);
    ox_reply_add(&b, &e[0]);
    ox_reply_add(&b, &e[1]);
    ox_reply_next(&b, 91);
    ox_reply_add(&b, &e[4]);
    size_t n = ox_reply_finish(&b, OX_REPLY_CRASH);
    if (n == 0) { fprintf(stderr, "mkseeds: the seed batch reply does not fit\n"); exit(3); }
    put("reply", "batch-crash", buf, n);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: mkseeds DIR\n");
        return 2;
    }
    out_dir = argv[1];
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "mkseeds: cannot create %s: %s\n", out_dir, strerror(errno));
        return 3;
    }
    wire_seeds();
    step_seeds();
    reply_seeds();
    return 0;
}
