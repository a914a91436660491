/*
** net.c: per-frame network faults (see net.h).
*/
#include "net.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static int active(const sim_fault *f, int64_t now) { return now >= f->from_us && now < f->to_us; }

static int matches(const sim_fault *f, int64_t now, int src, int dst, const char *queue,
                   const char *label, uint64_t pay) {
    if (f->kind != FK_DROP && f->kind != FK_DUPLICATE && f->kind != FK_DELAY &&
        f->kind != FK_CORRUPT)
        return 0;
    if (!active(f, now)) return 0;
    if (f->src != SIM_ANY && f->src != src) return 0;
    if (f->dst != SIM_ANY && f->dst != dst) return 0;
    if (f->queue[0] && strcmp(f->queue, queue) != 0) return 0;
    if (f->label[0] && strncmp(f->label, label, strlen(f->label)) != 0) return 0;
    if (f->pay && f->pay != pay) return 0;
    return 1;
}

/* A matching fault fires either on exactly its nth matching frame or by chance. */
static int fires(sim_fault *f, ox_prng *rng) {
    assert(f->p >= 0.0);
    assert(f->p <= 1.0);
    f->seen++;
    if (f->nth > 0) return f->seen == f->nth;
    return ox_prng_chance(rng, f->p);
}

static int64_t base_latency(ox_prng *rng) {
    _Static_assert(NET_LATENCY_MIN_US > 0, "a frame never arrives at the instant it is sent");
    int64_t l = NET_LATENCY_MIN_US +
                (int64_t)ox_prng_below(rng, NET_LATENCY_MAX_US - NET_LATENCY_MIN_US + 1);
    assert(l <= NET_LATENCY_MAX_US);
    return l;
}

int net_partition(const sim_scenario *sc, int64_t now_us, int healed, int src, int dst) {
    assert(src >= 0);
    assert(dst >= 0);
    for (int i = 0; !healed && i < sc->nfaults; i++) {
        const sim_fault *f = &sc->faults[i];
        if (f->kind != FK_PARTITION || !active(f, now_us)) continue;
        if ((f->src == src && f->dst == dst) || (f->twoway && f->src == dst && f->dst == src))
            return f->id;
    }
    return 0;
}

void net_decide(sim_scenario *sc, ox_prng *rng, int64_t now_us, int healed, int src,
                int dst, const char *queue, const char *label, uint64_t pay, net_fate *out) {
    assert(src != dst);   /* a node never sends to itself */
    assert(queue != NULL);
    memset(out, 0, sizeof *out);
    out->partitioned_by = net_partition(sc, now_us, healed, src, dst);
    if (out->partitioned_by) return;
    int64_t extra = 0;
    int copies = 1;
    for (int i = 0; !healed && i < sc->nfaults; i++) {
        sim_fault *f = &sc->faults[i];
        if (!matches(f, now_us, src, dst, queue, label, pay) || !fires(f, rng)) continue;
        f->acted++;   /* paired with nothing: a count for summary.json */
        if (f->kind == FK_DROP) {
            out->dropped_by = f->id;
            return;
        } else if (f->kind == FK_DUPLICATE) {
            copies += (int)f->copies;
            out->duplicated_by = f->id;
        } else if (f->kind == FK_CORRUPT) {
            out->corrupted_by = f->id;
        } else {
            assert(f->kind == FK_DELAY);
            assert(f->max_us >= f->min_us);
            extra += f->min_us + (int64_t)ox_prng_below(rng, (uint64_t)(f->max_us - f->min_us) + 1);
            out->delayed_by = f->id;
        }
    }
    if (copies > NET_MAX_COPIES) copies = NET_MAX_COPIES;
    assert(copies >= 1);
    out->ncopies = copies;
    for (int c = 0; c < copies; c++) out->latency_us[c] = base_latency(rng) + extra;
}

uint32_t net_corrupt(ox_prng *rng, uint8_t *bytes, uint32_t len, char *how, size_t cap) {
    if (len == 0) { snprintf(how, cap, "empty frame left empty"); return 0; }
    if (ox_prng_below(rng, 2) == 0) {
        uint32_t keep = (uint32_t)ox_prng_below(rng, len);
        snprintf(how, cap, "cut from %u to %u bytes", len, keep);
        return keep;
    }
    uint32_t at = (uint32_t)ox_prng_below(rng, len < 8 ? len : 8);
    assert(at < len);
    uint8_t flip = (uint8_t)(1 + ox_prng_below(rng, 255));
    /* A flipped length byte could still describe the true length only if flip == 0. */
    bytes[at] ^= flip;
    snprintf(how, cap, "header byte %u changed (xor 0x%02x)", at, flip);
    return len;
}