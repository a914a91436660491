/*
** role.h: the three roles a node plays, and the one table of their names.
**
** A leaf of lib/ (its layers: service.h).  Each process of the system (outbox-node
** --role NAME, a node of the simulator) plays one role; its name is what the command
** line, the io.h `send` callback's `to`, the traces, the scenarios and the reports
** call it.  Every program takes the names from here (the simulator's scenario loader
** too), so that there is one spelling.  Each name comes with a one-line meaning, for
** help texts and docs: role.c's ROLES table holds both, the only place either is
** written.
*/
#ifndef OX_ROLE_H
#define OX_ROLE_H

/* The order is the table's: the simulator numbers its nodes the same way. */
/* OX_ROLE_RELAY (issue 14): the recovery scan as a process of its own, on the payment
** database (lib/relay.h); the simulator runs it only under topology { relays = N }. */
typedef enum { OX_ROLE_PAYMENT = 0, OX_ROLE_BROKER, OX_ROLE_ACCOUNTING, OX_ROLE_RELAY } ox_role;
#define OX_ROLE_COUNT 4

/* "payment", "broker", "accounting", "relay" (indexed by ox_role), then NULL: a list that name
** suggestions and "one of ..." messages may walk. */
extern const char *const ox_role_names[OX_ROLE_COUNT + 1];

/* The role's name, or "?" for a value that is not a role. */
const char *ox_role_name(ox_role r);
/* The role's one-line meaning (above), or "?". */
const char *ox_role_meaning(ox_role r);
/* 0 and *r set if `name` is a role's name; -1 (and *r unchanged) if not. */
int ox_role_parse(const char *name, ox_role *r);

#endif
