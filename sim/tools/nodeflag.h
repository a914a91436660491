/*
** nodeflag.h: `--node ROLE=COMMAND`, the service implementation each role runs.
**
** Every command that runs scenarios (run, sweep, matrix, shrink, explore) takes
** `--node ROLE=COMMAND`, repeatable, once per role: ROLE is payment, broker or
** accounting (lib/role.h), COMMAND an executable file (a path, or a name looked up in
** PATH) that speaks the node protocol (docs/protocol.md).  A role not named runs
** bin/outbox-node, so implementations mix: a foreign payment service with this
** project's broker and accounting.  COMMAND is one executable, not a shell line: a
** program that needs arguments gets a two-line wrapper script.  It is made absolute
** when parsed, so the reproduce lines run from any directory.
**
** main.c takes the flags out of argv before any command parses it (nodeflag_strip), so
** each command sees only its own flags; the child runs of sweep, matrix, shrink and
** explore get them back (nodeflag_words, pool.c), and every reproduce line names them
** after the command's other words.  summary.json records them ("nodes", report.c).
** The table is the process's: a command runs one set of implementations.
**
** COMMAND written "json:COMMAND" speaks the text encoding (docs/protocol.md, "The text
** encoding"): the table keeps the prefix before the absolute path, so the world's
** process layer (sim/core/proc.h) picks the transport from it and summary.json and the
** reproduce lines keep it.  A file whose name starts with "json:" is written ./json:...
**
** Bad values (an unknown role, no "=", an empty command, a role given twice, a command
** that is not an executable file) are one line on stderr and OX_EXIT_USAGE.  The old
** environment variable OUTBOX_NODE is refused the same way, so a script that still sets
** it is told instead of silently running bin/outbox-node.
*/
#ifndef SIM_TOOLS_NODEFLAG_H
#define SIM_TOOLS_NODEFLAG_H

#include <stddef.h>

#include "../../lib/role.h"

#define NODEFLAG_PATH_MAX 1024   /* longest COMMAND, made absolute */
#define NODEFLAG_WORDS (2 * OX_ROLE_COUNT)   /* words nodeflag_words may add */
#define NODEFLAG_JSON "json:"                /* COMMAND's prefix for the text encoding */

/* Removes every "--node ROLE=COMMAND" and "--node=ROLE=COMMAND" from argv (argv[0] and
** the command name argv[1] stay), shifting the rest down and NULL-terminating; parses
** each into the process's table.  Returns 0, or OX_EXIT_USAGE after one line on stderr. */
int nodeflag_strip(int *argc, char **argv);

/* The table by ox_role: each entry the absolute COMMAND ("json:" and the absolute
** COMMAND for the text encoding), or NULL for bin/outbox-node. */
const char *const *nodeflag_table(void);

/* How many roles have a COMMAND. */
int nodeflag_count(void);

/* Appends "--node" "ROLE=COMMAND" for each role that has one, in role order, to
** words[*n..cap); the words point into the table's own storage.  Asserts room. */
void nodeflag_words(const char **words, size_t *n, size_t cap);

/* " --node ROLE=COMMAND ..." quoted for a shell (sim/util/shell.h), or "" with none:
** for the reproduce lines a command prints itself. */
const char *nodeflag_suffix(void);

#endif
