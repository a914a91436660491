/*
** role.c: the one table of role names and meanings (see role.h).
**
** The table is written once, as ROLES below; the list of names and the meanings are
** both drawn from it, so they cannot disagree.  Entries are placed by their enum
** constant, so the table cannot drift from ox_role's order either.
*/
#include "role.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

/* X(constant, name, meaning): one line per role. */
#define ROLES(X)                                                                          \
    X(OX_ROLE_PAYMENT, "payment",                                                         \
      "the producer: writes each payment with its outbox row, publishes it to PAY_QUEUE") \
    X(OX_ROLE_BROKER, "broker",                                                           \
      "the message queue: delivers PAY_QUEUE to accounting, ACC_QUEUE to payment")        \
    X(OX_ROLE_ACCOUNTING, "accounting",                                                   \
      "the consumer: inbox and voucher once per message, answers on ACC_QUEUE")         \
    X(OX_ROLE_RELAY, "relay",                                                             \
      "a recovery scan of its own: claims due outbox rows with a lease, republishes them")

#define NAME(e, name, meaning) [e] = name,
#define MEANING(e, name, meaning) [e] = meaning,

const char *const ox_role_names[OX_ROLE_COUNT + 1] = { ROLES(NAME) NULL };
static const char *const MEANINGS[OX_ROLE_COUNT] = { ROLES(MEANING) };

static int is_role(ox_role r) { return (unsigned)r < OX_ROLE_COUNT; }

const char *ox_role_name(ox_role r) {
    if (!is_role(r)) return "?";
    assert(ox_role_names[r] != NULL);
    return ox_role_names[r];
}

const char *ox_role_meaning(ox_role r) {
    if (!is_role(r)) return "?";
    assert(MEANINGS[r] != NULL);
    return MEANINGS[r];
}

int ox_role_parse(const char *name, ox_role *r) {
    assert(name != NULL);
    assert(r != NULL);
    for (int i = 0; i < OX_ROLE_COUNT; i++) {
        assert(ox_role_names[i] != NULL);
        if (strcmp(name, ox_role_names[i]) == 0) {
            *r = (ox_role)i;
            assert(strcmp(ox_role_name(*r), name) == 0);   /* parse and name are inverses */
            return 0;
        }
    }
    assert(ox_role_names[OX_ROLE_COUNT] == NULL);
    return -1;
}
