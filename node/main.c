/*
** main.c: bin/outbox-node's command line.  Parses and checks every flag, then hands a
** node_opts to the host that runs it (node.h).  A bad flag is one line on stderr that
** names the flag and what was wrong, and exit 2 (OX_EXIT_USAGE); nothing is opened
** before that.
*/
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "memf.h"
#include "vfs.h"

static const char usage[] =
    "usage: outbox-node --role payment|broker|accounting|relay --db PATH [options]\n"
    "       outbox-node --role client [--payment ENDPOINT] --count N [client options]\n"
    "\n"
    "One service of outbox-lab: under the simulator (--sim) or live, as a daemon that\n"
    "talks ZeroMQ over TCP with real time.\n"
    "\n"
    "  --role R          payment, broker, accounting, relay (under --sim only; --db is\n"
    "                    the payment's), or client (sends payments)\n"
    "  --name NAME       the instance's name, its address for the broker: the role's\n"
    "                    name (the default, the first instance) or ROLE-N, N in 2..16,\n"
    "                    e.g. accounting-2 for the broker's knob accounting_instances\n"
    "  --db PATH         the service's SQLite database (created if missing)\n"
    "  --design NAME     outbox design (default outbox): %s\n"
    "  --knob KEY=VALUE  set a knob, repeatable (lib/config.h lists them), e.g.\n"
    "                    --knob scan_interval=0.2 --knob visibility=1\n"
    "  --seed N          seed of the service's random choices (default 0)\n"
    "  --sim ENDPOINT    lockstep under bin/outbox-sim (not for humans)\n"
    "  --sim-stdio       the same, one JSON line each way on stdin and stdout\n"
    "                    (docs/protocol.md, \"The text encoding\"; logs on stderr)\n"
    "live:\n"
    "  --broker ENDPOINT the broker binds it, payment and accounting connect to it\n"
    "                    (default " NODE_DEFAULT_BROKER ")\n"
    "  --listen ENDPOINT payment only: where clients send payments\n"
    "                    (default " NODE_DEFAULT_LISTEN ")\n"
    "  --group N         payment and accounting, design outbox: group commit, up to N\n"
    "                    frames from the broker in one transaction, their answers and\n"
    "                    acks sent after its COMMIT (1..1024, default 64; 1 is off)\n"
    "client:\n"
    "  --payment ENDPOINT the payment daemon (default " NODE_DEFAULT_LISTEN ")\n"
    "  --count N         payments to send (default 1)\n"
    "  --first-id N      id of the first payment (default 1); ids are the idempotency key\n"
    "  --amount CENTS    amount of each payment (default 1000)\n"
    "  --account N       paying account (default 1)\n"
    "environment:\n"
    "  " VFS_ENV "=DIR   services: a simulated disk under the database; changes not yet\n"
    "                    synced are journaled in DIR/disk.journal, for a power cut to undo\n"
    "\n"
    "Exit: 0 ok; 1 a payment failed (client); 2 bad usage; 3 runtime failure.\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("outbox-node: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(OX_EXIT_USAGE);
}

/* Parses all of s as an unsigned decimal integer no larger than max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
    if (s[0] < '0' || s[0] > '9') return -1;   /* strtoull would accept " -1" */
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) return -1;
    *out = v;
    return 0;
}

/* The value of the flag at argv[*i]: "--flag=value" or "--flag value". */
static const char *take_value(int argc, char **argv, int *i, const char *flag) {
    const char *arg = argv[*i];
    size_t n = strlen(flag);
    if (arg[n] == '=') return arg + n + 1;
    if (*i + 1 >= argc) usage_error("%s: missing value", flag);
    *i += 1;
    return argv[*i];
}

