/*
** files.h: the few file-system helpers the tools share: make a directory and its
** parents, remove a tree, write a file atomically, ask whether a file could be written,
** hold a directory for one writer.
**
** Paths are at most FILES_PATH_MAX bytes; a longer one is refused (-1), never cut.
** Nothing here follows a symbolic link when removing: a tree is removed, not what its
** links point to.
*/
#ifndef SIM_UTIL_FILES_H
#define SIM_UTIL_FILES_H

#include <stddef.h>
#include <stdio.h>

#define FILES_PATH_MAX 1100

/* mkdir -p: dir and its missing parents (0755).  Returns 0 or -1 (errno says why). */
int files_mkdirs(const char *dir);
/* rm -rf: path and, for a directory, everything under it.  A path that does not exist
** is fine.  Returns 0 or -1. */
int files_rmtree(const char *path);
/* Writes the file at path atomically: write(f, ctx) fills a temporary file next to it,
** which is renamed over path only if every write succeeded.  Returns 0, or -1 with
** "cannot write PATH: why" in err. */
int files_write(const char *path, void (*write)(FILE *f, void *ctx), void *ctx, char *err,
                size_t cap);
/* Does the directory that would hold path exist, and may we write in it? */
int files_dir_writable(const char *path);
/* The directory part of path (dirname), into out[cap].  Returns 0 or -1 (too long). */
int files_parent(const char *path, char *out, size_t cap);


#endif
