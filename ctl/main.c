/*
** main.c: bin/outbox-ctl's command line.  Parses the command and its flags, opens
** the database (read-only unless the command writes) and runs the command (ctl.h).
** A bad argument is one line on stderr naming it, and exit 2 (OX_EXIT_USAGE).
*/
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define ARGS_MAX 16   /* command words after global flags are removed */

static const char usage[] =
    "usage: outbox-ctl --db PATH COMMAND [ARGS]\n"
    "\n"
    "Operator tool on an outbox-lab payment database (the payment service's SQLite file).\n"
    "Safe to run while the service is live; only `requeue` writes.\n"
    "\n"
    "commands:\n"
    "  list [--status S] [--limit N]  outbox rows by id: id, payment, status, attempts, next\n"
    "                                 attempt and last update (UTC); S is SENDING, CONSUMED,\n"
    "                                 FAILED or DEAD; N defaults to 100\n"
    "  show ID                        one outbox row, its payment, refund, alerts and payload\n"
    "  requeue ID                     a DEAD row back to SENDING, attempts 0, due now\n"
    "  requeue all                    every DEAD row back to SENDING\n"
    "  stats                          rows per status, payments, refunds, alerts, oldest\n"
    "                                 SENDING row and its age\n"
    "\n"
    "flags:\n"
    "  --now wall|last|TIME           what `stats` and `show` measure ages against: the wall\n"
    "                                 clock; the newest time the database records; or TIME\n"
    "                                 (epoch ms or 2023-01-01T00:03:00Z).  Default: the wall\n"
    "                                 clock, or the last write when that is over an hour old\n"
    "                                 (a simulator run's database lives in virtual time), and\n"
    "                                 then the output says so\n"
    "\n"
    "Exit: 0 ok; 1 no such row, or not DEAD (requeue); 2 bad usage, missing file or not a\n"
    "payment database; 3 SQLite failed.\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("outbox-ctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(OX_EXIT_USAGE);
}

typedef struct {
    const char *db;
    const char *cmd;
    const char *now_arg;          /* --now, or NULL */
    ctl_now now;
    const char *args[ARGS_MAX];   /* the command's own words */
    int nargs;
} ctl_args;

/* The value of the flag at argv[*i]: "--flag=value" or "--flag value". */
static const char *take_value(int argc, const char *const *argv, int *i, const char *flag) {
    const char *eq = strchr(argv[*i], '=');
    if (eq) return eq + 1;
    if (*i + 1 >= argc) usage_error("%s: missing value", flag);
    return argv[++*i];
}

static int is_flag(const char *arg, const char *flag) {
    size_t n = strlen(flag);
    return strncmp(arg, flag, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* Splits argv into --db, --help, the command and its own words, in any order. */
static void split(int argc, const char **argv, ctl_args *a) {
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            exit(OX_EXIT_OK);
        }
        if (is_flag(argv[i], "--db")) a->db = take_value(argc, argv, &i, "--db");
        else if (is_flag(argv[i], "--now")) a->now_arg = take_value(argc, argv, &i, "--now");
        else if (a->cmd == NULL && argv[i][0] == '-')
            usage_error("unknown flag '%s' (see --help)", argv[i]);
        else if (a->cmd == NULL) a->cmd = argv[i];
        else if (a->nargs < ARGS_MAX) a->args[a->nargs++] = argv[i];
        else usage_error("too many arguments");
    }
    if (a->cmd == NULL)
        usage_error("expected a command: list, show, requeue or stats (see --help)");
    if (a->db == NULL) usage_error("--db: required (the payment service's database)");
    if (a->now_arg != NULL && ctl_parse_now(a->now_arg, &a->now) != 0)
        usage_error("--now: expected wall, last, epoch milliseconds or a UTC time such as "
                    "2023-01-01T00:03:00Z, got '%s'", a->now_arg);
    int ages = strcmp(a->cmd, "stats") == 0 || strcmp(a->cmd, "show") == 0;
    if (a->now_arg != NULL && !ages)
        usage_error("--now: only stats and show measure ages, not %s", a->cmd);
}