/* Does argv word `arg` spell `flag` (alone or as "flag=...")? */
static int is_flag(const char *arg, const char *flag) {
    size_t n = strlen(flag);
    return strncmp(arg, flag, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static void set_role(node_opts *o, const char *v) {
    o->client = strcmp(v, "client") == 0;
    if (o->client) return;
    if (ox_role_parse(v, &o->role) != 0)
        usage_error("--role: expected payment|broker|accounting|relay|client, got '%s'", v);
}

static void set_design(node_opts *o, const char *v) {
    ox_design d;
    if (ox_design_parse(v, &d) != 0)
        usage_error("--design: expected one of %s, got '%s'", ox_design_names(), v);
    o->cfg.design = d;
}

static void set_knob(node_opts *o, const char *v) {
    char err[1024];   /* the design knob lists every design */
    if (ox_config_set_kv(&o->cfg, v, err, sizeof err) != 0) usage_error("--knob: %s", err);
}

static uint64_t number(const char *flag, const char *v, uint64_t min, uint64_t max) {
    uint64_t n;
    if (parse_u64(v, max, &n) != 0 || n < min) {
        usage_error("%s: expected an integer in %" PRIu64 "..%" PRIu64 ", got '%s'", flag, min, max,
                    v);
    }
    return n;
}

static int is_client_flag(const char *a) {
    return is_flag(a, "--payment") || is_flag(a, "--count") || is_flag(a, "--first-id") ||
           is_flag(a, "--amount") || is_flag(a, "--account");
}

static void parse_client_flag(node_opts *o, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    if (is_flag(a, "--payment")) o->payment = take_value(argc, argv, i, "--payment");
    else if (is_flag(a, "--count"))
        o->count = number("--count", take_value(argc, argv, i, "--count"), 1, 1000000000);
    else if (is_flag(a, "--first-id"))
        o->first_id = number("--first-id", take_value(argc, argv, i, "--first-id"), 1, INT64_MAX);
    else if (is_flag(a, "--amount"))
        o->amount =
            (int64_t)number("--amount", take_value(argc, argv, i, "--amount"), 0, INT64_MAX);
    else if (is_flag(a, "--account"))
        o->account =
            (uint32_t)number("--account", take_value(argc, argv, i, "--account"), 0, UINT32_MAX);
    else assert(!"not a client flag");
}

static void parse(node_opts *o, int argc, char **argv, int *have_role, int *client_flags) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf(usage, ox_design_names());
            exit(OX_EXIT_OK);
        }
        if (is_flag(a, "--role")) {
            set_role(o, take_value(argc, argv, &i, "--role"));
            *have_role = 1;
        } else if (is_flag(a, "--db")) o->db = take_value(argc, argv, &i, "--db");
        else if (is_flag(a, "--name")) o->name = take_value(argc, argv, &i, "--name");
        else if (is_flag(a, "--design")) set_design(o, take_value(argc, argv, &i, "--design"));
        else if (is_flag(a, "--knob")) set_knob(o, take_value(argc, argv, &i, "--knob"));
        else if (is_flag(a, "--seed"))
            o->cfg.seed = number("--seed", take_value(argc, argv, &i, "--seed"), 0, UINT64_MAX);
        else if (is_flag(a, "--sim")) o->sim = take_value(argc, argv, &i, "--sim");
        else if (strcmp(a, "--sim-stdio") == 0) o->sim_stdio = 1;
        else if (is_flag(a, "--broker")) o->broker = take_value(argc, argv, &i, "--broker");
        else if (is_flag(a, "--listen")) o->listen = take_value(argc, argv, &i, "--listen");
        else if (is_flag(a, "--group"))
            o->group =
                (int)number("--group", take_value(argc, argv, &i, "--group"), 1, NODE_GROUP_MAX);
        else if (is_client_flag(a)) { parse_client_flag(o, argc, argv, &i); *client_flags = 1; }
        else usage_error("unknown argument '%s' (see --help)", a);
    }
}

/* A flag given to a role or mode that would silently ignore it is a mistake. */
static void reject(const char *value, const char *flag, const char *why) {
    if (value != NULL) usage_error("%s: %s", flag, why);
}

/* --group: live payment and accounting only; above 1 for design outbox only (the
** weaker designs are taught with their exact timing).  Unset: the default there, else 1. */
static void check_group(node_opts *o) {
    const char *why = NULL;
    if (o->client) why = "the client role commits nothing";
    else if (o->sim != NULL) why = "live only (under --sim every frame is its own step)";
    else if (o->role == OX_ROLE_BROKER) why = "not for the broker (its queues live in memory)";
    if (why != NULL && o->group != 0) usage_error("--group: %s", why);
    if (why != NULL) return;
    int outbox = o->cfg.design == OX_DESIGN_OUTBOX;
    if (o->group > 1 && !outbox)
        usage_error("--group: only design outbox groups commits; design %s keeps one transaction"
                    " per frame (--group 1)", ox_design_name(o->cfg.design));
    if (o->group == 0) o->group = outbox ? NODE_GROUP_DEFAULT : 1;
}

