/*
** clock.h: the one place the library reads the time.
**
** The services work in Unix epoch milliseconds of CLOCK_REALTIME, the clock that
** schema.h's time columns record and that an operator can compare with `date`.  The
** library does not know whether the clock is real or simulated (under the simulator
** libfaketime sets it), so nothing here may cache it.
*/
#ifndef OX_CLOCK_H
#define OX_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch, truncated. */
int64_t ox_now_ms(void);

#endif
