/*
** hjitter.h: retry_schedule's second half: the retry jitter spreads republications to
** both sides of the policy's interval (history.h, hproducer.h).
**
** judge_timing (hproducer.c) holds each republication after b ms (the policy's interval
** for its attempt, before jitter) to [b - J, b + J + scan], J = b * jitter: one
** republication at a time.  A service that draws its jitter from [0, J) instead of
** [-J, J) stays inside those bounds every time, and so does one drawing from [-J, 0);
** yet its retries all lean one way, which is what jitter exists to prevent (clients that
** failed together retry together).  Only many republications together can tell.
**
** So each republication judged on time is a sample.  It came surely early when it waited
** less than b - 3 ms (the jitter was negative, whatever the scan's lag: the lag only adds,
** and each end reads at most 1 ms off), surely late when it waited more than
** b + scan + 3 ms.  A correct service's jitter, uniform on [-J, J), shows each side with a
** chance of at least p = (J - scan - 5) / (2J) per sample (0 when J is that small).  At the
** end of the run, a side never shown is flagged once the chance a correct service had of
** never showing it, the product of (1 - p) over the samples, fell below 1e-9 (a correct
** service's run is falsely flagged at most twice in a billion: once a side), and a
** one-sided service is caught in every run with 35 samples of a jitter ten scan intervals
** wide, more for a narrower one (retry-jitter-both-ways.lua: 76 to 102, seeds 1 to 3).
** Every sample has the same chance p on either side, so one sum of odds serves both.
**
** A republication whose lateness the history excuses (a restart, a full scan, a slow
** fault, relays) is no sample: its delay is unbounded, so it may hide an early side as
** well as fake a late one.  If it came early all the same, that side was seen.  Memory:
** a few counters, whatever the run's length.
*/
#ifndef SIM_HJITTER_H
#define SIM_HJITTER_H

#include <stdint.h>

#include "history.h"

typedef struct {
    double odds;              /* -ln of the chance a correct service hid a side */
    uint32_t samples;         /* republications judged on time and not excused */
    uint32_t seen[2];         /* republications that surely showed each side */
    uint32_t first_line, last_line;
} hjitter;

enum { HJITTER_EARLY = 0, HJITTER_LATE = 1 };

/* One republication judged on time: it waited `waited` ms after the attempt before it; the
** policy's interval was b ms, spread by J = b * jitter (J > 0); `excused`: its lateness
** is excused (see above): it counts only if it came early. */
void hjitter_sample(hjitter *j, const ox_config *c, int64_t b, int64_t waited, int excused,
                    uint32_t line);
/* At the end of the run: retry_schedule for a side never shown against the odds. */
void hjitter_end(const hjitter *j, history_sink *s);

#endif
