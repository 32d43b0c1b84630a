/* print.c: output lines go to the host's print function. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

void wa_print(const char *fmt, ...) {
  char small[256], *text = small;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n >= (int)sizeof small) { /* rare: long lines go to the heap */
    text = wa__alloc(n + 1);
    va_start(ap, fmt);
    vsnprintf(text, n + 1, fmt, ap);
    va_end(ap);
  }
  wa_host_print(text, n < 0 ? 0 : n);
  if (text != small) free(text);
}
