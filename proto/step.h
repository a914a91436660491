/*
** step.h: the node protocol, spoken between the simulator and a service process
** (bin/outbox-node --sim ENDPOINT) over one ZeroMQ PAIR socket per process life.
**
** The simulator sends a STEP carrying one or more steps (a batch); the node handles
** them in order and answers with one REPLY holding a section per step it handled,
** each listing everything that step wants done (the effects).  Between a REPLY and
** the next STEP the node does nothing, so a node's behaviour is a pure function of
** the steps it receives.  Each step carries the node's own clock (clock_us, skew and
** jumps included); the node sets libfaketime's FAKETIME to it before handling the
** step, so the time the service reads is the event's, and a run is deterministic.
**
** STEP   magic "ST" u8 version=3, nsteps:u8 (1..OX_BATCH_MAX), then nsteps x
**        { seq:u32, kind:u8, vtime_us:i64, clock_us:i64,
**          narmed:u8, narmed x { name:str8, skip:u32, action:u8 },
**          then by kind:
**            START  (nothing: open the database, recover, arm timers)
**            FRAME  from:str8, frame:blob
**            TIMER  id:u32
**            PAY    pay_id:u64, account:u32, amount:i64
**            STOP   (nothing: close the database and exit 0 after replying) }
**        START and STOP come alone; seqs increase by one within a batch and vtimes
**        never decrease.
** REPLY  magic "RP" u8 version=3, nsections:u8, then nsections x
**        { seq:u32 (echo of a step's), status:u8, neffects:u16, effects... }
**          one section per step handled, in order, from the first; only the last may
**          have a status other than OK:
**          status OK: the step was handled;
**          CRASH: the node reached an armed failpoint; it has flushed the effects
**                 produced so far (the last FAILPOINT effect names where) and now
**                 waits to be SIGKILLed;
**          FATAL: the node cannot go on; the last NOTE says why (harness error).
**        Fewer sections than steps, the last OK, means the node stopped the batch
**        early (see "Batches" below); the simulator sends the rest again later.
**        effect = type:u8 then
**          SEND       to:str8, queue:str8, label:str8, pay:u64, msg:u64,
**                     delivery:u64, frame:blob      (queue/label/pay/msg/delivery:
**                     the frame's routing facts, so the simulator can fault and trace
**                     frames without parsing them)
**          TIMER      id:u32, delay_us:i64         (replaces a pending timer id)
**          REPLY      pay:u64, ok:u8, detail:str8  (answer to a PAY step)
**          NOTE       kind:str8, pay:u64, detail:str16   (trace only)
**          FAILPOINT  name:str8                    (passed, in order)
**          INJECTED   name:str8                    (took the injected fault path there)
**          PASSED     name:str8, count:u32         (passes of an armed disk.* site in
**                                                   this step: see "Disk sites" below)
** An armed entry names a site in the code and what happens the (skip+1)-th time the
** node passes it in this step (earlier and later passes are ordinary):
**   action CRASH (0)   a failpoint (service.h): the node replies CRASH and waits to be
**                      killed, so the database is left as a real crash there leaves it;
**   action INJECT (1)  an injection site (io.h, OX_SITE_*): the library's inject hook
**                      answers "yes" and the service takes the injected fault path (a
**                      BUGGIFY-style switch), then the step goes on; the node reports
**                      INJECTED in order with the other effects.
** Disk sites.  A node on the simulated disk (node/vfs.h) asks at every read, write or
** sync of its database files whether an armed INJECT site "disk.<op>.<fault>" fires
** (op: write, sync, read; fault: full, eio, fsync_fail); a firing one makes that call
** fail (SQLITE_FULL, SQLITE_IOERR_WRITE/_READ/_FSYNC) and is reported INJECTED in
** order, named "<site>@<file>" with the file it was on ("disk.write.eio@wal"; file: db,
** wal or journal, proto/disk.h; a node that cannot tell may give the site alone).
** At the end of the step the node adds one PASSED effect per armed disk site with how
** many calls passed it, so the simulator can count calls across steps (a disk fault's
** nth) without the node keeping any state of the fault.
** Memory sites.  The site "disk.alloc.nomem" is asked, the same way, before each of
** SQLite's allocations in the step (node/memf.h: the node wraps SQLite's allocator); a
** firing one makes the allocation fail (SQLite answers SQLITE_NOMEM), reported INJECTED,
** and its passes are reported in PASSED like a disk site's.
** Any other action is a malformed step.  The library's failpoint semantics do not
** change: an entry armed as CRASH behaves exactly as an armed failpoint always did.
**
** Batches.  A batch saves round trips; it must never change a run, so a batched run
** and the same run stepped one event at a time give the same trace byte for byte
** (tests/system/determinism.sh checks it).  The simulator batches only consecutive events
** of its queue, all for this node, within the minimum link latency of the first
** (nothing a node sends in that window can arrive inside it).  What only the node can
** know it checks itself: it handles step i+1 only if step i
**   - replied OK (a crash or fatal ends the batch),
**   - set no timer due before step i+1's vtime (the timer would fire first), and no
**     timer that a later TIMER step of the batch names (that step would be stale),
**   - left the reply under OX_STEP_MAX bytes (every step keeps the room it has alone).
** The simulator then handles the sections exactly as it would have handled single
** replies, and queues the steps not handled again at their old places.
**
** Both sides bound every size: a STEP over OX_STEP_MAX bytes or OX_BATCH_MAX steps, a
** REPLY over OX_REPLY_MAX bytes, a section of more than OX_STEP_MAX_EFFECTS effects or
** over OX_STEP_MAX bytes, or a step arming more than OX_STEP_MAX_ARMED sites is
** rejected.
*/
#ifndef OX_STEP_H
#define OX_STEP_H

