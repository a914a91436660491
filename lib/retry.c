/*
** retry.c: the retry schedule of retry.h.
*/
#include "retry.h"

#include <assert.h>
#include <math.h>

/* base * factor, or cap if that would exceed cap (checked before multiplying). */
static int64_t capped_mul(int64_t base, int64_t factor, int64_t cap) {
    if (factor > 0 && base > cap / factor) return cap;
    int64_t v = base * factor;
    return v < cap ? v : cap;
}

static int64_t backoff(const ox_config *c, uint32_t n) {
    if (c->retry == OX_RETRY_LINEAR) return capped_mul(c->retry_base_ms, n, c->retry_max_ms);
    if (n - 1 >= 62) return c->retry_max_ms;          /* 2^62 ms outlasts any cap */
    return capped_mul(c->retry_base_ms, (int64_t)1 << (n - 1), c->retry_max_ms);
}

int64_t ox_retry_interval(const ox_config *c, ox_prng *p, uint32_t n) {
    assert(c);
    assert(p);
    assert(n >= 1);
    assert(c->retry_base_ms > 0);
    assert(c->retry_max_ms > 0);
    assert(c->jitter >= 0.0);
    assert(c->jitter <= 1.0);
    int64_t v = backoff(c, n);
    if (c->jitter > 0.0) {
        double spread = (2.0 * ox_prng_unit(p) - 1.0) * c->jitter;   /* in [-j, +j) */
        v += (int64_t)llround((double)v * spread);
    }
    return v < 0 ? 0 : v;
}
