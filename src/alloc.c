/*
 * alloc.c: memory for the runtime's own bookkeeping (tasks, queues, names).
 *
 * A task's stack is the big allocation, and failing it fails only that task
 * (a MemoryError, see task.c). Bookkeeping is small; when even that cannot be
 * had, the wasm memory is at its limit and no task can make progress, so the
 * runtime stops with a message instead of dereferencing NULL later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void out_of_memory(size_t size) {
  char text[120];
  int n = snprintf(text, sizeof text,
                   "out of memory: %zu bytes for the runtime's bookkeeping; the module stops",
                   size);
  wa_host_report(text, n);
  abort();
}

void *wa__alloc(size_t size) {
  void *p = calloc(1, size);
  if (!p) out_of_memory(size);
  return p;
}

void *wa__realloc(void *p, size_t size) {
  void *q = realloc(p, size);
  if (!q) out_of_memory(size);
  return q;
}

char *wa__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(wa__alloc(n), s, n);
}
