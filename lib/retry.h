/*
** retry.h: how long the recovery scan waits before publishing an outbox row again.
**
** After the n-th publication of a row (n >= 1) the scan leaves it alone for
** interval(n):  linear       base * n         (the seed's choice)
**               exponential  base * 2^(n-1)
** capped at retry_max, then spread by +-jitter (a fraction of the capped interval,
** drawn from the service's seeded PRNG; no draw at all when jitter is 0, so a run
** without jitter consumes no randomness).  Never negative.
*/
#ifndef OX_RETRY_H
#define OX_RETRY_H

#include <stdint.h>

#include "config.h"
#include "prng.h"

int64_t ox_retry_interval(const ox_config *c, ox_prng *p, uint32_t n);

#endif
