/*
** schema.h: the SQL schema of each service's database.
**
** These tables are the library's storage and also a public contract: the operator
** tool (ctl/), the simulator's checker (sim/check/checker.c) and people with `sqlite3` read
** them.  Every table is STRICT.  Times are Unix epoch milliseconds read from
** clock_gettime(CLOCK_REALTIME) by the service.  Each file carries
** PRAGMA application_id = OX_APP_ID and PRAGMA user_version = the role's schema id,
** so a database of another program or another role is refused, not damaged.
**
** payment database (user_version OX_SCHEMA_PAYMENT):
**   payment(id INTEGER PRIMARY KEY,            -- the client's payment id
**           account INTEGER NOT NULL, amount INTEGER NOT NULL,  -- cents
**           status TEXT NOT NULL,              -- 'PAID' | 'REFUNDED'
**           created_at INTEGER NOT NULL)
**   outbox(id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the message id
**          payment_id INTEGER NOT NULL UNIQUE,
**          status TEXT NOT NULL,               -- 'SENDING' | 'CONSUMED' | 'FAILED' | 'DEAD'
**          attempts INTEGER NOT NULL,          -- publications so far
**          next_attempt_at INTEGER NOT NULL,   -- when the scan may publish it again
**          payload BLOB NOT NULL,              -- the encoded PAYMENT message
**                                              --   (a wire.h PUBLISH frame to
**                                              --   PAY_QUEUE, attempt 1)
**          created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)
**     index outbox_due ON outbox(next_attempt_at) WHERE status = 'SENDING'
**   refund(payment_id INTEGER PRIMARY KEY, amount INTEGER NOT NULL,
**          reason TEXT NOT NULL, created_at INTEGER NOT NULL)
**   alert(id INTEGER PRIMARY KEY AUTOINCREMENT, outbox_id INTEGER NOT NULL,
**         payment_id INTEGER NOT NULL, kind TEXT NOT NULL,    -- 'DEAD_LETTER'
**         message TEXT NOT NULL, created_at INTEGER NOT NULL)
**   outbox_cleaned(payment_id INTEGER PRIMARY KEY, outbox_id INTEGER NOT NULL,
**          status TEXT NOT NULL,               -- the row's last status: 'CONSUMED' | 'FAILED'
**          attempts INTEGER NOT NULL, settled_at INTEGER NOT NULL)  -- its updated_at
**     the tombstone of a deleted outbox row (knob cleanup_after), written by the trigger
**     outbox_tombstone in the DELETE's own transaction: the payload and the row go, the
**     fact that the row existed and how it ended stays (the checker reads it)
**   outbox_archive(id INTEGER PRIMARY KEY, payment_id INTEGER NOT NULL UNIQUE,
**          status TEXT NOT NULL,               -- 'CONSUMED' | 'FAILED'
**          attempts INTEGER NOT NULL, payload BLOB NOT NULL,
**          created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)
**     knob completion=archive: a finished outbox row, moved here (then deleted from outbox,
**     which leaves its tombstone too) by the transaction that finished it.  Created (IF NOT
**     EXISTS) when a service with completion=archive opens the file, and only then
**     (payment.c: create_archive), so no new user_version: every older payment file
**     opens as before, and the files of the other configurations do not change
**   (design `direct` writes no outbox rows; its messages carry msg_id = payment id)
**
** accounting database (user_version OX_SCHEMA_ACCOUNTING):
**   inbox(msg_id INTEGER PRIMARY KEY, payment_id INTEGER NOT NULL,
**         outcome TEXT NOT NULL,               -- 'APPLIED' | 'REFUSED'
**         reason TEXT NOT NULL, received_at INTEGER NOT NULL)
**   voucher(id INTEGER PRIMARY KEY AUTOINCREMENT, payment_id INTEGER NOT NULL,
**           msg_id INTEGER NOT NULL, account INTEGER NOT NULL,
**           amount INTEGER NOT NULL, created_at INTEGER NOT NULL)
**     (deliberately no UNIQUE(payment_id): exactly-once is the inbox's job, and the
**      checker must be able to see when a design gets it wrong)
**   Knob inbox_retention: a purge deletes inbox rows whose received_at is older than the
**   retention; vouchers are business records and stay.  A message id forgotten that way
**   is new again to `lookup`: a redelivery after it is applied a second time.
**
** broker database (user_version OX_SCHEMA_BROKER):
**   message(id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the delivery id
**           queue TEXT NOT NULL, frame BLOB NOT NULL,    -- the encoded msg (the PUBLISH
**                                                        -- frame it came in)
**           redeliveries INTEGER NOT NULL, visible_at INTEGER NOT NULL)
**   Used only with durable=1; in-memory queues leave it empty.
**   meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL)  -- 'incarnation': bumped at every open;
**     delivery ids (message.id) are incarnation<<32 | seq, never reused across restarts
*/
#ifndef OX_SCHEMA_H
#define OX_SCHEMA_H

#define OX_APP_ID 0x4f58424c            /* "OXBL" */
#define OX_SCHEMA_PAYMENT 101
#define OX_SCHEMA_ACCOUNTING 201
#define OX_SCHEMA_BROKER 301

#endif
