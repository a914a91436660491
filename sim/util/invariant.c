/*
** invariant.c: the table of the invariants the checker judges (see invariant.h).
*/
#include "invariant.h"

#include <assert.h>
#include <string.h>

static const invariant_info TABLE[INVARIANT_COUNT] = {
    { "durability", "every payment the client saw succeed is in the payment database",
      "The client was told OK, but the payment is not in the database: an acknowledged write "
      "was lost." },
    { "atomicity", "every payment has its outbox row, and every outbox row its payment",
      "A payment and its outbox row were not written together, so one exists without the "
      "other." },
    { "no_phantom", "every voucher belongs to a committed payment, with the same amount",
      "Accounting booked a voucher for a payment that never committed: the message left "
      "before COMMIT, and the transaction then died." },
    { "exactly_once", "at most one voucher per payment",
      "One payment was booked more than once: a duplicate delivery was applied again, because "
      "the consumer does not remember which messages it applied." },
    { "eventual_consistency",
      "every paid payment has exactly one voucher and its outbox row is CONSUMED; nothing is "
      "left SENDING",
      "Money left the payer but accounting never booked it (or the outbox row never learnt it "
      "was): a message was lost and nothing sent it again." },
    { "compensation",
      "every refused payment is refunded, has no voucher, and its row is FAILED",
      "Accounting refused a payment but the payer was not refunded: the CONSUME_FAILED answer "
      "was lost or ignored." },
    { "dead_letters_alerted", "every DEAD row has an alert",
      "An outbox row gave up (DEAD) without an alert: nobody will know to requeue it." },
    { "convergence",
      "after healing, the system went quiet (nothing SENDING, nothing in flight, nothing the "
      "broker holds unacked) before the settle phase ended",
      "The system did not go quiet after the faults stopped: rows stayed SENDING or frames "
      "kept flying." },
};

const invariant_info *invariant_at(int i) {
    assert(i >= 0);
    assert(i < INVARIANT_COUNT);
    assert(TABLE[i].name != NULL);
    return &TABLE[i];
}

int invariant_index(const char *name) {
    if (!name) return -1;
    for (int i = 0; i < INVARIANT_COUNT; i++)
        if (strcmp(TABLE[i].name, name) == 0) return i;
    return -1;
}

void invariant_names(const char *out[INVARIANT_COUNT + 1]) {
    for (int i = 0; i < INVARIANT_COUNT; i++) out[i] = TABLE[i].name;
    out[INVARIANT_COUNT] = NULL;
}
