/*
** oracles.c: the properties of oracles.h, checked on one input.
**
** The decoders are given a private heap copy of exactly `len` bytes, so that a read
** one byte past the end trips AddressSanitizer even when the caller's buffer is
** larger.  The scenario oracle writes its bytes to a file in /dev/shm (the loader
** reads files only) named after the process, and removes it after each input.
*/
#include "oracles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/wire.h"
#include "../proto/step.h"
#include "../sim/scenario/scenario.h"

#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "oracle: %s:%d: property '%s' violated: ", __FILE__,  \
                    __LINE__, #cond);                                             \
            fprintf(stderr, __VA_ARGS__);                                         \
            fputc('\n', stderr);                                                  \
            abort();                                                              \
        }                                                                         \
    } while (0)

static uint8_t *copy_of(const uint8_t *buf, size_t len) {
    uint8_t *c = malloc(len ? len : 1);
    CHECK(c != NULL, "out of memory copying %zu bytes", len);
    if (len) memcpy(c, buf, len);
    return c;
}

/* One line, not empty, and no longer than its buffer allows. */
static void check_reason(const char *err, size_t cap, const char *who) {
    size_t n = strnlen(err, cap);
    CHECK(n > 0 && n < cap, "%s: an error without a reason", who);
    CHECK(strchr(err, '\n') == NULL, "%s: a reason of more than one line: %s", who, err);
}

/* ---- wire ------------------------------------------------------------------ */

void oracle_wire(const uint8_t *buf, size_t len) {
    uint8_t *in = copy_of(buf, len);
    ox_frame f;
    ox_wire_err e = ox_wire_decode(in, len, &f);
    CHECK(e >= OX_WIRE_OK && e < OX_WIRE_NO_SPACE, "decode returned %d", (int)e);
    CHECK(strcmp(ox_wire_strerror(e), "unknown wire error") != 0, "error %d has no name", (int)e);
    if (e == OX_WIRE_OK) {
        uint8_t out[OX_FRAME_MAX];
        ox_wire_err ee = OX_WIRE_TRAILING;
        size_t n = ox_wire_encode(&f, out, sizeof out, &ee);
        CHECK(ee == OX_WIRE_OK, "a decoded frame does not encode: %s", ox_wire_strerror(ee));
        CHECK(n == len && memcmp(out, in, len) == 0,
              "a %zu-byte frame decodes, but encodes back to %zu different bytes", len, n);
    }
    free(in);
}

/* ---- step ------------------------------------------------------------------ */

void oracle_step(const uint8_t *buf, size_t len) {
    uint8_t *in = copy_of(buf, len);
    static ox_step steps[OX_BATCH_MAX];
    unsigned n = 0;
    char err[256] = "";
    if (ox_steps_decode(in, len, steps, &n, err, sizeof err) != 0) {
        check_reason(err, sizeof err, "ox_steps_decode");
    } else {
        CHECK(n >= 1 && n <= OX_BATCH_MAX, "a batch of %u steps accepted", n);
        for (unsigned i = 0; i < n; i++) {
            const ox_step *s = &steps[i];
            CHECK(s->narmed <= OX_STEP_MAX_ARMED, "%u armed entries accepted", s->narmed);
            CHECK(s->frame_len <= OX_BLOB_MAX, "a frame of %zu bytes accepted", s->frame_len);
            CHECK(s->clock_us >= 0, "a negative clock accepted");
            if (s->frame_len > 0)
                CHECK(s->frame >= in && s->frame + s->frame_len <= in + len,
                      "frame outside the input");
            if (i > 0) CHECK(s->seq == steps[i - 1].seq + 1, "a batch out of order accepted");
        }
        uint8_t *out = malloc(len + 1);
        CHECK(out != NULL, "out of memory");
        size_t m = ox_steps_encode(steps, n, out, len + 1);
        CHECK(m == len && memcmp(out, in, len) == 0,
              "a %zu-byte step decodes, but encodes back to %zu different bytes", len, m);
        free(out);
    }
    free(in);
}

/* ---- reply ----------------------------------------------------------------- */

static int same_effect(const ox_effect *a, const ox_effect *b) {
    return a->type == b->type && !strcmp(a->to, b->to) && !strcmp(a->queue, b->queue) &&
           !strcmp(a->label, b->label) && a->pay == b->pay && a->msg == b->msg &&
           a->delivery == b->delivery && a->frame_len == b->frame_len &&
           (a->frame_len == 0 || !memcmp(a->frame, b->frame, a->frame_len)) &&
           a->timer_id == b->timer_id && a->delay_us == b->delay_us && a->ok == b->ok &&
           !strcmp(a->detail, b->detail);
}

