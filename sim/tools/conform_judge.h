/*
** conform_judge.h: what `outbox-sim conform` (conform.h) reads of a finished run besides
** its summary: the trace (trace.jsonl) and, for the clock clause, the rows' times.
**
** Each judge returns 0 when the clause holds and 1 with one sentence in why[cap] when it
** does not; -1 when the file cannot be read (why says so).  A node is the role's when
** its name is the role's or ROLE-N (relay-1, accounting-2).
*/
#ifndef SIM_TOOLS_CONFORM_JUDGE_H
#define SIM_TOOLS_CONFORM_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/role.h"

/* The step kinds a role must receive in the steps scenario (bits of CONFORM_STEP_*). */
#define CONFORM_STEP_START 1u
#define CONFORM_STEP_FRAME 2u
#define CONFORM_STEP_TIMER 4u
#define CONFORM_STEP_PAY 8u
#define CONFORM_STEP_STOP 16u

/* The step kinds role got (bits above) are those `want` lists. */
int conform_judge_steps(const char *run_dir, ox_role role, unsigned want, char *why,
                        size_t cap);
/* Every damaged frame (a send line with corrupted_by) delivered to the role was answered
** by a `reject` note and nothing else (no other note, send or failpoint of that step);
** and at least one was. */
int conform_judge_reject(const char *run_dir, ox_role role, char *why, size_t cap);
/* The role restarted at least once (a restart line). */
int conform_judge_restarted(const char *run_dir, ox_role role, char *why, size_t cap);
/* A frame to the role was duplicated (a send line with copies). */
int conform_judge_duplicated(const char *run_dir, ox_role role, char *why, size_t cap);
/* The checker could read every note of a kind it reads: summary.json has no
** "unreadable_notes" (sim/check/history.h, history_unreadable).  The other roles run this
** project's node, whose notes always parse, so any is the role's. */
int conform_judge_notes(const char *run_dir, char *why, size_t cap);
/* The times the role wrote in its rows (payment: outbox created_at and updated_at;
** accounting: voucher created_at) lie within an hour after the epoch plus skew_s: the
** step's clock, not the machine's.  A file without those columns (a foreign schema
** maps only what the checker reads) is not judged: 0. */
int conform_judge_clock(const char *run_dir, ox_role role, int64_t skew_s, char *why,
                        size_t cap);

#endif
