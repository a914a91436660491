/*
** prng.h: a small seeded pseudo-random generator (xoshiro256**, seeded by splitmix64).
**
** Deterministic on every platform: the same seed gives the same stream.  Used by the
** simulator for every random decision, and by the library for retry jitter, so that a
** run is decided by one seed.  `ox_prng_derive` gives independent streams (per node,
** per purpose) from one seed, so adding draws to one stream never shifts another.
*/
#ifndef OX_PRNG_H
#define OX_PRNG_H

#include <stdint.h>

typedef struct { uint64_t s[4]; } ox_prng;

void ox_prng_seed(ox_prng *p, uint64_t seed);
/* Seed for the sub-stream `stream` of `seed` (pure function of both). */
uint64_t ox_prng_derive(uint64_t seed, uint64_t stream);
uint64_t ox_prng_next(ox_prng *p);
/* Uniform in [0, n); n > 0.  Unbiased (rejection sampling, bounded retries). */
uint64_t ox_prng_below(ox_prng *p, uint64_t n);
/* Uniform double in [0, 1) with 53 bits. */
double ox_prng_unit(ox_prng *p);
/* Returns 1 with probability p (p <= 0 never, p >= 1 always; no draw in those cases). */
int ox_prng_chance(ox_prng *p, double prob);

#endif
