/*
** html.c: report.html of a run and matrix.html of a matrix (see html.h).
**
** A page is its template (share/report/, compiled in) with each @@NAME@@ mark
** replaced by an inlined part: CSS, scripts, and the page's data as a JSON object.
** The page is written to a temporary file beside the target and renamed over it, so
** a reader never sees half a page.
*/
#include "html.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "html_assets.h"
#include "htmldata.h"
#include "htmljson.h"
#include "report.h"

int html_parse_follow(const char *list, html_opts *o, char *err, size_t cap) {
    o->nfollow = 0;
    const char *p = list;
    while (*p) {
        while (*p == ',' || *p == ' ') p++;
        if (!*p) break;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || errno || v == 0 || (*end && *end != ',' && *end != ' ')) {
            snprintf(err, cap,
                     "--follow: expected payment ids (1, 2, ...) separated by commas, got '%s'",
                     list);
            return -1;
        }
        if (o->nfollow == HTML_MAX_FOLLOW) {
            snprintf(err, cap, "--follow: at most %d payments, got more in '%s'", HTML_MAX_FOLLOW,
                     list);
            return -1;
        }
        o->follow[o->nfollow++] = v;
        p = end;
    }
    return 0;
}

/* ---- writing a page from a template --------------------------------------------------- */

typedef void (*part_fn)(FILE *f, const char *name, const void *ctx);

static void put_asset(FILE *f, const char *start, const char *end) {
    fwrite(start, 1, (size_t)(end - start), f);
}

static void put_html_text(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

/* The parts every page shares; 1 if `name` was one of them. */
static int common_part(FILE *f, const char *name) {
    if (!strcmp(name, "CSS")) put_asset(f, asset_report_css, asset_report_css_end);
    else if (!strcmp(name, "UPLOT_CSS")) put_asset(f, asset_uplot_css, asset_uplot_css_end);
    else if (!strcmp(name, "UPLOT_JS")) put_asset(f, asset_uplot_js, asset_uplot_js_end);
    else if (!strcmp(name, "UPLOT_LICENSE"))
        put_asset(f, asset_uplot_license, asset_uplot_license_end);
    else return 0;
    return 1;
}

/* Copies the template to f, calling part() for every @@NAME@@ mark. */
static void expand(FILE *f, const char *tpl, part_fn part, const void *ctx) {
    const char *p = tpl;
    for (;;) {
        const char *m = strstr(p, "@@");
        const char *e = m ? strstr(m + 2, "@@") : NULL;
        if (!m || !e || e - m > 40) { fputs(p, f); return; }
        fwrite(p, 1, (size_t)(m - p), f);
        char name[41];
        snprintf(name, sizeof name, "%.*s", (int)(e - m - 2), m + 2);
        if (!common_part(f, name)) part(f, name, ctx);
        p = e + 2;
    }
}

/* Writes path through a temporary file; returns 0 or -1 with err. */
static int write_page(const char *path, const char *tpl, part_fn part, const void *ctx, char *err,
                      size_t cap) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) { snprintf(err, cap, "cannot write %s: %s", tmp, strerror(errno)); return -1; }
    expand(f, tpl, part, ctx);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        snprintf(err, cap, "cannot write %s: %s", tmp, strerror(errno ? errno : EIO));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, cap, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- report.html ---------------------------------------------------------------------- */

static void report_part(FILE *f, const char *name, const void *ctx) {
    const hd_run *r = ctx;
    if (!strcmp(name, "JS")) put_asset(f, asset_report_js, asset_report_js_end);
    else if (!strcmp(name, "LEASES_JS")) {   /* only a run with relays gets the view */
        if (r->leases.on) put_asset(f, asset_leases_js, asset_leases_js_end);
    } else if (!strcmp(name, "DATA")) hj_write(f, r);
    else if (!strcmp(name, "TITLE")) {
        put_html_text(f, r->run->met ? "PASS " : "FAIL ");
        put_html_text(f, r->run->opt->sc->slug);
        fprintf(f, " seed %llu (%s)", (unsigned long long)r->run->opt->seed, r->run->opt->design);
    }
}

int html_report(const report_run *run, const html_opts *o, char *err, size_t cap) {
    static hd_run r;   /* large; one report at a time */
    int rc = hd_build(&r, run, o, err, cap);
    if (rc == 0) {
        char path[700];
        snprintf(path, sizeof path, "%s/report.html", run->opt->run_dir);
        rc = write_page(path, asset_report_html, report_part, &r, err, cap);
    }
    hd_free(&r);
    return rc;
}

/* ---- matrix.html ---------------------------------------------------------------------- */

#define MATRIX_JSON_MAX (8 << 20)

