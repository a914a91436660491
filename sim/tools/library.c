/*
** library.c: the scenario library's directory (see library.h).
*/
#include "library.h"

#include <assert.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int library_dir(char *out, size_t cap) {
    assert(out != NULL);
    assert(cap > 0);
    if (is_dir("scenarios")) {
        int n = snprintf(out, cap, "scenarios");
        return n > 0 && (size_t)n < cap ? 0 : -1;
    }
    char self[1024];
    int n = snprintf(self, sizeof self, "%s", cmd_self());
    if (n <= 0 || (size_t)n >= sizeof self) return -1;
    const char *dir = dirname(self);
    static const char *const rel[] = { LIBRARY_INSTALLED, LIBRARY_CHECKOUT };
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        n = snprintf(out, cap, "%s/%s", dir, rel[i]);
        if (n <= 0 || (size_t)n >= cap) return -1;
        if (is_dir(out)) return 0;
    }
    return -1;
}
