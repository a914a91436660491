/*
** wire.h: the outbox's frame layout, and its encoder and decoder.
**
** One layout for every frame the three services exchange, whether the simulator
** carries it or ZeroMQ TCP does.  All integers are little-endian.
**
**   offset size  field
**   0      2     magic "OX"
**   2      1     version (OX_WIRE_VERSION = 1)
**   3      1     type: 1 PUBLISH, 2 DELIVER, 3 DACK
**   4      4     body length N; 8 + N <= OX_FRAME_MAX
**   8      N     body, by type:
**     PUBLISH  queue:str8  msg
**     DELIVER  queue:str8  delivery:u64  redeliveries:u32  msg
**     DACK     queue:str8  delivery:u64
**   msg = kind:u8 (1 PAYMENT, 2 CONSUMED, 3 CONSUME_FAILED)  msg_id:u64  pay_id:u64
**         account:u32  amount:i64  attempt:u32  reason:str8
**   str8 = length:u8 then that many bytes, no NUL; queue <= 32 bytes, reason <= 64.
**
** PUBLISH goes from a producer to the broker ("put msg on queue").  DELIVER goes from
** the broker to the queue's subscriber; the subscriber answers DACK with the same
** delivery id once it is done with it (at-least-once mode redelivers until then).
**
** Frames are built by one constructor per type (ox_wire_publish, ox_wire_deliver,
** ox_wire_dack), never field by field: a constructed frame always encodes, and what
** ox_wire_encode writes ox_wire_decode reads back field for field.
**
** ox_wire_frames is the one table of the frames the services exchange: who sends each
** to whom on which queue, its label ("PUBLISH PAYMENT", "DACK": the name the hosts,
** the traces and the scenarios' fault rules use) and what it means.  ox_wire_label
** finds a frame's label there.
**
** The decoder accepts a frame only if every byte is accounted for: a short buffer,
** a body length that disagrees with the buffer, a buffer over OX_FRAME_MAX, a bad
** magic or version, an unknown type or kind, an over-long or NUL-bearing string, or
** trailing bytes are each rejected with their own error code, and it never reads
** outside [buf, buf+len).
**
** The foundations layer (service.h, Layers): includes only codec.h and role.h.
*/
#ifndef OX_WIRE_H
#define OX_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "role.h"

#define OX_WIRE_VERSION 1
#define OX_FRAME_HEADER 8
#define OX_FRAME_MAX 512
#define OX_QUEUE_MAX 32     /* longest queue name, bytes */
#define OX_REASON_MAX 64    /* longest failure reason, bytes */

#define OX_PAY_QUEUE "PAY_QUEUE"
#define OX_ACC_QUEUE "ACC_QUEUE"

typedef enum { OX_F_PUBLISH = 1, OX_F_DELIVER = 2, OX_F_DACK = 3 } ox_frame_type;
typedef enum { OX_M_PAYMENT = 1, OX_M_CONSUMED = 2, OX_M_CONSUME_FAILED = 3 } ox_msg_kind;

typedef struct {
    uint8_t kind;          /* ox_msg_kind */
    uint64_t msg_id;       /* the outbox row id: the dedupe key */
    uint64_t pay_id;       /* the payment it is about */
    uint32_t account;
    int64_t amount;        /* in cents */
    uint32_t attempt;      /* which publication of the outbox row this is, from 1 */
    char reason[OX_REASON_MAX + 1];   /* CONSUME_FAILED: why; else empty */
} ox_msg;

typedef struct {
    uint8_t type;          /* ox_frame_type */
    char queue[OX_QUEUE_MAX + 1];
    uint64_t delivery;     /* DELIVER, DACK */
    uint32_t redeliveries; /* DELIVER: 0 on the first delivery */
    ox_msg msg;            /* PUBLISH, DELIVER */
} ox_frame;

typedef enum {
    OX_WIRE_OK = 0,
    OX_WIRE_TRUNCATED,     /* shorter than its header or its stated body */
    OX_WIRE_OVERSIZED,     /* longer than OX_FRAME_MAX, or states such a body */
    OX_WIRE_BAD_MAGIC,
    OX_WIRE_BAD_VERSION,
    OX_WIRE_UNKNOWN_TYPE,
    OX_WIRE_UNKNOWN_KIND,
    OX_WIRE_BAD_STRING,    /* a string too long for its field, or with a NUL */
    OX_WIRE_TRAILING,      /* bytes left over after the body */
    OX_WIRE_NO_SPACE       /* encode: output buffer too small */
} ox_wire_err;

/* The constructors, one per frame type.  `queue` is at most OX_QUEUE_MAX bytes and
** msg->kind a known kind (asserted): the frame they return always encodes. */
ox_frame ox_wire_publish(const char *queue, const ox_msg *msg);
ox_frame ox_wire_deliver(const char *queue, uint64_t delivery, uint32_t redeliveries,
                         const ox_msg *msg);
ox_frame ox_wire_dack(const char *queue, uint64_t delivery);

/* Encodes f into out[cap]; returns the frame length, or 0 with *err set. */
size_t ox_wire_encode(const ox_frame *f, uint8_t *out, size_t cap, ox_wire_err *err);
/* Decodes buf[len] into *f; returns OX_WIRE_OK or the first problem found. */
ox_wire_err ox_wire_decode(const uint8_t *buf, size_t len, ox_frame *f);
const char *ox_wire_strerror(ox_wire_err e);
const char *ox_wire_type_name(uint8_t type);    /* "PUBLISH", ..., "?" */
const char *ox_wire_kind_name(uint8_t kind);    /* "PAYMENT", ..., "?" */

/* One frame the services exchange: an entry of ox_wire_frames. */
typedef struct {
    int src, dst;          /* ox_role: who sends it, and to whom */
    const char *queue;     /* OX_PAY_QUEUE or OX_ACC_QUEUE */
    uint8_t type;          /* ox_frame_type */
    uint8_t kind;          /* ox_msg_kind; 0 for a DACK, which carries no message */
    const char *label;     /* "<TYPE> <KIND>", or "DACK" */
    const char *meaning;   /* one line: what the frame says */
} ox_frame_route;

#define OX_WIRE_NFRAMES 8
/* Every frame of the protocol, in the order a payment's life meets them. */
extern const ox_frame_route ox_wire_frames[OX_WIRE_NFRAMES];
/* f's label from ox_wire_frames ("PUBLISH PAYMENT", "DELIVER CONSUMED", "DACK"), by
** its type and kind whatever its queue; "?" for a type and kind no frame has. */
const char *ox_wire_label(const ox_frame *f);

#endif
