/*
** payment.h: the payment service (the producer), internal to the library.
**
** payment.c: pay() (the business row and its outbox row in one transaction, then the
** first publication) and the answers from accounting on ACC_QUEUE (CONSUMED marks the
** row, CONSUME_FAILED marks it FAILED and refunds, idempotently).
** scan.c: the recovery scan that republishes due SENDING rows and dead-letters rows
** out of attempts.
**
** The outbox payload is the encoded PUBLISH frame (wire.h) of the row's PAYMENT
** message to PAY_QUEUE, with attempt 1; the scan decodes it and republishes it with
** the attempt it is at.  Every statement is prepared once, at open.
**
** The roles layer (service.h, Layers): includes svc.h and the foundations below it,
** never service.h; service.c calls in, and nothing here calls back up.
*/
#ifndef OX_PAYMENT_H
#define OX_PAYMENT_H

#include <stdint.h>

#include <sqlite3.h>

#include "svc.h"

/* One row picked by a scan. */
typedef struct {
    int64_t id, pay_id, attempts;
    int ok;                      /* the payload decoded to a PAYMENT for this row */
    ox_msg msg;
} ox_due;

/* One row the cleanup deleted, kept until its transaction committed (scan.c). */
typedef struct {
    int64_t id, pay_id, updated_at;
    char status[12];             /* 'CONSUMED' | 'FAILED' (design cleanup-by-age: any) */
} ox_gone;

struct ox_payment {
    sqlite3_stmt *find_payment, *ins_payment, *ins_outbox, *set_payload;
    sqlite3_stmt *mark_consumed, *mark_failed, *refund_payment, *ins_refund;
    sqlite3_stmt *scan, *reschedule, *publish_done, *mark_dead, *ins_alert;
    sqlite3_stmt *count_sending, *cleanup;
    sqlite3_stmt *archive_row, *delete_row;   /* knob completion (payment.c) */
    ox_due *due;                 /* cfg.scan_batch slots */
    ox_gone *gone;               /* cfg.scan_batch slots: a cleanup's deleted rows */
    struct ox_ordered *ord;      /* design ordered only (ordered.h), else NULL */
};

/* Whether this process runs the recovery scan: the design has one, and it is not a
** payment service whose scan relay processes run (knob relays > 0). */
int ox_payment_has_scan(const ox_service *s);

ox_status ox_payment_open(ox_service *s);
void ox_payment_close(ox_service *s);
ox_status ox_payment_start(ox_service *s);
ox_status ox_payment_on_frame(ox_service *s, const char *from, const ox_frame *f);
ox_status ox_payment_on_timer(ox_service *s, int id);
ox_status ox_payment_pay(ox_service *s, uint64_t pay_id, uint32_t account, int64_t amount);

/* Publishes m to PAY_QUEUE and reports it. */
void ox_payment_publish(ox_service *s, const ox_msg *m);

/* scan.c */
ox_status ox_payment_prepare_scan(ox_service *s);
ox_status ox_payment_scan(ox_service *s);
/* One due row, as the scan handles it: DEAD and its alert when out of attempts (or
** unreadable), else the next publication and its reschedule.  *batch_pay: 0 before a
** scan's first row (design alert-stale-payment).  For relay.c. */
ox_status ox_payment_scan_row(ox_service *s, ox_due *d, int64_t now, int64_t *batch_pay);
/* The scan's cleanup (knob cleanup_after; nothing when 0): one batch of settled rows
** deleted, a note each.  A relay runs it on its scan timer too (relay.c). */
ox_status ox_payment_cleanup(ox_service *s, int64_t now);
/* Fills d->msg and d->ok from a stored payload (d->id and d->pay_id set). */
int ox_payment_decode_due(ox_due *d, const void *blob, int n);
/* Design mark-on-publish only: the row just published as `attempt` is taken to be
** done (CONSUMED), which is the mistake this design stands for. */
ox_status ox_payment_mark_published(ox_service *s, int64_t msg_id, uint32_t attempt, int64_t now);

#endif
