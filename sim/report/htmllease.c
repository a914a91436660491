/*
** htmllease.c: report.html's "who held which row when" (see htmllease.h).
**
** The first pass turns the relays' claim, release and lapse notes into holds (a row's
** holds are a list through hl_hold.next, newest first) and every publish note into a
** publication; hl_finish closes what is still open and compares each row's holds pairwise
** (a row has a handful).  The page gets plain arrays; report's leases.js draws them.
*/
#include "htmllease.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/invariant.h"

#define HL_ROW_MAX 64         /* holds, and publications, of one row on the page */

static int is(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* The relay number (1..) of a node's name, or 0 (payment and the rest). */
static int relay_of(const char *node) {
    int slot = scenario_node_parse(node);
    if (slot < 0 || scenario_node_role(slot) != OX_ROLE_RELAY) return 0;
    int k = slot - SIM_NODES + 1;
    assert(k >= 1);
    assert(k <= SIM_MAX_RELAYS);
    return k;
}

int hl_init(hl_view *v, const sim_scenario *sc, char *err, size_t cap) {
    memset(v, 0, sizeof *v);
    v->nrelays = sc->instances[OX_ROLE_RELAY];
    assert(v->nrelays >= 0);
    assert(v->nrelays <= SIM_MAX_RELAYS);
    if (v->nrelays == 0) return 0;
    v->npay = sc->workload.payments;
    size_t n = (size_t)v->npay + 1;
    v->head = malloc(n * sizeof *v->head);
    v->pub_head = malloc(n * sizeof *v->pub_head);
    v->holds = calloc(HL_MAX_HOLDS, sizeof *v->holds);
    v->pubs = calloc(HL_MAX_PUBS, sizeof *v->pubs);
    if (!v->head || !v->pub_head || !v->holds || !v->pubs) {
        hl_free(v);
        snprintf(err, cap, "out of memory for the leases of %zu rows", n - 1);
        return -1;
    }
    for (size_t i = 0; i < n; i++) v->head[i] = v->pub_head[i] = -1;
    v->on = 1;
    return 0;
}

/* The relay's latest hold of the row if it is still open, else NULL. */
static hl_hold *open_hold(hl_view *v, uint64_t pay, int relay) {
    for (int32_t i = v->head[pay]; i >= 0; i = v->holds[i].next)
        if (v->holds[i].relay == relay) return v->holds[i].end == HL_OPEN ? &v->holds[i] : NULL;
    return NULL;
}

/* Ends h at t (the hold cannot outlast its expiry: a later note is late). */
static void close_hold(hl_hold *h, int64_t t, hl_end how, uint32_t line) {
    assert(h->end == HL_OPEN);
    h->late = t > h->expiry;
    h->to = t > h->expiry ? h->expiry : t;
    if (h->to < h->from) h->to = h->from;
    h->end = (int8_t)how;
    h->end_line = line;
}

/* "msg M claimed by O at N until U[ ...]". */
static void on_claim(hl_view *v, const tline *l, int relay, uint32_t line) {
    long long msg = 0, at = 0, until = 0;
    char owner[32];
    if (sscanf(l->detail, "msg %lld claimed by %31s at %lld until %lld", &msg, owner, &at,
               &until) != 4 || until < at) {
        v->unparsed++;
        return;
    }
    hl_hold *old = open_hold(v, l->pay, relay);
    if (old) close_hold(old, l->t, HL_RECLAIM, line);
    if (v->nholds == HL_MAX_HOLDS) { v->holds_cut++; return; }
    if (v->head[l->pay] < 0) v->rows_held++;
    hl_hold *h = &v->holds[v->nholds];
    h->pay = l->pay;
    h->msg = (uint64_t)msg;
    h->relay = (int8_t)relay;
    h->from = l->t;
    h->to = -1;
    h->expiry = l->t + (int64_t)(until - at) * 1000;
    h->claim_line = line;
    h->end = HL_OPEN;
    h->next = v->head[l->pay];
    v->head[l->pay] = v->nholds++;
}

static void on_publish(hl_view *v, const tline *l, int relay, uint32_t line) {
    if (v->npubs == HL_MAX_PUBS) { v->pubs_cut++; return; }
    const char *a = strstr(l->detail, "attempt ");
    hl_pub *p = &v->pubs[v->npubs];
    p->t = l->t;
    p->line = line;
    p->attempt = a ? (int32_t)strtol(a + 8, NULL, 10) : 0;
    p->who = (int8_t)relay;
    p->next = v->pub_head[l->pay];
    v->pub_head[l->pay] = v->npubs++;
}

void hl_line(hl_view *v, const tline *l, uint32_t lineno) {
    if (!v->on || !is(l->ev, "note") || l->pay == 0 || l->pay > v->npay) return;
    int relay = relay_of(l->node);
    if (is(l->kind, "publish") && (relay || is(l->node, "payment"))) {
        on_publish(v, l, relay, lineno);
        return;
    }
    if (!relay) return;
    if (is(l->kind, "claim")) on_claim(v, l, relay, lineno);
    else if (is(l->kind, "release") || is(l->kind, "lapse")) {
        hl_hold *h = open_hold(v, l->pay, relay);
        if (h) close_hold(h, l->t, is(l->kind, "release") ? HL_RELEASE : HL_LAPSE, lineno);
    }
}

/* ---- after the first pass ---------------------------------------------------------- */

static void want_line(hl_view *v, uint32_t line) {
    if (!line || v->nlines == HL_MAX_LINES) return;
    for (int i = 0; i < v->nlines; i++)
        if (v->lines[i] == line) return;
    v->lines[v->nlines++] = line;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Every pair of holds of one row by different relays that intersect. */
static void row_overlaps(hl_view *v, uint64_t pay) {
    for (int32_t i = v->head[pay]; i >= 0; i = v->holds[i].next)
        for (int32_t j = v->holds[i].next; j >= 0; j = v->holds[j].next) {
            hl_hold *a = &v->holds[j], *b = &v->holds[i];   /* j is the older claim */
            if (a->relay == b->relay) continue;
            int64_t from = a->from > b->from ? a->from : b->from;
            int64_t to = a->to < b->to ? a->to : b->to;
            /* two claims at one instant both hold the row from then on */
            if (from > to || (from == to && a->from != b->from)) continue;
            a->overlap = b->overlap = 1;
            v->ov_total++;
            if (v->nov == HL_MAX_OVERLAPS) continue;
            v->ov[v->nov++] = (hl_overlap){ .pay = pay, .a = j, .b = i, .from = from, .to = to };
            want_line(v, a->claim_line);
            want_line(v, b->claim_line);
            want_line(v, a->end_line);
            want_line(v, b->end_line);
        }
}

/* A relay's publication while the row's latest claim (by line order) was not its own or had
** ended: the database's lease was another's or nobody's (what lease_held judges). */
static void row_outside(hl_view *v, uint64_t pay) {
    for (int32_t p = v->pub_head[pay]; p >= 0; p = v->pubs[p].next) {
        hl_pub *u = &v->pubs[p];
        if (!u->who) continue;
        const hl_hold *last = NULL;
        for (int32_t i = v->head[pay]; i >= 0; i = v->holds[i].next)
            if (v->holds[i].claim_line < u->line &&
                (!last || v->holds[i].claim_line > last->claim_line))
                last = &v->holds[i];
        u->outside = !last || last->relay != u->who || u->t > last->to;
    }
}

void hl_finish(hl_view *v, int64_t end_t) {
    if (!v->on) return;
    for (int i = 0; i < v->nholds; i++) {
        hl_hold *h = &v->holds[i];
        if (h->end != HL_OPEN) continue;
        int expired = h->expiry <= end_t;
        h->to = expired ? h->expiry : end_t;
        if (h->to < h->from) h->to = h->from;
        h->end = (int8_t)(expired ? HL_EXPIRY : HL_RUN_END);
    }
    for (uint64_t pay = 1; pay <= v->npay; pay++) {
        if (v->head[pay] >= 0) row_overlaps(v, pay);
        if (v->pub_head[pay] >= 0) row_outside(v, pay);
    }
    qsort(v->lines, (size_t)v->nlines, sizeof v->lines[0], cmp_u32);
}

void hl_text(hl_view *v, uint32_t lineno, const char *raw, size_t len) {
    if (!v->on || !v->nlines) return;
    const uint32_t *at = bsearch(&lineno, v->lines, (size_t)v->nlines, sizeof *v->lines, cmp_u32);
    if (!at) return;
    size_t k = (size_t)(at - v->lines);
    if (v->line_text[k]) return;
    while (len && raw[len - 1] == '\n') len--;
    v->line_text[k] = strndup(raw, len > 600 ? 600 : len);
}

/* ---- the page's data ------------------------------------------------------------------ */

static const char *const END_NAMES[] = { "open", "release", "lapse", "expiry", "claimed again",
                                         "run end" };

static void write_hold(json_w *w, const hl_hold *h) {
    assert(h->end >= 0);
    assert(h->end <= HL_RUN_END);
    json_w_arr(w);
    json_w_int(w, h->relay);
    json_w_time(w, h->from);
    json_w_time(w, h->to);
    json_w_str(w, END_NAMES[h->end]);
    json_w_uint(w, h->claim_line);
    json_w_uint(w, h->end_line);
    json_w_int(w, h->overlap);
    json_w_time(w, h->expiry);
    json_w_int(w, h->late);
    json_w_uint(w, h->msg);
    json_w_arr_end(w);
}

/* A row: its holds and publications, oldest first (the latest HL_ROW_MAX of each). */
static void write_row(json_w *w, const hl_view *v, uint64_t pay, int bad) {
    int32_t order[HL_ROW_MAX];
    int n = 0;
    json_w_break(w, 0);
    json_w_obj(w);
    json_w_kuint(w, "pay", pay);
    json_w_kint(w, "bad", bad);
    json_w_key(w, "holds");
    json_w_arr(w);
    for (int32_t i = v->head[pay]; i >= 0 && n < HL_ROW_MAX; i = v->holds[i].next)
        order[n++] = i;
    while (n > 0) write_hold(w, &v->holds[order[--n]]);
    json_w_arr_end(w);
    json_w_key(w, "pubs");
    json_w_arr(w);
    for (int32_t p = v->pub_head[pay]; p >= 0 && n < HL_ROW_MAX; p = v->pubs[p].next)
        order[n++] = p;
    while (n > 0) {
        const hl_pub *u = &v->pubs[order[--n]];
        json_w_arr(w);
        json_w_int(w, u->who);
        json_w_time(w, u->t);
        json_w_uint(w, u->line);
        json_w_int(w, u->attempt);
        json_w_int(w, u->outside);
        json_w_arr_end(w);
    }
    json_w_arr_end(w);
    json_w_obj_end(w);
}

/* 1 if the row had an overlap, a publication outside a hold, or a lease violation. */
static int row_bad(const hl_view *v, uint64_t pay, const checker_result *c) {
    for (int32_t i = v->head[pay]; i >= 0; i = v->holds[i].next)
        if (v->holds[i].overlap || v->holds[i].late) return 1;
    for (int32_t p = v->pub_head[pay]; p >= 0; p = v->pubs[p].next)
        if (v->pubs[p].outside) return 1;
    const char *const names[] = { "lease_exclusive", "lease_held", "owned_then_sent" };
    for (int k = 0; k < 3; k++) {
        int inv = invariant_index(names[k]);
        if (inv < 0) continue;
        for (int s = 0; s < c->inv[inv].nshown; s++)
            if (c->inv[inv].shown[s].pay_id == pay) return 1;
    }
    return 0;
}

/* The rows with holds: the bad ones first, then the rest, HL_MAX_ROWS in all. */
static void write_rows(json_w *w, const hl_view *v, const checker_result *c) {
    int shown = 0;
    json_w_key(w, "rows");
    json_w_arr(w);
    for (int pass = 1; pass >= 0; pass--)
        for (uint64_t pay = 1; pay <= v->npay && shown < HL_MAX_ROWS; pay++) {
            if (v->head[pay] < 0) continue;
            int bad = row_bad(v, pay, c);
            if (bad != pass) continue;
            write_row(w, v, pay, bad);
            shown++;
        }
    json_w_arr_end(w);
}

static void write_overlaps(json_w *w, const hl_view *v) {
    json_w_key(w, "overlaps");
    json_w_arr(w);
    for (int i = 0; i < v->nov; i++) {
        const hl_overlap *o = &v->ov[i];
        json_w_break(w, 0);
        json_w_obj(w);
        json_w_kuint(w, "pay", o->pay);
        json_w_ktime(w, "from", o->from);
        json_w_ktime(w, "to", o->to);
        json_w_key(w, "a");
        write_hold(w, &v->holds[o->a]);
        json_w_key(w, "b");
        write_hold(w, &v->holds[o->b]);
        json_w_obj_end(w);
    }
    json_w_arr_end(w);
    json_w_key(w, "lines");
    json_w_obj(w);
    for (int i = 0; i < v->nlines; i++) {
        char k[16];
        snprintf(k, sizeof k, "%u", v->lines[i]);
        json_w_kstr(w, k, v->line_text[i] ? v->line_text[i] : "");
    }
    json_w_obj_end(w);
}

void hl_write(json_w *w, const hl_view *v, const checker_result *c) {
    assert(v->on);
    json_w_key(w, "leases");
    json_w_obj(w);
    json_w_key(w, "relays");
    json_w_arr(w);
    for (int k = 0; k < v->nrelays; k++) json_w_str(w, scenario_node_name(SIM_NODES + k));
    json_w_arr_end(w);
    json_w_kuint(w, "rows_held", v->rows_held);
    json_w_kint(w, "holds", v->nholds);
    json_w_kuint(w, "holds_cut", v->holds_cut);
    json_w_kuint(w, "pubs_cut", v->pubs_cut);
    json_w_kuint(w, "unparsed", v->unparsed);
    json_w_kuint(w, "overlaps_total", v->ov_total);
    json_w_kint(w, "max_rows", HL_MAX_ROWS);
    json_w_key(w, "checker");
    json_w_obj(w);
    const char *const names[] = { "lease_exclusive", "lease_held", "owned_then_sent" };
    for (int k = 0; k < 3; k++) {
        int inv = invariant_index(names[k]);
        if (inv >= 0 && !c->inv[inv].skipped) json_w_kuint(w, names[k], c->inv[inv].count);
    }
    json_w_obj_end(w);
    write_rows(w, v, c);
    write_overlaps(w, v);
    json_w_obj_end(w);
}

void hl_free(hl_view *v) {
    for (int i = 0; i < v->nlines; i++) free(v->line_text[i]);
    free(v->head);
    free(v->pub_head);
    free(v->holds);
    free(v->pubs);
    memset(v, 0, sizeof *v);
}
