/*
** main.c: bin/outbox-sim, the command line of the simulator: dispatches to the
** subcommands of cmd.h.
**
** Exit codes (proto/exit.h; docs/design.md, "Exit codes"): OX_EXIT_OK expectations met;
** OX_EXIT_FAIL an invariant broke, or an expected break did not happen; OX_EXIT_USAGE
** bad usage or a bad scenario; OX_EXIT_HARNESS the harness itself failed.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/service.h"
#include "../../proto/exit.h"
#include "cmd.h"
#include "conform.h"
#include "nodeflag.h"

static const char usage[] =
    "usage: outbox-sim COMMAND ...\n"
    "\n"
    "  run SCENARIO [--seed N] [--design NAME] [--out DIR] [--quiet] [--narrate]\n"
    "      [--follow IDS] [--pace S]\n"
    "        run one scenario (a Lua file, see scenarios/README.md) with one seed\n"
    "        (default 1); writes DIR/<scenario>/<seed>/ (default reports/runs/<scenario>/\n"
    "        <seed>/, or <scenario>@<design>/ under another design; outbox-sim run --help)\n"
    "  sweep SCENARIO... --seeds A..B [-j N] [--shard K/N] [--time-budget S] [--junit FILE]\n"
    "      [--json FILE] [--out DIR] [--rerun F] [--design NAME] [--keep]\n"
    "        many seeds in parallel worker processes (outbox-sim sweep --help)\n"
    "  matrix [SCENARIO...] [--seeds A..B] [-j N] [--out DIR] [--expect FILE] [--keep]\n"
    "        every design against every scenario, as a table\n"
    "  shrink RUN_DIR [--out FILE] [--invariant NAME] [-j N] [--max-runs N]\n"
    "        a failing run, made as small as it can be, as a plain Lua scenario\n"
    "  explore SCENARIO [--seed N] [--design D] [--depth 1|2] [-j N] [--max-variants N] [--out "
    "DIR]\n"
    "        a crash at every failpoint hit, a loss and a duplicate of every frame\n"
    "  conform --node ROLE=COMMAND [-j N] [--out DIR] [--keep]\n"
    "        the conformance suite of one role of your own implementation: one line per\n"
    "        clause failed (outbox-sim conform --help)\n"
    "  failpoints         the named crash points the services define\n"
    "\n"
    "  --node ROLE=COMMAND  (run, sweep, matrix, shrink, explore; repeatable) run COMMAND,\n"
    "        an executable speaking the node protocol (docs/protocol.md), as ROLE (payment,\n"
    "        broker, accounting or relay) instead of bin/outbox-node; ROLE=json:COMMAND for one\n"
    "        that speaks its text encoding, JSON lines on stdin and stdout\n"
    "\n"
    "exit codes: 0 expectations met, 1 invariant broken or expected break missing,\n"
    "            2 bad usage or bad scenario, 3 harness failure\n";

static char self_path[1024];

const char *cmd_self(void) { return self_path; }

int cmd_usage_error(const char *fmt, const char *arg) {
    /* One line: what was wrong, then where to read more. */
    fprintf(stderr, "outbox-sim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see outbox-sim --help)\n");
    return OX_EXIT_USAGE;
}

int cmd_parse_u64(const char *s, unsigned long long *out) {
    if (!s || !*s || *s == '-' || *s == '+') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

static int cmd_failpoints(int argc, char **argv) {
    (void)argv;
    if (argc != 2) return cmd_usage_error("failpoints takes no arguments%s", "");
    for (const char *const *fp = ox_service_failpoints(); *fp; fp++) printf("%s\n", *fp);
    return OX_EXIT_OK;
}

static const struct {
    const char *name;
    int (*fn)(int, char **);
} commands[] = {
    { "run", cmd_run },
    { "sweep", cmd_sweep },
    { "matrix", cmd_matrix },
    { "shrink", cmd_shrink },
    { "explore", cmd_explore },
    { "conform", conform_cmd },
    { "failpoints", cmd_failpoints },
};

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? OX_EXIT_USAGE : OX_EXIT_OK;
    }
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (n > 0) self_path[n] = '\0';
    else snprintf(self_path, sizeof self_path, "%s", argv[0]);
    int rc = nodeflag_strip(&argc, argv);   /* --node ROLE=COMMAND, for every command */
    if (rc) return rc;
    if (!strcmp(argv[1], "failpoints") && nodeflag_count() > 0)
        return cmd_usage_error("failpoints: --node is for the commands that run scenarios%s", "");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc, argv);
    return cmd_usage_error(
        "unknown command '%s' (run, sweep, matrix, shrink, explore, conform, failpoints)", argv[1]);
}
