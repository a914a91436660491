/*
** step.h: the node protocol, spoken between the simulator and a service process
** (bin/outbox-node --sim ENDPOINT) over one ZeroMQ PAIR socket per process life.
**
** The simulator sends a STEP; the node handles exactly that one event and answers with
** one REPLY listing everything it wants done (the effects).  Between a REPLY and the
** next STEP the node does nothing, so a node's behaviour is a pure function of the
** steps it receives; that, plus the virtual clock (libfaketime reads the time of the
** event being handled from a file the simulator writes before each STEP), makes a run
** deterministic.
**
** STEP   magic "ST" u8 version=2, seq:u32, kind:u8, vtime_us:i64,
**        narmed:u8, narmed x { name:str8, skip:u32, action:u8 },
**        then by kind:
**          START  (nothing: open the database, recover, arm timers)
**          FRAME  from:str8, frame:blob
**          TIMER  id:u32
**          PAY    pay_id:u64, account:u32, amount:i64
**          STOP   (nothing: close the database and exit 0 after replying)
** REPLY  magic "RP" u8 version=2, seq:u32 (echo), status:u8, neffects:u16, effects...
**          status OK: the step was handled;
**          CRASH: the node reached an armed failpoint; it has flushed the effects
**                 produced so far (the last FAILPOINT effect names where) and now
**                 waits to be SIGKILLed;
**          FATAL: the node cannot go on; the last NOTE says why (harness error).
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
** An armed entry names a site in the code and what happens the (skip+1)-th time the
** node passes it in this step (earlier and later passes are ordinary):
**   action CRASH (0)   a failpoint (service.h): the node replies CRASH and waits to be
**                      killed, so the database is left as a real crash there leaves it;
**   action INJECT (1)  an injection site (io.h, OX_SITE_*): the library's inject hook
**                      answers "yes" and the service takes the injected fault path (a
**                      BUGGIFY-style switch), then the step goes on; the node reports
**                      INJECTED in order with the other effects.
** Any other action is a malformed step.  The library's failpoint semantics do not
** change: an entry armed as CRASH behaves exactly as an armed failpoint always did.
**
** Both sides bound every size: a STEP or REPLY over OX_STEP_MAX bytes, more than
** OX_STEP_MAX_EFFECTS effects or OX_STEP_MAX_ARMED armed failpoints is rejected.
*/
#ifndef OX_STEP_H
#define OX_STEP_H

#include <stddef.h>
#include <stdint.h>

#define OX_STEP_MAX (1u << 20)
#define OX_STEP_MAX_EFFECTS 4096
#define OX_STEP_MAX_ARMED 8
#define OX_NAME_MAX 64         /* node, queue, label, failpoint, note kind */
#define OX_DETAIL_MAX 512      /* note detail */
#define OX_BLOB_MAX 4096       /* one frame carried in a step */

typedef enum { OX_STEP_START = 1, OX_STEP_FRAME, OX_STEP_TIMER, OX_STEP_PAY, OX_STEP_STOP } ox_step_kind;
typedef enum { OX_REPLY_OK = 0, OX_REPLY_CRASH = 1, OX_REPLY_FATAL = 2 } ox_reply_status;
typedef enum { OX_FX_SEND = 1, OX_FX_TIMER, OX_FX_REPLY, OX_FX_NOTE, OX_FX_FAILPOINT, OX_FX_INJECTED } ox_effect_type;
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
    char label[OX_NAME_MAX + 1];  /* SEND: frame type and message kind, e.g. "DELIVER PAYMENT"; NOTE: kind; FAILPOINT, INJECTED: name */
    uint64_t pay, msg, delivery;  /* SEND; pay also REPLY and NOTE */
    const uint8_t *frame;         /* SEND: points into the decoded buffer */
    size_t frame_len;
    uint32_t timer_id;            /* TIMER */
    int64_t delay_us;             /* TIMER */
    uint8_t ok;                   /* REPLY */
    char detail[OX_DETAIL_MAX + 1]; /* REPLY, NOTE */
} ox_effect;

typedef struct {
    uint32_t seq;
    uint8_t status;               /* ox_reply_status */
    uint16_t neffects;
    ox_effect *effects;           /* caller-provided array of OX_STEP_MAX_EFFECTS */
} ox_reply;

/* Encoders return the length written into out[cap], or 0 if it did not fit. */
size_t ox_step_encode(const ox_step *s, uint8_t *out, size_t cap);
/* Decoders return 0, or -1 with a one-line reason in err. */
int ox_step_decode(const uint8_t *buf, size_t len, ox_step *s, char *err, size_t errlen);

/* A reply is built effect by effect into a caller buffer. */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    uint16_t neffects;
    int overflow;                 /* set when an effect did not fit: the reply is FATAL */
} ox_reply_builder;

void ox_reply_begin(ox_reply_builder *b, uint8_t *buf, size_t cap, uint32_t seq);
void ox_reply_add(ox_reply_builder *b, const ox_effect *e);
/* Writes status and count; returns the final length (0 on overflow). */
size_t ox_reply_finish(ox_reply_builder *b, uint8_t status);
/* Decodes into r (r->effects must point at OX_STEP_MAX_EFFECTS slots). */
int ox_reply_decode(const uint8_t *buf, size_t len, ox_reply *r, char *err, size_t errlen);

const char *ox_step_kind_name(uint8_t kind);

#endif
