/*
** clock.c: CLOCK_REALTIME in milliseconds (see clock.h).
*/
#include "clock.h"

#include <assert.h>
#include <time.h>

int64_t ox_now_ms(void) {
    struct timespec ts;
    int rc = clock_gettime(CLOCK_REALTIME, &ts);
    assert(rc == 0);    /* CLOCK_REALTIME always exists; EFAULT is impossible here */
    (void)rc;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
