/*
** hrestart.h: restart_state (history.h): right after each restart of a service, the
** durable state it reports finding is what the history says it committed, so a loss is
** pinned to the restart that caused it, not found only at the end.
**
** It judges the services' own "recover" notes, written as each opens its database: the
** payment service's count of SENDING rows against hproducer's, a durable at-least-once
** broker's count of restored messages against hbroker's messages held (a broker of
** in-memory queues, knob durable = false, must restore none), and accounting's
** inbox rows and vouchers against hconsumer's (each message accounting died inside may
** or may not have committed its rows).  The first start of each service is judged too.
** After a power cut on a node whose settings do not make each commit durable at COMMIT
** (wal+normal|off, delete below extra, durable_send included: it syncs before a send,
** not at COMMIT), what the cut took back was never promised, so the node's state is
** indefinite: restart_state judges none of its later restarts.  A lost commit that had
** left the service is still caught, by the end-state invariants (no_phantom, ...).
*/
#ifndef SIM_HRESTART_H
#define SIM_HRESTART_H

#include "hbroker.h"
#include "hconsumer.h"
#include "history.h"
#include "hproducer.h"

typedef struct hrestart hrestart;

hrestart *hrestart_new(const history_conf *conf);   /* NULL: out of memory */
void hrestart_event(hrestart *r, history_sink *s, const history_ev *e, const hproducer *p,
                    const hbroker *b, const hconsumer *c);
void hrestart_free(hrestart *r);

#endif
