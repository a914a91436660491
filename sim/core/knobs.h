/*
** knobs.h: does each service run with the knobs it was given?  The evidence for the
** history check knobs_applied (sim/check/hknobs.h).
**
** A service says at START what it runs with: the "config" note, one line of
** "key=value" words in lib/config.h's spelling (ox_config_format; docs/protocol.md,
** "Notes").  The world does not trace that note.  It takes the arguments it started the
** node with (node_args: --design, --seed, every --knob), resolves them for the node's
** role with the configuration's own rules, spells the result the same way and compares.
** Only a difference is traced: a "config_differs" line naming the node, its life and the
** first word that differs ("runs with prefetch=100 where its knobs give prefetch=50").
** A knob parsed wrong, a default that drifted, a knob wired to nothing: each shows at the
** first START, before any of its effects could hide among the retries.
** A node that says nothing is not judged (a foreign node need not say it).  The note is
** kept (said_config), so that a bad deploy (misconf.h) can tell a knob the node reads.
*/
#ifndef SIM_KNOBS_H
#define SIM_KNOBS_H

struct sim_world;

/* Must node refuse a bad value of knob `kv` ("key=value")?  1 when the pair is malformed
** or its key is no knob of lib/config.h's table (however a role prefix is spelt), or when
** the node's last "config" note lists the key: a knob it says it reads.  0 for a knob it
** does not read, or when it never said what it reads: docs/protocol.md lets a node take
** any value of a knob it does not implement. */
int knobs_must_refuse(const struct sim_world *w, int node, const char *kv);

/* The "config" note `said` of node's START: traced only where it differs from what the
** node's arguments resolve to.  0, or -1 (world_fail: an argument the configuration
** refuses, which the scenario's loader should have refused first). */
int knobs_compare(struct sim_world *w, int node, const char *said);

#endif
