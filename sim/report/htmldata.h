/*
** htmldata.h: what the HTML report of a run shows, read back from the run's trace.
**
** The report is built after the run from trace.jsonl (read twice, line by line, never
** held whole) and from the run's record (report.h: the checker's verdicts, the scenario's
** faults).  Everything kept is bounded whatever the size of the run:
**   - the plots: HD_BINS bins over the active part of the run (counts, and gauges as
**     the bin's max), merged from HD_FINE_BINS bins over the whole run;
**   - the sequence chart: the frames and notes of at most HD_MAX_FOLLOW followed
**     payments, cut at HD_MAX_ITEMS items (the page says so);
**   - the life of a message: at most HD_MAX_LIVES payments, HD_MAX_LIFE_ITEMS each;
**   - the trace lines behind violations: the ones the checker cites, HD_LINE_MAX bytes each.
** Per-payment counters are arrays of the workload's size (bounded by SIM_MAX_PAYMENTS).
**
** This header is private to htmldata.c, htmljson.c and html.c (htmljson.h writes it out).
*/
#ifndef SIM_HTMLDATA_H
#define SIM_HTMLDATA_H

#include <stdint.h>
#include <stdio.h>

#include "html.h"
#include "htmllease.h"
#include "tline.h"

#define HD_FINE_BINS 4096  /* pass 1 bins the whole run finely ... */
#define HD_BINS 300        /* ... the page gets at most this many, over the active part */
#define HD_MAX_ITEMS 700
#define HD_MAX_LIVES 250
#define HD_MAX_LIFE_ITEMS 40
#define HD_MAX_CITED 1024
#define HD_LINE_MAX 600
#define HD_MAX_DOWNS 64
#define HD_MAX_DISK 256        /* disk_fault lines kept for the page; more are counted */
#define HD_CHART_DISK 24       /* of them, marks in the sequence chart */
#define HD_MAX_NOTES 64
#define HD_MAX_DELIVERIES 256
#define HD_DELAY_BINS 40

enum { LANE_CLIENT, LANE_PAYMENT, LANE_BROKER, LANE_ACCOUNTING, LANES };
/* A lane per node slot (scenario.h): the client's, then node n's at n + 1, so that the
** three nodes keep their lanes and topology{}'s instances come after (the page orders
** them: relays beside payment, meta.lanes). */
#define HD_LANE_OF_NODE(n) ((n) + 1)
#define HD_MAX_LANES (SIM_MAX_NODES + 1)

/* per-payment flags gathered by the first pass: why a payment is worth following */
enum {
    PF_DROP = 1, PF_DUP = 2, PF_LOSTDOWN = 4, PF_REFUSED = 8, PF_REPUB = 16, PF_DEAD = 32,
    PF_CRASH = 64, PF_REDELIVER = 128
};
/* outbox row states, derived from the payment service's notes */
enum { OS_NONE, OS_SENDING, OS_CONSUMED, OS_FAILED, OS_DEAD, OS_PUBLISHED };

typedef struct {
    int32_t sending, inflight;          /* gauges: max over the bin */
    int32_t sending_last, inflight_last;
    int32_t deliveries, dups, lost, retries, redeliveries, dropped;   /* counts in the bin */
    int32_t commits, vouchers, alerts, dead;   /* cumulative, at the bin's end */
} hd_bin;

typedef struct {
    int64_t t;
    uint32_t line;            /* trace line number, 1-based */
    char kind[16]; /* send drop deliver lost pay reply note crash restart heal converged scenario
                      power_cut disk_fault start_failed pause resume */
    int8_t a, b;              /* lanes (LANE_*): from and to, or the lane of a mark; -1 none */
    uint64_t frame, pay;
    int64_t n;                /* copies, life, attempt, fault id */
    char label[40];           /* frame label or note kind */
    char text[120];
} hd_item;

typedef struct {
    int64_t t;
    char kind[16];
    char text[120];
} hd_life_item;

typedef struct {
    uint64_t pay;
    int nitems, cut;
    hd_life_item items[HD_MAX_LIFE_ITEMS];
} hd_life;

typedef struct {
    int lane;
    int64_t from, to;         /* to = -1: still down at the end */
    char at[72];
    int64_t fault;
} hd_down;

/* A disk call the simulated disk failed (a "disk_fault" line). */
typedef struct {
    int lane;
    int64_t t, fault;
    char op[8], error[16];
} hd_disk;

typedef struct {
    const struct report_run *run;
    uint32_t npay;
    int direct, mark_on_publish;
    int64_t span, bin_us;
    /* first pass */
    uint8_t *flags, *state;   /* [npay + 1] */
    int64_t *commit_t;        /* [npay + 1]; -1 none */
    float *delay;             /* [npay + 1]; seconds from commit to voucher, -1 none */
    hd_bin bins[HD_FINE_BINS];
    int cur_bin;
    int32_t sending, inflight, commits, vouchers, alerts, dead;
    uint64_t last_pay;
    int64_t last_pay_t;
    int last_pay_lane;        /* the lane that wrote that line */
    uint32_t cited[HD_MAX_CITED];
    char *cited_text[HD_MAX_CITED];
    int ncited;
    hd_down downs[HD_MAX_DOWNS];
    int ndowns;
    hd_down pauses[HD_MAX_DOWNS];   /* "pause" to "resume" (to = -1: never resumed) */
    int npauses;
    hd_disk disk[HD_MAX_DISK];
    int ndisk, disk_cut, disk_items;
    int64_t heal_t, converged_t, end_t;
    int64_t active_t;         /* the last line that was not a timer or the end */
    /* selections */
    uint64_t follow[HTML_MAX_FOLLOW];
    char follow_why[HTML_MAX_FOLLOW][96];
    int nfollow;
    const char *follow_how;   /* how the followed payments were chosen */
    int32_t *life_slot;       /* [npay + 1]; -1 not shown */
    hd_life *lives;
    int nlives;
    /* second pass */
    uint64_t deliveries[HD_MAX_DELIVERIES][2];   /* delivery id and payment, of followed payments */
    int ndeliveries;
    hd_item *items;
    int nitems, items_cut;
    int64_t cut_at;
    uint64_t follow_frames;   /* frames of followed payments, shown or not */
    hl_view leases;           /* who held which row when (htmllease.h); runs with relays */
} hd_run;

/* Reads the trace twice and fills r.  Returns 0, or -1 with a reason in err. */
int hd_build(hd_run *r, const struct report_run *run, const html_opts *o, char *err,
             size_t cap);
void hd_free(hd_run *r);

/* The lane (LANE_*) of a node's name, or -1. */
int hd_lane(const char *node);

#endif
