/*
** stepjson.h: the node protocol's text encoding (docs/protocol.md, "The text encoding"):
** one JSON object per line, translated to and from the binary encoding of step.h.
**
** A node started with `--node ROLE=json:COMMAND` speaks lines on its standard input and
** output: the simulator writes a STEP line, the node answers a REPLY line.  Both sides
** of this project translate at their boundary and keep the binary path for everything
** else: the simulator (sim/core/proc.c) turns the STEP message it built into a line and
** the line it reads into the REPLY message the world reads; bin/outbox-node
** --sim-stdio (node/simhost.c) does the reverse.  So the encoding is transport and never
** behaviour: a run gives the same trace, byte for byte, with either encoding.
**
** Frames are structured (every field of lib/wire.h by name); a frame's bytes that do not
** decode, or do not decode to a frame that encodes back to the same bytes, travel as
** {"raw":"BASE64"}.  A text node's SEND carries no routing facts: they are derived from
** the frame as a binary node derives them (queue, ox_wire_label, pay_id, msg_id,
** delivery), and a binary reply whose facts disagree with its frame does not translate.
**
** The pairs: *_from_bin then *_to_bin gives back the same bytes, and *_to_bin then
** *_from_bin the same line when the line was written as *_from_bin writes (keys in the
** documented order, no spaces).  Integers must be exact in a double (|x| < 2^53,
** STEPJSON_INT_LIMIT), since a node's JSON library may read them as one.
**
** Every error is one line naming where in the object it is ("sections[0].effects[2]:
** \"type\": unknown value \"BOGUS\""); nothing is written to out then.  No global state.
*/
#ifndef OX_STEPJSON_H
#define OX_STEPJSON_H

#include <stddef.h>
#include <stdint.h>

#include "step.h"

#define STEPJSON_STEP_MAX OX_STEP_MAX     /* bytes of a STEP line, its '\n' included */
#define STEPJSON_REPLY_MAX OX_REPLY_MAX   /* bytes of a REPLY line, its '\n' included */
#define STEPJSON_INT_LIMIT 9007199254740992LL   /* 2^53: |integer| must be below it */

/* The STEP message bin[len] (ox_steps_encode's) as a line ending in '\n' into out[cap]
** (NUL-terminated); returns its length, '\n' included, or 0 with err. */
size_t stepjson_steps_from_bin(const uint8_t *bin, size_t len, char *out, size_t cap, char *err,
                               size_t errlen);
/* A STEP line (without its '\n') as the binary STEP message into out[cap] (at least
** OX_STEP_MAX); returns its length, or 0 with err.  The message is checked as
** ox_steps_decode checks it. */
size_t stepjson_steps_to_bin(const char *line, size_t len, uint8_t *out, size_t cap, char *err,
                             size_t errlen);
/* The REPLY message bin[len] as a line ending in '\n' into out[cap]; scratch has
** OX_STEP_MAX_EFFECTS slots.  Returns the length, '\n' included, or 0 with err. */
size_t stepjson_reply_from_bin(const uint8_t *bin, size_t len, ox_effect *scratch, char *out,
                               size_t cap, char *err, size_t errlen);
/* A REPLY line (without its '\n') as the binary REPLY message into out[cap] (at least
** OX_REPLY_MAX); returns its length, or 0 with err. */
size_t stepjson_reply_to_bin(const char *line, size_t len, uint8_t *out, size_t cap, char *err,
                             size_t errlen);

#endif
