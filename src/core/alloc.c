/*
 * alloc.c: memory for the runtime's own bookkeeping (tasks, queues, names).
 *
 * Every allocation may fail, and every caller checks: at the wasm memory
 * limit the call or task that needed the memory fails with MemoryError and
 * the runtime goes on. What must work with no memory at all (cancelling,
 * ending a task, running what is queued) allocates nothing: the ready queue
 * is reserved ahead (loop.c), and the errors those paths raise fall back to
 * preallocated ones (error.c).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void *wa__alloc(size_t size) { return calloc(1, size); }

void *wa__realloc(void *p, size_t size) { return realloc(p, size); }

char *wa__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = malloc(n);
  return copy ? memcpy(copy, s, n) : NULL;
}
