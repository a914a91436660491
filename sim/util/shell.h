/*
** shell.h: command lines a user can paste: each word quoted for a POSIX shell.
**
** The reproduce lines (outbox-sim run's, and those sweep and matrix print for each run)
** must run as printed from any directory and with any path: a scenario named "it's a
** scenario.lua" included.  A word made only of safe bytes stays bare, so the common
** line reads as typed; any other word goes in single quotes, a quote inside written as
** '\''.  A run under another implementation of a role names it with its
** --node ROLE=COMMAND words (sim/tools/nodeflag.h), or it would reproduce a different
** implementation.
*/
#ifndef SIM_UTIL_SHELL_H
#define SIM_UTIL_SHELL_H

#include <stddef.h>

/* Appends w to out[len..cap) as one shell word, after a space unless first.  Returns the
** new length, or cap if it did not fit (out is then cut, still NUL-terminated). */
size_t shell_word(char *out, size_t cap, size_t len, const char *w);

/* Writes the command of nwords words into out[cap], each quoted; a NULL word is left
** out (an optional flag not given).  Returns the length, or cap if it did not fit. */
size_t shell_command(char *out, size_t cap, const char *const *words, size_t nwords);

#endif
