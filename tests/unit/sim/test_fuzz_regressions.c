/*
** test_fuzz_regressions.c: every input that ever crashed a fuzz target, replayed.
**
** make fuzz copies each crash it finds, minimized, into tests/fuzz-regressions/<target>/
** (targets: wire, step, reply, scenario; fuzz/oracles.h says what each must do).  Here
** every file there, and every seed of fuzz/corpus/<target>/, goes through the same
** oracle as under the fuzzer: the decoders must answer with an error or with a value
** that encodes back to the input, the scenario loader with a one-line error naming the
** file or a scenario whose callbacks run.  Each file is replayed in a child process:
** a broken property abort()s it with the reason, and this test prints a FAILED line
** naming the file and goes on with the others.  Under make asan-test the sanitizers
** also catch what went wrong silently.  The suite runs from the repository root.
*/
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../../fuzz/oracles.h"

#define REPLAY_MAX_INPUT ((size_t)1 << 20)   /* larger than any input the fuzzers make */
#define REPLAY_MAX_FILES 10000               /* per directory */

/* Reads the whole file into a fresh buffer of exactly its size (ASan sees overreads). */
static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *tmp = malloc(REPLAY_MAX_INPUT + 1);
    assert_non_null(tmp);
    size_t n = fread(tmp, 1, REPLAY_MAX_INPUT + 1, f);
    assert_int_equal(ferror(f), 0);
    fclose(f);
    if (n > REPLAY_MAX_INPUT) fail_msg("%s: larger than %zu bytes", path, REPLAY_MAX_INPUT);
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    memcpy(buf, tmp, n);
    free(tmp);
    *len = n;
    return buf;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays one file in a child process, so that an oracle's abort() fails this file
** only and the others still run.  Returns 0 if the oracle held. */
static int replay_one(const char *target, const char *file) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (strcmp(target, "scenario") == 0) {
            oracle_scenario_file(file);
        } else {
            size_t len = 0;
            uint8_t *buf = slurp(file, &len);
            if (oracle_run(target, buf, len) != 0) _exit(2);
            free(buf);
        }
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) assert_int_equal(errno, EINTR);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    if (WIFSIGNALED(status))
        fprintf(stderr, "FAILED %s: the %s oracle died of signal %d (its reason is above)\n", file,
                target, WTERMSIG(status));
    else
        fprintf(stderr, "FAILED %s: the %s oracle exited %d (its reason is above)\n", file, target,
                WEXITSTATUS(status));
    return -1;
}

/* Replays every regular file of dir/target (in name order); returns how many, and
** adds the ones whose oracle failed to *failed. */
static int replay_dir(const char *dir, const char *target, int *failed) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, target);
    DIR *d = opendir(path);
    if (d == NULL) return 0;
    char **names = calloc(REPLAY_MAX_FILES, sizeof *names);
    assert_non_null(names);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == REPLAY_MAX_FILES) fail_msg("%s: more than %d files", path, REPLAY_MAX_FILES);
        names[n] = strdup(e->d_name);
        assert_non_null(names[n]);
        n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    for (int i = 0; i < n; i++) {
        char file[1024];
        snprintf(file, sizeof file, "%s/%s", path, names[i]);
        if (replay_one(target, file) != 0) (*failed)++;
        free(names[i]);
    }
    free(names);
    return n;
}

static void replay(const char *target) {
    int failed = 0;
    int crashes = replay_dir("tests/fuzz-regressions", target, &failed);
    int seeds = replay_dir("fuzz/corpus", target, &failed);
    printf("%s: %d past crashes, %d seeds replayed\n", target, crashes, seeds);
    assert_true(crashes + seeds > 0);   /* run from the repository root, with the files */
    if (failed > 0)
        fail_msg("%s: %d of %d inputs broke the oracle (see FAILED lines)", target, failed,
                 crashes + seeds);
}

static void wire(void **state) { (void)state; replay("wire"); }
static void step(void **state) { (void)state; replay("step"); }
static void reply(void **state) { (void)state; replay("reply"); }
static void scenario(void **state) { (void)state; replay("scenario"); }

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wire),
        cmocka_unit_test(step),
        cmocka_unit_test(reply),
        cmocka_unit_test(scenario),
    };
    return cmocka_run_group_tests_name("fuzz_regressions", tests, NULL, NULL);
}
