/*
** prng.c: xoshiro256** seeded through splitmix64 (see prng.h).
*/
#include "prng.h"

#include <assert.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ox_prng_seed(ox_prng *p, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) p->s[i] = splitmix64(&x);
}

uint64_t ox_prng_derive(uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    splitmix64(&x);
    return splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ox_prng_next(ox_prng *p) {
    uint64_t *s = p->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t ox_prng_below(ox_prng *p, uint64_t n) {
    assert(n > 0);
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    /* The chance of a retry is below 1/2 per draw, so 64 draws fail with p < 2^-64. */
    for (int i = 0; i < 64; i++) {
        uint64_t v = ox_prng_next(p);
        if (v < limit) return v % n;
    }
    return ox_prng_next(p) % n;
}

double ox_prng_unit(ox_prng *p) {
    return (double)(ox_prng_next(p) >> 11) * (1.0 / 9007199254740992.0);
}

int ox_prng_chance(ox_prng *p, double prob) {
    if (prob <= 0.0) return 0;
    if (prob >= 1.0) return 1;
    return ox_prng_unit(p) < prob;
}
