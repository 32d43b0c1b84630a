/* print.c: output lines go to the host's print function. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The line cut to fit small[size] (which holds its first size - 1 bytes),
   ending in a marker that shows it was cut; returns the new length. The cut
   backs up to a character's first byte, so no UTF-8 sequence is split. */
static int cut_short(char *small, int size) {
  static const char marker[] = "\xE2\x80\xA6"; /* U+2026 "…" in UTF-8 */
  int len = size - (int)sizeof marker;
  while (len > 0 && ((unsigned char)small[len] & 0xC0) == 0x80) len--;
  memcpy(small + len, marker, sizeof marker);
  return len + (int)sizeof marker - 1;
}

void wa_print(const char *fmt, ...) {
  char small[256], *text = small;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n >= (int)sizeof small) { /* rare: long lines go to the heap */
    text = wa__alloc((size_t)n + 1);
    if (text) {
      va_start(ap, fmt);
      vsnprintf(text, (size_t)n + 1, fmt, ap);
      va_end(ap);
    } else { /* out of memory: printing what fits beats failing */
      text = small;
      n = cut_short(small, sizeof small);
    }
  }
  wa_host_print(text, n < 0 ? 0 : n);
  if (text != small) free(text);
}
