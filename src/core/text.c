/*
 * text.c: strings built on the heap, a printf format at a time. Out of
 * memory, a text stops growing and remembers it, so a caller builds a
 * whole text without checks and looks at `nomem` once at the end.
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

void wa__text_add(wa_text *b, const char *fmt, ...) {
  if (b->nomem) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < room) {
      b->len += n;
      return;
    }
    size_t more = (b->cap + n + 1) * 2;
    char *grown = wa__realloc(b->s, more);
    if (!grown) {
      b->nomem = true;
      return;
    }
    b->s = grown;
    b->cap = more;
  }
}
