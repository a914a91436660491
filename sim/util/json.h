/*
** json.h: the project's one JSON writer, and thin reading helpers over jansson.
**
** Writing (json_w_*): a streaming writer that appends to a buffer.  The buffer is
**   - fixed: the caller's array; what does not fit sets the overflow flag and is dropped
**     (the trace builds each line in one and cuts a line too long to a marker);
**   - growable: malloc'd, doubled as needed (json_w_free() releases it);
**   - a file's: a buffer of its own, written to a FILE whenever it fills.
** The writer puts the commas itself: a value or key after a finished value in the same
** container is preceded by ",".  Numbers are formatted by hand, not by snprintf, which
** was a tenth of the simulator's time when the trace used it.
**
** Layout is the caller's, so that every file keeps its bytes:
**   - compact (0):          {"t":1.000000,"ev":"send"}       -- the trace, the page data
**   - spaced (JSON_SPACED): {"lines": 7, "hash": "..."}      -- summary.json, sweep.json
** and json_w_break(w, n) puts a newline and n spaces before the next key, value or
** closing bracket (after its comma, in place of the space of the spaced layout).
**
** Strings are escaped as the trace has always escaped them: \" \\ \n \t, other bytes
** below 0x20 as \u00xx (lower-case hex), everything else as is (UTF-8 passes through).
** With JSON_HTML, <, > and & are \u00xx too, so the text is safe inside <script>.  A NULL
** string is written as "".
**
** Reading (json_r_*): jansson does the parsing.  json_r_load() reads a file and says
** what is wrong in one line, "path:line:column: what"; the getters return a field of an
** object if it is there with the right type, and otherwise say so without touching
** their output.  jansson's integers are signed 64 bits; a larger integer in a file (a
** seed may be up to 2^64 - 1) is read as a string of its digits, which json_r_uint()
** reads as a number.
*/
#ifndef SIM_UTIL_JSON_H
#define SIM_UTIL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

enum {
    JSON_SPACED = 1,          /* ", " between items and ": " after keys */
    JSON_HTML = 2,            /* escape <, > and & in strings */
};

#define JSON_W_DEPTH 32       /* deepest nesting the writer accepts */
#define JSON_W_FILEBUF 8192   /* a file writer's buffer */

typedef struct {
    char *buf;
    size_t len, cap;
    int flags;
    int overflow;             /* fixed: something did not fit; growable: out of memory */
    int grow;                 /* buf is malloc'd and grows */
    FILE *f;                  /* file writer: flushed to f when full */
    int failed;               /* file writer: a write to f failed */
    int comma;                /* a value just ended: the next item needs a "," */
    int brk;                  /* spaces after the newline json_w_break() asked for; -1 none */
    int depth;
    uint32_t in_obj;          /* bit d: level d+1 is an object (else an array) */
    int after_key;            /* a key was written; its value comes next */
    char fbuf[JSON_W_FILEBUF];
} json_w;

/* A writer into buf[cap] (cap > 0). */
void json_w_init_buf(json_w *w, char *buf, size_t cap, int flags);
/* A writer into a malloc'd buffer that grows (w->buf, w->len; json_w_free() after). */
void json_w_init_grow(json_w *w, int flags);
/* A writer to f, through a buffer of its own; json_w_flush() at the end. */
void json_w_init_file(json_w *w, FILE *f, int flags);
/* Forgets what was written (the buffer is kept) and the nesting: a fresh document. */
void json_w_reset(json_w *w);
/* Writes out a file writer's buffer.  Returns 0, or -1 if a write failed or (any kind of
** writer) something was lost to overflow. */
int json_w_flush(json_w *w);
/* Frees a growable writer's buffer. */
void json_w_free(json_w *w);

void json_w_obj(json_w *w);           /* { */
void json_w_obj_end(json_w *w);       /* } */
void json_w_arr(json_w *w);           /* [ */
void json_w_arr_end(json_w *w);       /* ] */
void json_w_key(json_w *w, const char *k);
void json_w_str(json_w *w, const char *s);
/* At most n bytes of s (fewer if a NUL comes first). */
void json_w_strn(json_w *w, const char *s, size_t n);
void json_w_int(json_w *w, int64_t v);
void json_w_uint(json_w *w, uint64_t v);
/* Microseconds as seconds with exactly 6 decimals: 1500000 -> 1.500000, -1 -> -0.000001. */
void json_w_time(json_w *w, int64_t us);
void json_w_bool(json_w *w, int v);
void json_w_null(json_w *w);
/* A value already in JSON (a number, a literal, a prepared object), as is. */
void json_w_raw(json_w *w, const char *s);
/* A value formatted by printf, as is: json_w_fmt(w, "%.6f", x). */
void json_w_fmt(json_w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A newline and indent spaces before the next key, value or closing bracket. */
void json_w_break(json_w *w, int indent);
/* Bytes outside the JSON structure (the newline after a document): no comma, no break. */
void json_w_put(json_w *w, const char *s, size_t n);

/* Key and value in one call. */
void json_w_kstr(json_w *w, const char *k, const char *s);
void json_w_kint(json_w *w, const char *k, int64_t v);
void json_w_kuint(json_w *w, const char *k, uint64_t v);
void json_w_ktime(json_w *w, const char *k, int64_t us);
void json_w_kbool(json_w *w, const char *k, int v);

/* Appends s to out[cap] as the body of a JSON string (no quotes), escaped as above
** (flags: JSON_HTML or 0); returns the new length, or cap if it did not fit. */
size_t json_w_escape(char *out, size_t cap, size_t len, const char *s, int flags);

/* Parses the file at path.  Returns the document (json_decref() it), or NULL with
** "path:line:column: what" in err. */
json_t *json_r_load(const char *path, char *err, size_t cap);
/* Parses text (named name in the error); as json_r_load(). */
json_t *json_r_parse(const char *text, const char *name, char *err, size_t cap);
/* The member key of object o if it is an object / array / string, else NULL. */
json_t *json_r_obj(const json_t *o, const char *key);
json_t *json_r_arr(const json_t *o, const char *key);
const char *json_r_str(const json_t *o, const char *key);
/* Copies the string member into out[cap].  Returns 0, or -1 (absent, not a string, or
** too long: out then holds "") */
int json_r_strcpy(const json_t *o, const char *key, char *out, size_t cap);
/* The member as an integer (0) or -1 if absent or not an integer. */
int json_r_int(const json_t *o, const char *key, int64_t *out);
/* As json_r_int(), and -1 for a negative value too; also reads an integer beyond int64
** (a string of digits, see above). */
int json_r_uint(const json_t *o, const char *key, uint64_t *out);
/* The member as a number (an integer or a real). */
int json_r_num(const json_t *o, const char *key, double *out);
/* The member as true (1) or false (0); -1 if absent or not a boolean. */
int json_r_bool(const json_t *o, const char *key);

#endif