/* Two arrays of OX_STEP_MAX_EFFECTS effects (3 MB each), made once: allocating them
** per input made the reply target 50 times slower than the others. */
static ox_effect *effects(int which) {
    static ox_effect *fx[2];
    if (fx[which] == NULL) fx[which] = calloc(OX_STEP_MAX_EFFECTS, sizeof *fx[which]);
    CHECK(fx[which] != NULL, "out of memory");
    return fx[which];
}

/* Rebuilds a decoded section with the builder (as a reply of its own), decodes that,
** and compares. */
static void check_rebuilt(const ox_reply *r) {
    static uint8_t out[OX_STEP_MAX + 16];
    ox_effect *fx = effects(1);
    ox_reply_builder b;
    ox_reply_begin(&b, out, sizeof out, r->seq);
    for (unsigned i = 0; i < r->neffects; i++) ox_reply_add(&b, &r->effects[i]);
    size_t n = ox_reply_finish(&b, r->status);
    CHECK(n > 0, "a decoded section of %u effects does not rebuild", r->neffects);
    ox_reply again = { .effects = fx };
    char err[256] = "";
    CHECK(ox_reply_decode(out, n, &again, err, sizeof err) == 0,
          "a rebuilt reply does not decode: %s", err);
    CHECK(again.seq == r->seq && again.status == r->status && again.neffects == r->neffects,
          "a rebuilt reply has another header");
    for (unsigned i = 0; i < r->neffects; i++)
        CHECK(same_effect(&r->effects[i], &again.effects[i]), "effect %u changed when rebuilt",
              i + 1);
}

void oracle_reply(const uint8_t *buf, size_t len) {
    uint8_t *in = copy_of(buf, len);
    ox_reply r = { .effects = effects(0) };
    ox_reply_reader rd;
    char err[256] = "";
    int rc = ox_reply_open(&rd, in, len, err, sizeof err);
    unsigned sections = 0;
    while (rc == 0) {
        int got = ox_reply_next_section(&rd, &r, err, sizeof err);
        if (got < 0) { rc = -1; break; }
        if (got == 0) break;
        sections++;
        CHECK(r.neffects <= OX_STEP_MAX_EFFECTS, "%u effects accepted", r.neffects);
        CHECK(r.status == OX_REPLY_OK || sections == rd.nsections,
              "a non-OK section before the last accepted");
        check_rebuilt(&r);
    }
    if (rc != 0) check_reason(err, sizeof err, "ox_reply_decode");
    else
        CHECK(sections == rd.nsections && sections >= 1, "%u sections read of %u", sections,
              rd.nsections);
    free(in);
}

/* ---- scenario -------------------------------------------------------------- */

static void check_scenario_error(const char *path, const char *err, size_t cap) {
    check_reason(err, cap, "scenario_load");
    CHECK(strncmp(err, path, strlen(path)) == 0,
          "the error does not start with the file's path: %s", err);
}

void oracle_scenario_file(const char *path) {
    char err[1024] = "";
    sim_scenario *sc = scenario_load(path, 1, err, sizeof err);
    if (sc == NULL) {
        check_scenario_error(path, err, sizeof err);
        return;
    }
    CHECK(sc->name[0] != '\0', "a scenario without a name loaded");
    CHECK(sc->nfaults >= 0 && sc->nfaults <= SIM_MAX_FAULTS, "%d faults", sc->nfaults);
    CHECK(sc->ncallbacks >= 0 && sc->ncallbacks <= SIM_MAX_CALLBACKS, "%d callbacks",
          sc->ncallbacks);
    CHECK(sc->run_us > 0, "run of %lld us", (long long)sc->run_us);
    /* The callbacks run as the simulator would run them: at their time, in order. */
    for (int i = 0; i < sc->ncallbacks; i++) {
        err[0] = '\0';
        if (scenario_fire(sc, i, sc->callbacks[i].t_us, err, sizeof err) != 0)
            check_scenario_error(path, err, sizeof err);
    }
    scenario_free(sc);
}

static void oracle_scenario(const uint8_t *buf, size_t len) {
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/outbox-fuzz-%ld.lua", (long)getpid());
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL, "cannot write %s", path);
    CHECK(fwrite(buf, 1, len, f) == len && fclose(f) == 0, "cannot write %s", path);
    oracle_scenario_file(path);
    unlink(path);
}

int oracle_run(const char *target, const uint8_t *buf, size_t len) {
    if (!strcmp(target, "wire")) oracle_wire(buf, len);
    else if (!strcmp(target, "step")) oracle_step(buf, len);
    else if (!strcmp(target, "reply")) oracle_reply(buf, len);
    else if (!strcmp(target, "scenario")) oracle_scenario(buf, len);
    else return -1;
    return 0;
}
