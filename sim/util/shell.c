/*
** shell.c: command lines quoted for a POSIX shell (see shell.h).
*/
#include "shell.h"

#include <assert.h>
#include <string.h>

static const char SAFE[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789_-./=:+,@%";

size_t shell_word(char *out, size_t cap, size_t len, const char *w) {
    assert(out != NULL);
    assert(w != NULL);
    if (cap == 0 || len >= cap) return cap;
    int bare = w[0] != '\0' && strspn(w, SAFE) == strlen(w);
    size_t n = len;
    if (n > 0 && n + 1 < cap) out[n++] = ' ';
    if (!bare && n + 1 < cap) out[n++] = '\'';
    for (const char *p = w; *p && n + 4 < cap; p++) {
        if (*p == '\'' && !bare) {
            memcpy(out + n, "'\\''", 4);
            n += 4;
        } else {
            out[n++] = *p;
        }
    }
    if (!bare && n + 1 < cap) out[n++] = '\'';
    if (n + 1 >= cap) {
        out[cap - 1] = '\0';
        return cap;
    }
    out[n] = '\0';
    return n;
}

size_t shell_command(char *out, size_t cap, const char *const *words, size_t nwords) {
    assert(cap > 0);
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < nwords && n < cap; i++)
        if (words[i]) n = shell_word(out, cap, n, words[i]);
    return n;
}
