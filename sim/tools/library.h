/*
** library.h: where the scenario library is, in a checkout and in an installed tree.
**
** A checkout runs from its root, where scenarios/ is.  `make install PREFIX=P` puts
** the binaries in P/bin and the library in P/share/outbox-lab/scenarios (mk/install.mk),
** so an installed outbox-sim finds it from its own path, P/bin/outbox-sim, without the
** source tree and wherever it is run from.  (outbox-node is found the same way: beside
** outbox-sim, sim/tools/cmd_run.c.)
*/
#ifndef SIM_TOOLS_LIBRARY_H
#define SIM_TOOLS_LIBRARY_H

#include <stddef.h>

/* Relative to the directory of the installed binaries (mk/install.mk says the same). */
#define LIBRARY_INSTALLED "../share/outbox-lab/scenarios"
/* Relative to a checkout's bin/: the checkout's own library, when run from elsewhere. */
#define LIBRARY_CHECKOUT "../scenarios"

/* The scenario library: "scenarios" when the current directory has one, else the
** installed one beside this binary, else the checkout's beside its bin/ (see above).
** Returns 0 with the directory in out[cap], or -1 when there is none. */
int library_dir(char *out, size_t cap);

#endif
