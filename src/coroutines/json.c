/*
 * json.c: a recursive-descent JSON parser (RFC 8259), see json.h.
 *
 * It runs on task fibers, whose C stacks are small, so recursion is bounded
 * by MAX_DEPTH and the recursive functions keep no arrays or address-taken
 * locals (on wasm those would live on the C stack; the rest do not). Every
 * value records its span in the document's copy of the text, which the root
 * owns.
 *
 * Any allocation may fail (alloc.c). The parse then fails like any other,
 * freeing what it built, with the message "out of memory" (NOMEM) instead of
 * a "JSON error at offset N: ...", so the caller can tell the input was not
 * to blame.
 *
 * A lazy parse builds nodes only so deep; the containers there are checked
 * to the end (a syntax error anywhere fails the parse) but their items are
 * built when wa__json_open asks, which the scenario interpreter does as it
 * reaches each step list: a 10,000-task scenario is then built a task at a
 * time, in the steps of the tasks that run it, not all in the first one.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* From alloc.c; declared here rather than via internal.h so this file
   builds natively, with the test supplying them. */
extern void *wa__alloc(size_t size); /* zeroed; NULL when out of memory */
extern char *wa__strdup(const char *s); /* NULL when out of memory */

#define MAX_DEPTH 64

/* The error an allocation failure records; wa__json_parse reports it as
   this text alone, without an offset. */
static const char NOMEM[] = "out of memory";

/* The tree's nodes, strings and item arrays are carved out of chunks, one
   malloc per chunk rather than per node: a parse of the 10,000-task preset
   makes 120,000 of them, and wasm's malloc made them most of its cost. The
   document owns the chunks (and its copy of the text), so freeing the root
   frees them all. A chunk is never shrunk or reused: an array that grows
   leaves its old storage behind (at most as much again). */
typedef struct chunk chunk;
struct chunk {
  chunk *next;
  size_t used, size;
  _Alignas(8) unsigned char data[];
};

#define CHUNK_MIN 1024
#define CHUNK_MAX (256 * 1024)

struct wa_json_doc {
  char *text;          /* the copy of the source text every node points into */
  chunk *first, *last; /* the chunks, in order */
  int lazy_at;         /* containers this deep below what is built are not */
};

typedef struct {
  wa_json_doc *doc;
  char *s;    /* doc->text */
  int pos;    /* next character to read */
  int depth;  /* open arrays and objects, from where this parse began */
  int skipping; /* > 0: inside a lazy container, checking only */
  wa_json scratch; /* the node of a value checked only */
  char sink[4];    /* where a checked string's escapes decode to */
  int err_at; /* where the error is... */
  const char *err_what; /* ...and what, formatted only by wa__json_parse */
} parser;

/* Records the error and returns NULL, so callers can `return fail(...)`.
   Only the innermost failure calls it; everyone above just passes NULL up.
   It does not format: snprintf's varargs would live in the frame of every
   recursive function it got inlined into, 64 times over. */
static void *fail(parser *p, int at, const char *what) {
  p->err_at = at;
  p->err_what = what;
  return NULL;
}

static bool digit(char c) { return c >= '0' && c <= '9'; }

/* Skips whitespace and returns the next character, without consuming it. */
static char peek(parser *p) {
  while (p->s[p->pos] && strchr(" \t\n\r", p->s[p->pos])) p->pos++;
  return p->s[p->pos];
}

static void free_chunks(chunk *c) {
  while (c) {
    chunk *next = c->next;
    free(c);
    c = next;
  }
}

/* n zeroed bytes from the chunks, 8-aligned, or NULL when out of memory
   (the chunks stay, freed with the rest). */
