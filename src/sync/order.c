/*
 * order.c: how a PriorityQueue orders its items, as Python's `<` would
 * order the same values: numbers by value, strings by code point, bytes
 * bytewise, and JSON (what JavaScript's [priority, item] arrays become)
 * as the Python objects json.loads makes: lists element by element,
 * booleans as 0 and 1. What Python cannot order (None, dicts, a number
 * against a string) is a TypeError, as there.
 */
#include <stdlib.h>
#include <string.h>

#include "sync.h"

/* Three-way, plus "unequal but unordered" (Python would raise if asked). */
typedef enum { LT, EQ, GT, NE } order;

static const char *kind_name(wa_kind k) {
  switch (k) {
    case WA_NUMBER: return "number";
    case WA_STRING: return "string";
    case WA_BYTES: return "bytes";
    case WA_JSON: return "JSON";
    default: return "none";
  }
}

static order of_doubles(double a, double b) { return a < b ? LT : a > b ? GT : a == b ? EQ : NE; }

/* ---- JSON, read just enough to compare ------------------------------------ */

static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return p;
}

/* One code point of a JSON string's body at *p (advanced); -1 at its end. */
static long next_char(const char **p) {
  const unsigned char *s = (const unsigned char *)*p;
  if (*s == '"' || !*s) return -1;
  long c;
  int n = 1;
  if (*s == '\\') {
    n = 2;
    switch (s[1]) {
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'n': c = '\n'; break;
      case 'r': c = '\r'; break;
      case 't': c = '\t'; break;
      case 'u': {
        char hex[5] = {0};
        memcpy(hex, s + 2, 4);
        c = strtol(hex, NULL, 16);
        n = 6;
        if (c >= 0xD800 && c < 0xDC00 && s[6] == '\\' && s[7] == 'u') { /* a surrogate pair */
          memcpy(hex, s + 8, 4);
          long low = strtol(hex, NULL, 16);
          if (low >= 0xDC00 && low < 0xE000) c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00), n = 12;
        }
        break;
      }
      default: c = s[1]; /* \" \\ \/ */
    }
  } else if (*s < 0x80) {
    c = *s;
  } else { /* UTF-8: code point order is byte order, but escapes mix in */
    int len = *s >= 0xF0 ? 4 : *s >= 0xE0 ? 3 : 2;
    c = *s & (0x3F >> (len - 1));
    for (int i = 1; i < len && (s[i] & 0xC0) == 0x80; i++, n++) c = (c << 6) | (s[i] & 0x3F);
  }
  *p += n;
  return c;
}

static order compare(const char **a, const char **b);

/* Skips one JSON value (for a dict, or a list's tail). */
static const char *skip_value(const char *p) {
  p = skip_ws(p);
  if (*p == '"') {
    for (p++; *p && *p != '"'; p += *p == '\\' ? 2 : 1) {
    }
    return *p ? p + 1 : p;
  }
  if (*p == '[' || *p == '{') {
    int depth = 0;
    do {
      if (*p == '"') {
        p = skip_value(p);
        continue;
      }
      if (*p == '[' || *p == '{') depth++;
      if (*p == ']' || *p == '}') depth--;
      p++;
    } while (*p && depth > 0);
    return p;
  }
  while (*p && *p != ',' && *p != ']' && *p != '}' && *p != ' ' && *p != '\n') p++;
  return p;
}

/* From a character boundary inside a string's body to just past its
   closing quote. (skip_value would take the closing quote for an opening
   one, and run on into whatever follows.) */
static const char *string_end(const char *p) {
  while (*p && *p != '"') p += *p == '\\' && p[1] ? 2 : 1;
  return *p ? p + 1 : p;
}

static order compare_strings(const char **a, const char **b) {
  (*a)++, (*b)++;
  for (;;) {
    long x = next_char(a), y = next_char(b);
    if (x != y || x < 0) {
      /* Both past their closing quotes, so that a list of equal strings
         goes on to its next element ([1, "a"] < [1, "a", 0]). */
      *a = string_end(*a), *b = string_end(*b);
      return x == y ? EQ : x < y ? LT : GT; /* -1, the end, sorts first */
    }
  }
}

static order compare_lists(const char **a, const char **b) {
  const char *p = skip_ws(*a + 1), *q = skip_ws(*b + 1);
  order result = EQ;
  for (;;) {
    bool end_p = *p == ']' || !*p, end_q = *q == ']' || !*q;
    if (end_p || end_q) {
      result = end_p && end_q ? EQ : end_p ? LT : GT;
      break;
    }
    order o = compare(&p, &q);
    if (o != EQ) {
      result = o; /* the first unequal pair decides (NE: Python raises) */
      break;
    }
    p = skip_ws(p), q = skip_ws(q);
    if (*p == ',') p = skip_ws(p + 1);
    if (*q == ',') q = skip_ws(q + 1);
  }
  *a = skip_value(*a), *b = skip_value(*b);
  return result;
}

/* A JSON number or boolean as Python's int or float; false otherwise. */
static bool number_of(const char *p, double *out) {
  if (!strncmp(p, "true", 4)) return *out = 1, true;
  if (!strncmp(p, "false", 5)) return *out = 0, true;
  char *end;
  *out = strtod(p, &end);
  return end != p && (*p == '-' || (*p >= '0' && *p <= '9'));
}

/* Compares the JSON values at *a and *b and moves both past them. */
static order compare(const char **a, const char **b) {
  const char *p = skip_ws(*a), *q = skip_ws(*b);
  *a = p, *b = q;
  if (*p == '[' && *q == '[') return compare_lists(a, b);
  if (*p == '"' && *q == '"') return compare_strings(a, b);
  double x, y;
  bool nx = number_of(p, &x), ny = number_of(q, &y);
  *a = skip_value(p), *b = skip_value(q);
  if (nx && ny) return of_doubles(x, y);
  /* null, objects, or two kinds: equal only when written the same. */
  bool same = *a - p == *b - q && !strncmp(p, q, *a - p) && *p != '[' && *p != '"' && !nx;
  return same ? EQ : NE;
}

/* ---- values ------------------------------------------------------------------ */

static order compare_values(const wa_value *a, const wa_value *b) {
  switch (a->kind) {
    case WA_NUMBER: return of_doubles(a->number, b->number);
    case WA_STRING: {
      int c = strcmp(a->string, b->string); /* UTF-8: code point order */
      return c < 0 ? LT : c > 0 ? GT : EQ;
    }
    case WA_BYTES: {
      size_t n = a->length < b->length ? a->length : b->length;
      int c = n ? memcmp(a->bytes, b->bytes, n) : 0;
      if (c == 0) return a->length < b->length ? LT : a->length > b->length ? GT : EQ;
      return c < 0 ? LT : GT;
    }
    case WA_JSON: {
      const char *p = a->string, *q = b->string;
      return compare(&p, &q);
    }
    default: return NE; /* None < None is a TypeError too */
  }
}

bool wa__value_below(const wa_value *a, const wa_value *b) {
  return a->kind == b->kind && compare_values(a, b) == LT;
}

int wa__value_less(const wa_value *a, const wa_value *b) {
  order o = a->kind == b->kind ? compare_values(a, b) : NE;
  if (o != NE) return o == LT;
  if (a->kind == b->kind && a->kind == WA_NUMBER) return 0; /* NaN: never less */
  wa_raise("TypeError", "'<' not supported between a priority queue's items: %s and %s",
           kind_name(a->kind), kind_name(b->kind));
  return -1;
}
