/*
** memf.h: failing memory under a service, the way SQLite's own tests inject malloc
** failures (src/test_malloc.c): the node host wraps SQLite's allocator
** (sqlite3_config(SQLITE_CONFIG_MALLOC)) before SQLite initializes, and before each
** allocation or growth asks a hook whether it fails.  A failed one returns NULL, SQLite
** answers SQLITE_NOMEM, and the library takes its OX_ERR_DB path as it would on a real
** machine out of memory.  lib/ does not know.
**
** The decision is the simulator's, as for the disk's errors: the host's hook
** (node/simhost.c) fires only where the step armed the site "disk.alloc.nomem"
** (proto/step.h, "Disk sites"), on the (skip+1)-th allocation of the step.  No hook, or
** a hook that answers 0, is SQLite's own allocator, call for call: nothing changes.
** Only SQLite's allocations are counted (not the library's, ZeroMQ's or libc's own), and
** they are a function of the statements run and the pages cached, so the count is
** deterministic.  SQLite's lookaside slots, carved out of one allocation per
** connection, are not allocations here.
*/
#ifndef MEMF_H
#define MEMF_H

/* Answers 0 (allocate) or 1 (fail this allocation). */
typedef int (*memf_fn)(void *ctx);

/* Wraps SQLite's allocator.  Call once, before anything initializes SQLite (a VFS
** registration does).  0, or -1 if SQLite refused the configuration. */
int memf_install(void);
/* Sets the hook asked before each allocation and reallocation (NULL: none). */
void memf_set_hook(memf_fn fn, void *ctx);

#endif
