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

size_t shell_command(char *out, size_t cap, const char *node_override,
                     const char *const *words, size_t nwords) {
    assert(cap > 0);
    size_t n = 0;
    out[0] = '\0';
    if (node_override) {
        n = shell_word(out, cap, 0, node_override);
        if (n >= cap) return cap;
        /* OUTBOX_NODE= goes in front of the quoted path, with no space between. */
        static const char ENV[] = "OUTBOX_NODE=";
        if (n + sizeof ENV >= cap) return cap;
        memmove(out + sizeof ENV - 1, out, n + 1);
        memcpy(out, ENV, sizeof ENV - 1);
        n += sizeof ENV - 1;
    }
    for (size_t i = 0; i < nwords && words[i] && n < cap; i++)
        n = shell_word(out, cap, n, words[i]);
    return n;
}