/* --name: the role's own name or ROLE-N (N in 2..OX_MAX_INSTANCES), exactly the names the
** broker gives competing consumers (ox_config_instance_name): any other name would be
** unreachable, and a name always says its role. */
static void check_name(node_opts *o) {
    const char *role = ox_role_name(o->role);
    if (o->name == NULL) { o->name = role; return; }
    size_t n = strlen(role);
    const char *tail = o->name + n;
    uint64_t i = 0;
    int ok = strncmp(o->name, role, n) == 0 &&
             (*tail == '\0' || (*tail == '-' && tail[1] != '0' &&
                                parse_u64(tail + 1, OX_MAX_INSTANCES, &i) == 0 && i >= 2));
    if (!ok)
        usage_error("--name: expected %s or %s-N with N in 2..%d, got '%s'", role, role,
                    OX_MAX_INSTANCES, o->name);
}

static void check(node_opts *o, int have_role, int client_flags) {
    if (!have_role) usage_error("--role: required (payment|broker|accounting|relay|client)");
    check_group(o);
    if (o->client) {
        reject(o->name, "--name", "the client role has no address");
        reject(o->sim, "--sim", "the client role runs live only");
        reject(o->db, "--db", "the client role has no database");
        reject(o->broker, "--broker", "the client role talks to --payment only");
        reject(o->listen, "--listen", "only the payment role listens for clients");
        if (o->payment == NULL) o->payment = NODE_DEFAULT_LISTEN;
        return;
    }
    const char *role = ox_role_name(o->role);
    check_name(o);
    if (o->db == NULL) usage_error("--db: required for the %s role", role);
    if (client_flags)
        usage_error(
            "--payment, --count, --first-id, --amount, --account: for the client role only, not %s",
            role);
    if (o->sim != NULL) {
        reject(o->broker, "--broker", "not used with --sim (the simulator is the network)");
        reject(o->listen, "--listen", "not used with --sim (the simulator is the client)");
        return;
    }
    if (o->role == OX_ROLE_RELAY)
        usage_error("--role relay: runs under the simulator only (--sim); live, the payment "
                    "service scans");
    if (o->listen != NULL && o->role != OX_ROLE_PAYMENT)
        usage_error("--listen: only the payment role listens for clients, not %s", role);
    if (o->broker == NULL) o->broker = NODE_DEFAULT_BROKER;
    if (o->listen == NULL && o->role == OX_ROLE_PAYMENT) o->listen = NODE_DEFAULT_LISTEN;
    assert(o->db != NULL);
    assert((o->listen != NULL) == (o->role == OX_ROLE_PAYMENT));
}

/* This node installs its simulated disk itself: the one the simulator preloads into
** nodes of other languages (proto/diskarm.h) looks for this exported symbol and, found,
** stands aside (the Makefile exports it). */
__attribute__((used, visibility("default"))) const int ox_node_brings_disk = 1;

/* OUTBOX_DISK=DIR: the simulated disk (vfs.h), installed before anything is opened;
** unset or empty, SQLite's own VFS as always. */
static void install_disk(const node_opts *o) {
    const char *dir = getenv(VFS_ENV);
    if (o->client || dir == NULL || dir[0] == '\0') return;
    char err[600];
    if (vfs_install(dir, o->cfg.seed, err, sizeof err) != 0) {
        fprintf(stderr, "outbox-node: %s: %s\n", VFS_ENV, err);
        exit(OX_EXIT_HARNESS);
    }
}

int main(int argc, char **argv) {
    node_opts o;
    memset(&o, 0, sizeof o);
    ox_config_default(&o.cfg);
    o.count = 1;
    o.first_id = 1;
    o.amount = 1000;
    o.account = 1;
    int have_role = 0, client_flags = 0;
    parse(&o, argc, argv, &have_role, &client_flags);
    if (o.sim_stdio && o.sim != NULL) usage_error("--sim-stdio: not with --sim");
    if (o.sim_stdio) o.sim = "stdio";   /* lockstep all the same; simhost picks the pipes */
    check(&o, have_role, client_flags);
    assert(o.group >= 0);
    assert(o.group <= NODE_GROUP_MAX);
    if (o.sim != NULL && memf_install() != 0) {   /* before SQLite initializes (memf.h) */
        fprintf(stderr, "outbox-node: cannot wrap SQLite's allocator\n");
        return OX_EXIT_HARNESS;
    }
    install_disk(&o);
    if (o.client) return client_run(&o);
    if (o.sim != NULL) return simhost_run(&o);
    return livehost_run(&o);
}
