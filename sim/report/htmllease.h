/*
** htmllease.h: report.html's "who held which row when": each outbox row's leases, the
** relays that held them, who published the row, and where two holds overlapped.
**
** Only a run with relays (topology { relays = N }) has the view; without relays nothing
** is allocated, nothing is read and the page's data has no "leases" key, so no other
** report changes.
**
** From the relays' notes (lib/relay.c; sim/check/history.h lists their text):
**   claim    "msg M claimed by O at N until U": a hold of row M by relay O from the line's
**            time until its expiry, the line's time plus U - N (the relay's clock, ms);
**   release  "msg M released by O": the hold ends there;
**   lapse    "msg M not published by O: ...": O found the lease gone; its hold had ended;
**   publish  "msg M attempt A to ...": a publication, by payment or a relay.
** A hold ends at its release or lapse, at a new claim of the same row by the same relay,
** or at its expiry, whichever comes first (a release after the expiry: the hold ended at
** the expiry, and the page says the relay went on past it); a hold still running when
** the run ended is cut there.  Notes are parsed tolerantly: a claim whose detail has
** fields after "until U" still parses, and one that does not parse is counted, not held.
**
** Two holds of one row by different relays whose intervals intersect overlap: what
** lease_exclusive forbids.  The page lists them first, red, with the trace lines of
** both claims (their text is read in the report's second pass).  A relay's
** publication while the row's latest claim was another relay's, or its own had ended, is
** marked (the database's lease was not its own: what lease_held forbids).
**
** Bounded whatever the run: HL_MAX_HOLDS holds and HL_MAX_PUBS publications are kept
** (the rest are counted), HL_MAX_ROWS rows go to the page (overlapping ones first),
** HL_MAX_OVERLAPS overlaps are listed with their lines.  Per row two int32 (first hold,
** first publication) over the workload's payments.
**
** Private to sim/report: htmldata.c feeds it the trace's lines, htmljson.c writes it.
*/
#ifndef SIM_HTMLLEASE_H
#define SIM_HTMLLEASE_H

#include <stddef.h>
#include <stdint.h>

#include "tline.h"
#include "../check/checker.h"
#include "../scenario/scenario.h"
#include "../util/json.h"

#define HL_MAX_HOLDS 4096
#define HL_MAX_PUBS 4096
#define HL_MAX_ROWS 150
#define HL_MAX_OVERLAPS 64
#define HL_MAX_LINES (HL_MAX_OVERLAPS * 4)

/* How a hold ended. */
typedef enum { HL_OPEN, HL_RELEASE, HL_LAPSE, HL_EXPIRY, HL_RECLAIM, HL_RUN_END } hl_end;

typedef struct {
    uint64_t pay, msg;
    int64_t from, to, expiry;     /* virtual microseconds; to = -1 while open */
    uint32_t claim_line, end_line;     /* end_line 0: it expired, or the run ended */
    int32_t next;                 /* the row's previous hold, -1 */
    int8_t relay;                 /* 1..SIM_MAX_RELAYS */
    int8_t end;                   /* hl_end */
    uint8_t overlap;              /* another relay held the row during it */
    uint8_t late;                 /* released or lapsed after its expiry */
} hl_hold;

typedef struct {
    int64_t t;
    uint32_t line;
    int32_t attempt, next;
    int8_t who;                   /* 0 payment, 1..SIM_MAX_RELAYS a relay */
    uint8_t outside;              /* a relay's, while the latest claim was not its own */
} hl_pub;

typedef struct {
    uint64_t pay;
    int32_t a, b;                 /* holds; a's claim came first */
    int64_t from, to;             /* the intersection */
} hl_overlap;

typedef struct {
    int on;                       /* the run had relays */
    int nrelays;
    uint32_t npay;
    int32_t *head, *pub_head;     /* [npay + 1]: a row's latest hold / publication, -1 */
    hl_hold *holds;
    int nholds;
    uint64_t holds_cut, pubs_cut, unparsed;
    hl_pub *pubs;
    int npubs;
    hl_overlap ov[HL_MAX_OVERLAPS];
    int nov;
    uint64_t ov_total;
    uint32_t rows_held;           /* rows with at least one hold */
    uint32_t lines[HL_MAX_LINES];     /* the overlaps' claim and end lines, sorted */
    char *line_text[HL_MAX_LINES];
    int nlines;
} hl_view;

/* Sets v up for a run of sc; off (v->on = 0) without relays.  Returns 0, or -1 with a
** reason in err (out of memory). */
int hl_init(hl_view *v, const sim_scenario *sc, char *err, size_t cap);

/* The first pass: one trace line. */
void hl_line(hl_view *v, const tline *l, uint32_t lineno);

/* After the first pass (end_t: the run's last virtual time): closes the open holds,
** finds the overlaps and the publications outside a hold, picks the lines to quote. */
void hl_finish(hl_view *v, int64_t end_t);

/* The second pass: keeps the text of the lines hl_finish picked. */
void hl_text(hl_view *v, uint32_t lineno, const char *raw, size_t len);

/* Writes "leases": {...} into the page's object (only when v->on). */
void hl_write(json_w *w, const hl_view *v, const checker_result *c);

void hl_free(hl_view *v);

#endif