#include <stddef.h>
#include <stdint.h>

#define OX_STEP_MAX (1u << 20)
#define OX_REPLY_MAX \
    (2u * OX_STEP_MAX) /* a batch's reply: the last section still has OX_STEP_MAX */
#define OX_BATCH_MAX 16
#define OX_STEP_MAX_EFFECTS 4096
#define OX_STEP_MAX_ARMED 8
#define OX_NAME_MAX 64         /* node, queue, label, failpoint, note kind */
#define OX_DETAIL_MAX 512      /* note detail */
#define OX_BLOB_MAX 4096       /* one frame carried in a step */
#define OX_CLOCK_MAX_US 9999999999999999LL   /* a step's clock_us: ten digits of seconds */
#define OX_CLOCK_TEXT_LEN 17   /* "SSSSSSSSSS.UUUUUU", libfaketime's FAKETIME value */

typedef enum {
    OX_STEP_START = 1,
    OX_STEP_FRAME,
    OX_STEP_TIMER,
    OX_STEP_PAY,
    OX_STEP_STOP
} ox_step_kind;
typedef enum { OX_REPLY_OK = 0, OX_REPLY_CRASH = 1, OX_REPLY_FATAL = 2 } ox_reply_status;
typedef enum {
    OX_FX_SEND = 1,
    OX_FX_TIMER,
    OX_FX_REPLY,
    OX_FX_NOTE,
    OX_FX_FAILPOINT,
    OX_FX_INJECTED,
    OX_FX_PASSED,
    OX_FX_DECLARE                 /* in a START's reply only: a failpoint the node has */
} ox_effect_type;
/* CRASH is 0 so that an entry filled in without an action is an armed failpoint. */
typedef enum { OX_ARM_CRASH = 0, OX_ARM_INJECT = 1 } ox_arm_action;

typedef struct {
    char name[OX_NAME_MAX + 1];   /* failpoint or injection site */
    uint32_t skip;
    uint8_t action;               /* ox_arm_action */
} ox_armed;

typedef struct {
    uint32_t seq;
    uint8_t kind;                 /* ox_step_kind */
    int64_t vtime_us;
    int64_t clock_us;             /* the node's clock for this step (>= 0, < 10^16) */
    uint8_t narmed;
    ox_armed armed[OX_STEP_MAX_ARMED];
    char from[OX_NAME_MAX + 1];   /* FRAME */
    const uint8_t *frame;         /* FRAME: points into the decoded buffer */
    size_t frame_len;
    uint32_t timer_id;            /* TIMER */
    uint64_t pay_id;              /* PAY */
    uint32_t account;
    int64_t amount;
} ox_step;

