/*
 * json.h: a small JSON (RFC 8259) parser for the runtime's own use.
 *
 * Internal, hence the wa__ prefix. A parse builds a tree of wa_json values
 * that all point into one private copy of the source text, so any sub-tree
 * can be handed on as text (wa__json_source) without re-serializing it.
 */
#ifndef WA_JSON_H
#define WA_JSON_H

#include <stdbool.h>

typedef enum {
  WA_JSON_NULL,
  WA_JSON_BOOL,
  WA_JSON_NUMBER,
  WA_JSON_STRING,
  WA_JSON_ARRAY,
  WA_JSON_OBJECT
} wa_json_kind;

typedef struct wa_json wa_json;
typedef struct wa_json_doc wa_json_doc;
struct wa_json {
  wa_json_kind kind;
  bool boolean;   /* BOOL */
  bool lazy;      /* ARRAY / OBJECT of a lazy parse: items not built yet
                     (count 0) until wa__json_open */
  double number;  /* NUMBER */
  char *string;   /* STRING: decoded UTF-8, NUL-terminated (an embedded
                     \u0000 truncates it) */
  int count;      /* ARRAY / OBJECT: number of items */
  wa_json **items; /* ARRAY / OBJECT: values, in document order */
  char **keys;    /* OBJECT: keys, in document order (duplicates kept) */
  wa_json_doc *doc; /* the document it belongs to */
  const char *text; /* the document's copy of the source text... */
  int start, end;   /* ...and this value's span in it: [start, end) */
};

/* Parses text (NUL-terminated). On error returns NULL and, when err is not
   NULL, writes "JSON error at offset N: what" into err[errlen]. Nesting is
   limited to 64 levels so hostile input cannot exhaust a fiber's small C
   stack. Lone surrogates in \u escapes decode to U+FFFD; raw bytes >= 0x80
   are copied through unchecked. When memory runs out it returns NULL with
   err = "out of memory" (no offset), having freed what it built. */
wa_json *wa__json_parse(const char *text, char *err, int errlen);

/* As wa__json_parse, but arrays and objects lazy_at levels below the root
   (the root is level 0) are only checked: each gets its node, with lazy set
   and no items, until wa__json_open(node) builds them, leaving in turn
   those lazy_at levels below it unbuilt. Errors anywhere fail the parse. */
wa_json *wa__json_parse_lazy(const char *text, int lazy_at, char *err, int errlen);

/* Builds a lazy node's items (nothing to do for any other node): 0, or -1
   when out of memory, the node left lazy. What it builds belongs to the
   document, freed with the root. */
int wa__json_open(wa_json *v);

/* Frees the whole tree, text included; only call it on a root. */
void wa__json_free(wa_json *root);

/* A new string: v's exact source text, e.g. to hand a sub-tree to another
   task as text; NULL when out of memory. */
char *wa__json_source(const wa_json *v);

/* obj's first value under key, or NULL (also when obj is not an object). */
wa_json *wa__json_get(const wa_json *obj, const char *key);

#endif
