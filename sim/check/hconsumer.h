/*
** hconsumer.h: accounting's history checks (history.h): answer_after_commit,
** dedupe_same_answer, business_rules.
**
** One record per message id (at most the workload's payments): whether its inbox row
** committed and with which outcome, and the client's request for each payment (amount
** and account, from the "pay" lines) to judge the rules against the knobs max_amount
** and frozen.  Accounting's inbox is durable, so what committed stays committed across
** its restarts.  With knob inbox_retention, dedupe_same_answer also holds each purge to
** the rows received more than inbox_retention before it (on_purge): a consumer remembers
** each message it decided for at least that long.
*/
#ifndef SIM_HCONSUMER_H
#define SIM_HCONSUMER_H

#include "history.h"

typedef struct hconsumer hconsumer;

hconsumer *hconsumer_new(const history_conf *conf);   /* NULL: out of memory */
void hconsumer_event(hconsumer *c, history_sink *s, const history_ev *e);
void hconsumer_end(hconsumer *c, history_sink *s);
/* For restart_state: inbox rows and vouchers the history says accounting committed (an
** apply or refuse note per new message id, a voucher per apply note; a duplicate note
** proves the inbox row of a message accounting died inside), and how many messages it
** died inside (each may have committed its inbox row and voucher, or not). */
int64_t hconsumer_inbox_rows(const hconsumer *c);
int64_t hconsumer_vouchers(const hconsumer *c);
int64_t hconsumer_maybe(const hconsumer *c);
void hconsumer_free(hconsumer *c);

#endif