typedef struct {
    uint8_t type;                 /* ox_effect_type */
    char to[OX_NAME_MAX + 1];     /* SEND */
    char queue[OX_NAME_MAX + 1];  /* SEND */
    char label[OX_NAME_MAX + 1]; /* SEND: frame type and message kind, e.g. "DELIVER PAYMENT"; NOTE:
                                    kind; FAILPOINT, INJECTED, DECLARE: name */
    uint64_t pay, msg, delivery;  /* SEND; pay also REPLY and NOTE */
    const uint8_t *frame;         /* SEND: points into the decoded buffer */
    size_t frame_len;
    uint32_t timer_id;            /* TIMER */
    int64_t delay_us;             /* TIMER */
    uint8_t ok;                   /* REPLY */
    uint32_t count;               /* PASSED */
    char detail[OX_DETAIL_MAX + 1]; /* REPLY, NOTE */
} ox_effect;

typedef struct {
    uint32_t seq;
    uint8_t status;               /* ox_reply_status */
    uint16_t neffects;
    ox_effect *effects;           /* caller-provided array of OX_STEP_MAX_EFFECTS */
} ox_reply;

/* Encoders return the length written into out[cap], or 0 if it did not fit. */
size_t ox_steps_encode(const ox_step *steps, unsigned nsteps, uint8_t *out, size_t cap);
/* Decodes a STEP into steps[OX_BATCH_MAX] and *nsteps; 0, or -1 with a one-line reason
** in err.  Frames point into buf. */
int ox_steps_decode(const uint8_t *buf, size_t len, ox_step *steps, unsigned *nsteps,
                    char *err, size_t errlen);
/* A batch of one step. */
size_t ox_step_encode(const ox_step *s, uint8_t *out, size_t cap);
int ox_step_decode(const uint8_t *buf, size_t len, ox_step *s, char *err, size_t errlen);

/* A reply is built section by section, effect by effect, into a caller buffer. */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    size_t section;               /* offset of the open section's header */
    uint8_t nsections;
    uint16_t neffects;            /* in the open section */
    int overflow;                 /* set when an effect did not fit: the reply is FATAL */
} ox_reply_builder;

/* Starts a reply and its first section, the answer to step `seq`. */
void ox_reply_begin(ox_reply_builder *b, uint8_t *buf, size_t cap, uint32_t seq);
void ox_reply_add(ox_reply_builder *b, const ox_effect *e);
/* Closes the open section with status OK and opens the next, the answer to `seq`. */
void ox_reply_next(ox_reply_builder *b, uint32_t seq);
/* Closes the open section with `status`; returns the reply's length (0 on overflow). */
size_t ox_reply_finish(ox_reply_builder *b, uint8_t status);

/* Reads a reply section by section. */
typedef struct {
    const uint8_t *buf;
    size_t len, off;
    unsigned nsections, read;
} ox_reply_reader;

/* Checks the header; 0, or -1 with a reason. */
int ox_reply_open(ox_reply_reader *rd, const uint8_t *buf, size_t len, char *err, size_t errlen);
/* The next section into r (r->effects must point at OX_STEP_MAX_EFFECTS slots): 1, or
** 0 after the last (no trailing bytes), or -1 with a reason. */
int ox_reply_next_section(ox_reply_reader *rd, ox_reply *r, char *err, size_t errlen);
/* A reply of exactly one section into r. */
int ox_reply_decode(const uint8_t *buf, size_t len, ox_reply *r, char *err, size_t errlen);

const char *ox_step_kind_name(uint8_t kind);
/* The FAKETIME text of clock_us (0..OX_CLOCK_MAX_US): always OX_CLOCK_TEXT_LEN
** characters, so a node can rewrite its FAKETIME in place (node/simhost.c). */
void ox_clock_text(int64_t clock_us, char out[OX_CLOCK_TEXT_LEN + 1]);

#endif
