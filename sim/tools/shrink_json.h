/*
** shrink_json.h: a small JSON reader for what the simulator wrote: summary.json (nested)
** and trace.jsonl (one flat object a line), read back by `shrink` and `explore`.
**
** The document is parsed into an array of nodes; children are linked by index, so a
** document is two allocations and no pointers into freed memory.  Strings are unescaped
** into the document's own buffer and NUL-terminated.  Numbers keep their text as well, so
** a time like "12.345678" can be read exactly as microseconds (sj_us) and a count as an
** integer without passing through a double.
**
** Bounded: nesting at most SJ_MAX_DEPTH, a file at most SJ_MAX_FILE bytes.
*/
#ifndef SIM_SHRINK_JSON_H
#define SIM_SHRINK_JSON_H

#include <stddef.h>
#include <stdint.h>

#define SJ_MAX_DEPTH 64
#define SJ_MAX_FILE (256u << 20)

typedef enum { SJ_NULL = 1, SJ_BOOL, SJ_NUM, SJ_STR, SJ_ARR, SJ_OBJ } sj_type;

typedef struct {
    sj_type type;
    int boolean;
    size_t key;               /* offset of the key in strs when in an object, else SIZE_MAX */
    size_t text;              /* SJ_STR: unescaped string; SJ_NUM: the number as written */
    int first, next;          /* first child, next sibling; -1 = none */
} sj_node;

typedef struct {
    sj_node *nodes;
    int n, cap;
    char *strs;
    size_t slen, scap;
} sj_doc;

/* Parses text[0..len) into d (reusing its buffers).  Node 0 is the root.  Returns 0, or
** -1 with what is wrong and where in err. */
int sj_parse(sj_doc *d, const char *text, size_t len, char *err, size_t errlen);
/* Reads and parses a whole file.  Returns 0 or -1 (err says why). */
int sj_load(sj_doc *d, const char *path, char *err, size_t errlen);
void sj_free(sj_doc *d);

/* The member `key` of object node obj, or -1 (also when obj is -1 or not an object). */
int sj_get(const sj_doc *d, int obj, const char *key);
/* Type checks that tolerate -1. */
int sj_is(const sj_doc *d, int i, sj_type t);
const char *sj_key(const sj_doc *d, int i);
/* String value, or "" if i is not a string. */
const char *sj_str(const sj_doc *d, int i);
/* Integer value of a number written without fraction or exponent, or def. */
int64_t sj_int(const sj_doc *d, int i, int64_t def);
/* A number of seconds as microseconds, exactly for up to six decimals; or def. */
int64_t sj_us(const sj_doc *d, int i, int64_t def);
/* Boolean value, or def. */
int sj_bool(const sj_doc *d, int i, int def);
/* Shorthands: member of obj. */
const char *sj_gets(const sj_doc *d, int obj, const char *key);
int64_t sj_geti(const sj_doc *d, int obj, const char *key, int64_t def);

#endif
