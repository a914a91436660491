/*
** nodeflag.c: `--node ROLE=COMMAND` (see nodeflag.h).
*/
#include "nodeflag.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../proto/exit.h"
#include "../util/shell.h"

static char paths[OX_ROLE_COUNT][NODEFLAG_PATH_MAX + 8];   /* "json:" and the path */
static char words_buf[OX_ROLE_COUNT][NODEFLAG_PATH_MAX + 24];   /* "ROLE=COMMAND" */
static const char *table[OX_ROLE_COUNT];

static int bad(const char *arg, const char *what) {
    fprintf(stderr, "outbox-sim: --node%s%s: %s (see outbox-sim --help)\n", arg[0] ? " " : "",
            arg, what);
    return OX_EXIT_USAGE;
}

/* 0 if path is a regular file we may execute; else -1 and why. */
static int executable(const char *path, const char **why) {
    struct stat st;
    if (stat(path, &st) != 0) { *why = strerror(errno); return -1; }
    if (!S_ISREG(st.st_mode)) { *why = "not a regular file"; return -1; }
    if (access(path, X_OK) != 0) { *why = "not executable"; return -1; }
    return 0;
}

/* A name without a slash, looked up in PATH as execvp would (an empty entry is "."). */
static int search_path(const char *name, char *out, size_t cap) {
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    for (int guard = 0; guard < 4096 && path; guard++) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        int n = snprintf(out, cap, "%.*s/%s", (int)len, len ? path : ".", name);
        const char *why;
        if (n > 0 && (size_t)n < cap && executable(out, &why) == 0) return 0;
        path = colon ? colon + 1 : NULL;
    }
    return -1;
}

/* COMMAND made absolute (not resolved through symlinks: the user's name stays). */
static int absolute(const char *cmd, char *out, size_t cap, const char **why) {
    if (!strchr(cmd, '/')) {
        if (search_path(cmd, out, cap) != 0) { *why = "no such executable in PATH"; return -1; }
        if (out[0] == '/') return 0;
        cmd = out;   /* found through a relative PATH entry: made absolute below */
    }
    char rel[NODEFLAG_PATH_MAX];
    snprintf(rel, sizeof rel, "%s", cmd);
    int n;
    if (rel[0] == '/') {
        n = snprintf(out, cap, "%s", rel);
    } else {
        char cwd[NODEFLAG_PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) { *why = strerror(errno); return -1; }
        n = snprintf(out, cap, "%s/%s", cwd, rel[0] == '.' && rel[1] == '/' ? rel + 2 : rel);
    }
    if (n < 0 || (size_t)n >= cap) { *why = "path too long"; return -1; }
    return executable(out, why);
}

static int parse_one(const char *arg) {
    const char *eq = strchr(arg, '=');
    if (!eq) return bad(arg, "expected ROLE=COMMAND, e.g. --node payment=./my-node");
    char role[32];
    size_t rlen = (size_t)(eq - arg);
    snprintf(role, sizeof role, "%.*s", (int)(rlen < sizeof role ? rlen : sizeof role - 1), arg);
    ox_role r;
    if (rlen >= sizeof role || ox_role_parse(role, &r) != 0)
        return bad(arg, "unknown role (roles: payment, broker, accounting, relay)");
    assert(r < OX_ROLE_COUNT);
    const char *cmd = eq + 1;
    int json = !strncmp(cmd, NODEFLAG_JSON, strlen(NODEFLAG_JSON));   /* the text encoding */
    if (json) cmd += strlen(NODEFLAG_JSON);
    if (!cmd[0]) return bad(arg, "empty COMMAND");
    if (table[r]) return bad(arg, "this role was given twice");
    char tmp[NODEFLAG_PATH_MAX];
    const char *why = NULL;
    if (absolute(cmd, tmp, sizeof tmp - strlen(NODEFLAG_JSON), &why) != 0) {
        char msg[NODEFLAG_PATH_MAX + 64];
        snprintf(msg, sizeof msg, "%s: %s", cmd, why);
        return bad(arg, msg);
    }
    assert(tmp[0] == '/');   /* absolute: the reproduce lines run from anywhere */
    snprintf(paths[r], sizeof paths[r], "%s%s", json ? NODEFLAG_JSON : "", tmp);
    snprintf(words_buf[r], sizeof words_buf[r], "%s=%s", ox_role_name(r), paths[r]);
    table[r] = paths[r];
    assert(table[r][0] == '/' || json);
    return 0;
}

int nodeflag_strip(int *argc, char **argv) {
    const char *env = getenv("OUTBOX_NODE");
    if (env) {
        fprintf(stderr, "outbox-sim: OUTBOX_NODE is no longer read: name each role's "
                        "implementation with --node ROLE=COMMAND (docs/protocol.md)\n");
        return OX_EXIT_USAGE;
    }
    assert(*argc >= 2);   /* main.c: a command is named */
    int out = 2, in = *argc;
    for (int i = out; i < in; i++) {
        const char *a = argv[i];
        if (!strncmp(a, "--node=", 7)) {
            int rc = parse_one(a + 7);
            if (rc) return rc;
        } else if (!strcmp(a, "--node")) {
            if (i + 1 >= in) return bad("", "expected ROLE=COMMAND after --node");
            int rc = parse_one(argv[++i]);
            if (rc) return rc;
        } else {
            argv[out++] = argv[i];
        }
    }
    assert(out <= in);
    argv[out] = NULL;
    *argc = out;
    return 0;
}

const char *const *nodeflag_table(void) { return table; }

int nodeflag_count(void) {
    int n = 0;
    for (int r = 0; r < OX_ROLE_COUNT; r++) n += table[r] != NULL;
    return n;
}

void nodeflag_words(const char **words, size_t *n, size_t cap) {
    assert(words != NULL);
    assert(*n <= cap);
    for (int r = 0; r < OX_ROLE_COUNT; r++) {
        if (!table[r]) continue;
        assert(*n + 2 <= cap);
        words[(*n)++] = "--node";
        words[(*n)++] = words_buf[r];
    }
}

const char *nodeflag_suffix(void) {
    static char out[OX_ROLE_COUNT * (NODEFLAG_PATH_MAX * 4 + 32)];
    const char *words[NODEFLAG_WORDS];
    size_t n = 0;
    nodeflag_words(words, &n, NODEFLAG_WORDS);
    out[0] = '\0';
    if (n == 0) return out;
    out[0] = ' ';
    shell_command(out + 1, sizeof out - 1, words, n);
    return out;
}