typedef struct {
    const char *json;
    size_t len;
    const char *base;         /* from out_html's directory to the current directory */
    const char *source;
} matrix_ctx;

/* Reads the JSON string starting at p (at its opening quote) into out[cap]; returns
** the position after it, or NULL.  Only the escapes a path may need are decoded. */
static const char *matrix_string(const char *p, const char *end, char *out, size_t cap) {
    size_t n = 0;
    if (p >= end || *p != '"') return NULL;
    for (p++; p < end && *p != '"'; p++) {
        char c = *p;
        if (c == '\\' && p + 1 < end) c = *++p == 'n' ? '\n' : *p;
        if (n + 1 < cap) out[n++] = c;
    }
    out[n] = '\0';
    return p < end ? p + 1 : NULL;
}

/* {"<run_dir>": 1, ...} for every "run_dir" in the JSON whose report.html exists, so
** the page links only to reports that are there (matrix keeps one run per cell). */
static void matrix_have(FILE *f, const matrix_ctx *m) {
    const char *p = m->json, *end = m->json + m->len;
    int first = 1;
    fputc('{', f);
    while ((p = strstr(p, "\"run_dir\"")) != NULL) {
        p += 9;
        while (p < end && (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t')) p++;
        char dir[PATH_MAX], report[PATH_MAX + 16];
        const char *next = matrix_string(p, end, dir, sizeof dir);
        if (!next) break;
        p = next;
        snprintf(report, sizeof report, "%s/report.html", dir);
        if (!dir[0] || access(report, R_OK) != 0) continue;
        fputs(first ? "" : ",", f);
        hj_str(f, dir);
        fputs(":1", f);
        first = 0;
    }
    fputc('}', f);
}

static void matrix_part(FILE *f, const char *name, const void *ctx) {
    const matrix_ctx *m = ctx;
    if (!strcmp(name, "JS")) put_asset(f, asset_matrix_js, asset_matrix_js_end);
    else if (!strcmp(name, "BASE")) hj_str(f, m->base);
    else if (!strcmp(name, "SOURCE")) hj_str(f, m->source);
    else if (!strcmp(name, "HAVE")) matrix_have(f, m);
    else if (!strcmp(name, "DATA")) {
        /* Raw JSON: a '<' can only be inside a string, where \u003c means the same. */
        for (size_t i = 0; i < m->len; i++) {
            if (m->json[i] == '<') fputs("\\u003c", f);
            else fputc(m->json[i], f);
        }
    }
}

/* The path from directory `from` to directory `to`, both absolute and canonical,
** with a trailing slash ("" when equal), e.g. /a/b/reports -> /a/b gives "../". */
static void relative_dir(const char *from, const char *to, char *out, size_t cap) {
    size_t common = 0, i = 0;
    while (from[i] && from[i] == to[i]) {
        i++;
        if (from[i] == '/' || (!from[i] && (to[i] == '/' || !to[i]))) common = i;
    }
    if (!from[i] && !to[i]) common = i;
    out[0] = '\0';
    size_t n = 0;
    for (const char *p = from + common; *p; p++)
        if (*p == '/' && n + 4 < cap) { memcpy(out + n, "../", 4); n += 3; }
    const char *rest = to + common;
    if (*rest == '/') rest++;
    if (*rest) snprintf(out + n, cap - n, "%s/", rest);
}

static char *read_small_file(const char *path, size_t max, size_t *len, char *err, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(err, cap, "cannot read %s: %s", path, strerror(errno)); return NULL; }
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) { free(buf); snprintf(err, cap, "cannot read %s", path); return NULL; }
    if (n > max) {
        free(buf);
        snprintf(err, cap, "%s: over %zu bytes, not a matrix.json", path, max);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int html_matrix(const char *json_path, const char *out_html, char *err, size_t cap) {
    size_t len = 0;
    char *json = read_small_file(json_path, MATRIX_JSON_MAX, &len, err, cap);
    if (!json) return -1;
    char dir[PATH_MAX], cwd[PATH_MAX], outdir[PATH_MAX], base[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", out_html);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0'; else snprintf(dir, sizeof dir, ".");
    if (!realpath(".", cwd) || !realpath(dir[0] ? dir : "/", outdir)) {
        snprintf(err, cap, "cannot resolve the directory of %s: %s", out_html, strerror(errno));
        free(json);
        return -1;
    }
    relative_dir(outdir, cwd, base, sizeof base);
    matrix_ctx m = { .json = json, .len = len, .base = base, .source = json_path };
    int rc = write_page(out_html, asset_matrix_html, matrix_part, &m, err, cap);
    free(json);
    return rc;
}
