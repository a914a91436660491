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
    n = snprintf(out, cap, "%s/%s", dirname(self), LIBRARY_INSTALLED);
    if (n <= 0 || (size_t)n >= cap) return -1;
    return is_dir(out) ? 0 : -1;
}