static const char *parse_status(const char *v, char *buf, size_t cap) {
    static const char *const ok[] = { "SENDING", "CONSUMED", "FAILED", "DEAD" };
    size_t n = strlen(v);
    if (n < cap) {
        for (size_t i = 0; i <= n; i++) buf[i] = (char)toupper((unsigned char)v[i]);
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
            if (strcmp(buf, ok[i]) == 0) return buf;
    }
    usage_error("list: --status: expected SENDING|CONSUMED|FAILED|DEAD, got '%s'", v);
}

static int64_t parse_limit(const char *v) {
    char *end = (char *)v;
    errno = 0;
    long long n = (v[0] >= '0' && v[0] <= '9') ? strtoll(v, &end, 10) : 0;
    if (n < 1 || n > 1000000000 || errno != 0 || *end != '\0')
        usage_error("list: --limit: expected an integer in 1..1000000000, got '%s'", v);
    return n;
}

static ox_exit run_list(const ctl_args *a) {
    char buf[16];
    const char *status = NULL;
    int64_t limit = CTL_DEFAULT_LIMIT;
    for (int i = 0; i < a->nargs; i++) {
        if (is_flag(a->args[i], "--status"))
            status = parse_status(take_value(a->nargs, a->args, &i, "--status"), buf, sizeof buf);
        else if (is_flag(a->args[i], "--limit"))
            limit = parse_limit(take_value(a->nargs, a->args, &i, "--limit"));
        else
            usage_error("list: unknown argument '%s' (expected --status S or --limit N)",
                        a->args[i]);
    }
    ctl_db c;
    ox_exit code = ctl_open(&c, a->db, 0);
    if (code != OX_EXIT_OK) return code;
    code = ctl_list(&c, status, limit);
    ctl_close(&c);
    return code;
}

static ox_exit run_stats(const ctl_args *a) {
    if (a->nargs != 0) usage_error("stats: unexpected argument '%s'", a->args[0]);
    ctl_db c;
    ox_exit code = ctl_open(&c, a->db, 0);
    if (code != OX_EXIT_OK) return code;
    code = ctl_clock_set(&c, &a->now);
    if (code == OX_EXIT_OK) code = ctl_stats(&c);
    ctl_close(&c);
    return code;
}

/* show ID and requeue ID. */
static ox_exit run_on_row(const ctl_args *a, int writable, ox_exit (*fn)(ctl_db *, int64_t)) {
    if (a->nargs != 1) usage_error("%s: expected one outbox row id, e.g. `%s 7`", a->cmd, a->cmd);
    int64_t id;
    if (ctl_parse_id(a->cmd, a->args[0], &id) != OX_EXIT_OK) return OX_EXIT_USAGE;
    ctl_db c;
    ox_exit code = ctl_open(&c, a->db, writable);
    if (code != OX_EXIT_OK) return code;
    if (!writable) code = ctl_clock_set(&c, &a->now);   /* show prints ages */
    if (code == OX_EXIT_OK) code = fn(&c, id);
    ctl_close(&c);
    return code;
}

int main(int argc, char **argv) {
    ctl_args a;
    split(argc, (const char **)argv, &a);
    if (strcmp(a.cmd, "list") == 0) return run_list(&a);
    if (strcmp(a.cmd, "stats") == 0) return run_stats(&a);
    if (strcmp(a.cmd, "show") == 0) return run_on_row(&a, 0, ctl_show);
    if (strcmp(a.cmd, "requeue") == 0 && a.nargs == 1 && strcmp(a.args[0], "all") == 0) {
        ctl_db c;
        ox_exit code = ctl_open(&c, a.db, 1);
        if (code == OX_EXIT_OK) code = ctl_requeue_all(&c);
        ctl_close(&c);
        return code;
    }
    if (strcmp(a.cmd, "requeue") == 0) return run_on_row(&a, 1, ctl_requeue);
    usage_error("unknown command '%s' (expected list, show, requeue or stats)", a.cmd);
}