static void *carve(parser *p, size_t n) {
  n = (n + 7) & ~(size_t)7;
  wa_json_doc *d = p->doc;
  chunk *c = d->last;
  if (!c || c->size - c->used < n) {
    size_t size = c ? (c->size < CHUNK_MAX ? 2 * c->size : CHUNK_MAX) : CHUNK_MIN;
    if (size < n) size = n;
    if (!(c = wa__alloc(sizeof *c + size))) return NULL;
    c->size = size;
    if (d->last)
      d->last->next = c;
    else
      d->first = c;
    d->last = c;
  }
  void *mem = c->data + c->used;
  c->used += n;
  return mem;
}

/* ---- strings ----------------------------------------------------------- */

/* The value of four hex digits at s, or -1. Stops at the first non-hex
   character, so it never reads past a closing quote or the NUL. */
static long hex4(const char *s) {
  long v = 0;
  for (int i = 0; i < 4; i++) {
    char c = s[i], lc = (char)(c | 0x20);
    if (digit(c))
      v = v * 16 + (c - '0');
    else if (lc >= 'a' && lc <= 'f')
      v = v * 16 + (lc - 'a' + 10);
    else
      return -1;
  }
  return v;
}

static char *put_utf8(char *o, long cp) {
  if (cp < 0x80) {
    *o++ = (char)cp;
  } else if (cp < 0x800) {
    *o++ = (char)(0xC0 | cp >> 6);
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *o++ = (char)(0xE0 | cp >> 12);
    *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else {
    *o++ = (char)(0xF0 | cp >> 18);
    *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
    *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  }
  return o;
}

/* Decodes the escape at s[*i] (a backslash) into o; advances *i past it.
   Returns the new end of o, or NULL on a bad escape. */
static char *unescape(parser *p, int *i, char *o) {
  const char *s = p->s + *i;
  const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
  const char *e = s[1] ? strchr(from, s[1]) : NULL;
  if (e) {
    *i += 2;
    *o++ = to[e - from];
    return o;
  }
  long cp = s[1] == 'u' ? hex4(s + 2) : -1;
  if (cp < 0) return fail(p, *i, s[1] == 'u' ? "invalid \\u escape" : "invalid escape");
  *i += 6;
  if (cp >= 0xD800 && cp <= 0xDFFF) {
    long lo = cp <= 0xDBFF && s[6] == '\\' && s[7] == 'u' ? hex4(s + 8) : -1;
    if (lo >= 0xDC00 && lo <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      *i += 6;
    } else {
      cp = 0xFFFD; /* a lone surrogate has no UTF-8; JS's TextDecoder agrees */
    }
  }
  return put_utf8(o, cp);
}

/* Parses the string at p->pos (its opening quote) and returns it decoded.
   A first pass finds the closing quote; its span sizes the buffer, as no
   escape decodes to more bytes than it takes (\ud83d\ude00 is 12 for 4).
   When skipping, it only checks the escapes and returns p->sink. */
static char *parse_string(parser *p) {
  const char *s = p->s;
  int i = p->pos + 1;
  for (; s[i] != '"'; i++) {
    if (s[i] == '\0') return fail(p, p->pos, "unterminated string");
    if ((unsigned char)s[i] < 0x20) return fail(p, i, "control character in string");
    if (s[i] == '\\' && s[i + 1]) i++;
  }
  int end = i;
  bool skip = p->skipping > 0;
  char *out = skip ? p->sink : carve(p, (size_t)(end - p->pos)), *o = out;
  if (!out) return fail(p, p->pos, NOMEM);
  for (i = p->pos + 1; i < end;) {
    if (s[i] != '\\') {
      if (!skip) *o++ = s[i];
      i++;
    } else if (!(o = unescape(p, &i, skip ? p->sink : o))) {
      return NULL;
    }
  }
  p->pos = end + 1;
  return out;
}

/* ---- numbers and containers -------------------------------------------- */

static wa_json *parse_number(parser *p, wa_json *v) {
  char *s = p->s;
  int begin = p->pos, i = begin + (s[begin] == '-');
  if (s[i] == '0' && digit(s[i + 1])) return fail(p, i, "leading zero in number");
  if (!digit(s[i])) return fail(p, i, "expected digit");
  int digits = i;
  while (digit(s[i])) i++;
  bool integer = s[i] != '.' && s[i] != 'e' && s[i] != 'E';
  if (s[i] == '.') {
    if (!digit(s[++i])) return fail(p, i, "expected digit after '.'");
    while (digit(s[i])) i++;
  }
  if (s[i] == 'e' || s[i] == 'E') {
    i += s[i + 1] == '+' || s[i + 1] == '-' ? 2 : 1;
    if (!digit(s[i])) return fail(p, i, "expected digit in exponent");
    while (digit(s[i])) i++;
  }
  p->pos = i;
  if (integer && i - digits <= 15) {
    /* Exact in a double (< 2^53), and far faster than wasm's strtod,
       which works in software long doubles. */
    double n = 0;
    for (int k = digits; k < i; k++) n = n * 10 + (s[k] - '0');
    v->number = s[begin] == '-' ? -n : n;
    return v;
  }
  /* Cut the text at the end: strtod accepts more than JSON ("0x1p3"). */
  char c = s[i];
  s[i] = '\0';
  v->number = strtod(s + begin, NULL);
  s[i] = c;
  return v;
}

/* Items are added one at a time. The capacity is implicit (4, then
   doubling), so an array is full when count is 0 or a power of two >= 4.
   Returns the array to store into: old when it has room, else a bigger
   copy, or NULL when out of memory. */
static void *grow(parser *p, void *old, int count, size_t size) {
  if (count != 0 && (count < 4 || (count & (count - 1)) != 0)) return old;
  void *mem = carve(p, (size_t)(count ? 2 * count : 4) * size);
  if (mem && old) memcpy(mem, old, (size_t)count * size);
  return mem;
}

/* Appends item (and, in an object, its key) to v; false when out of memory. */
static bool add_item(parser *p, wa_json *v, wa_json *item, char *key) {
  bool obj = v->kind == WA_JSON_OBJECT;
  wa_json **items = grow(p, v->items, v->count, sizeof *v->items);
  char **keys = items && obj ? grow(p, v->keys, v->count, sizeof *v->keys) : NULL;
  if (!items || (obj && !keys)) return false;
  v->items = items;
  if (obj) {
    v->keys = keys;
    v->keys[v->count] = key;
  }
  v->items[v->count++] = item;
  return true;
}

static wa_json *parse_value(parser *p);

/* Parses an array or object's items into v, whose kind says which; when
   skipping, only checks them (v is then p->scratch, which they reuse). */
static wa_json *parse_items(parser *p, wa_json *v) {
  bool obj = v->kind == WA_JSON_OBJECT, skip = p->skipping > 0;
  char close = obj ? '}' : ']';
  p->pos++;
  if (peek(p) == close) return p->pos++, v;
  for (;;) {
    char *key = NULL;
    if (obj) {
      if (peek(p) != '"') return fail(p, p->pos, "expected string key");
      if (!(key = parse_string(p))) return NULL;
      if (peek(p) != ':') return fail(p, p->pos, "expected ':'");
      p->pos++;
    }
    wa_json *item = parse_value(p);
    if (!item) return NULL;
    if (!skip && !add_item(p, v, item, key)) return fail(p, p->pos, NOMEM);
    if (peek(p) == close) return p->pos++, v;
    if (p->s[p->pos] != ',') return fail(p, p->pos, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    p->pos++;
  }
}

static wa_json *parse_literal(parser *p, wa_json *v, const char *word) {
  size_t n = strlen(word);
  if (strncmp(p->s + p->pos, word, n) != 0) return fail(p, p->pos, "expected a value");
  p->pos += (int)n;
  return v;
}

/* Parses one value, skipping whitespace before it. A container lazy_at
   deep gets its node, marked lazy, and its contents are only checked. */
static wa_json *parse_value(parser *p) {
  char c = peek(p);
  if (c == '\0') return fail(p, p->pos, "unexpected end of input");
  bool skip = p->skipping > 0;
  wa_json *v = skip ? &p->scratch : carve(p, sizeof *v), *ok;
  if (!v) return fail(p, p->pos, NOMEM);
  if (skip) *v = (wa_json){0};
  v->doc = p->doc;
  v->text = p->s;
  v->start = p->pos;
  if (c == '[' || c == '{') {
    if (p->depth == MAX_DEPTH) return fail(p, p->pos, "nesting too deep");
    v->kind = c == '[' ? WA_JSON_ARRAY : WA_JSON_OBJECT;
    v->lazy = !skip && p->depth >= p->doc->lazy_at;
    p->skipping += v->lazy;
    p->depth++;
    ok = parse_items(p, v);
    p->depth--;
    p->skipping -= v->lazy;
  } else if (c == '"') {
    v->kind = WA_JSON_STRING;
    ok = (v->string = parse_string(p)) ? v : NULL;
  } else if (c == 't' || c == 'f') {
    v->kind = WA_JSON_BOOL;
    v->boolean = c == 't';
    ok = parse_literal(p, v, c == 't' ? "true" : "false");
  } else if (c == 'n') {
    ok = parse_literal(p, v, "null"); /* kind is already WA_JSON_NULL */
  } else if (c == '-' || digit(c)) {
    v->kind = WA_JSON_NUMBER;
    ok = parse_number(p, v);
  } else {
    ok = fail(p, p->pos, "expected a value");
  }
  if (!ok) return NULL;
  v->end = p->pos;
  return v;
}

/* ---- the API ----------------------------------------------------------- */

static void free_doc(wa_json_doc *d) {
  free_chunks(d->first);
  free(d->text);
  free(d);
}

wa_json *wa__json_parse_lazy(const char *text, int lazy_at, char *err, int errlen) {
  parser p = {0};
  wa_json *root = NULL;
  if (strlen(text) > INT_MAX) { /* offsets are ints */
    fail(&p, 0, "text too long");
  } else if (!(p.doc = wa__alloc(sizeof *p.doc)) || !(p.doc->text = wa__strdup(text))) {
    fail(&p, 0, NOMEM);
  } else {
    p.s = p.doc->text;
    p.doc->lazy_at = lazy_at;
    root = parse_value(&p);
    if (root && peek(&p) != '\0') root = fail(&p, p.pos, "unexpected text after the value");
  }
  if (!root && p.doc) free_doc(p.doc);
  if (err && errlen > 0) {
    if (root)
      err[0] = '\0';
    else if (p.err_what == NOMEM)
      snprintf(err, (size_t)errlen, "%s", NOMEM);
    else
      snprintf(err, (size_t)errlen, "JSON error at offset %d: %s", p.err_at, p.err_what);
  }
  return root;
}

wa_json *wa__json_parse(const char *text, char *err, int errlen) {
  return wa__json_parse_lazy(text, INT_MAX, err, errlen);
}

int wa__json_open(wa_json *v) {
  if (!v->lazy) return 0;
  /* Checked already, so only memory can fail; v stays lazy then (what
     was carved stays with the document). */
  parser p = {.doc = v->doc, .s = v->doc->text, .pos = v->start, .depth = 1};
  v->lazy = false;
  if (parse_items(&p, v)) return 0;
  v->lazy = true;
  v->count = 0;
  return -1;
}

void wa__json_free(wa_json *root) {
  if (root) free_doc(root->doc);
}

/* NULL when out of memory. */
char *wa__json_source(const wa_json *v) {
  size_t n = (size_t)(v->end - v->start);
  char *s = wa__alloc(n + 1);
  if (s) memcpy(s, v->text + v->start, n);
  return s;
}

wa_json *wa__json_get(const wa_json *obj, const char *key) {
  if (!obj || obj->kind != WA_JSON_OBJECT) return NULL;
  for (int i = 0; i < obj->count; i++)
    if (strcmp(obj->keys[i], key) == 0) return obj->items[i];
  return NULL;
}
