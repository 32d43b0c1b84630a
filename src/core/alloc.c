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

#ifdef WA_TEST_HOOKS
/* The test modules only (CMakeLists.txt): after wa__alloc_limit(n), the
   n allocations that follow work and every later one fails, until
   wa__alloc_limit(-1); so a test reaches each out-of-memory path in turn,
   with no need to fill the memory. */
static long allowed = -1;
void wa__alloc_limit(long n) { allowed = n; }
static bool refused(void) {
  if (allowed < 0) return false;
  if (allowed == 0) return true;
  allowed--;
  return false;
}
#else
#define refused() false
#endif

void *wa__alloc(size_t size) { return refused() ? NULL : calloc(1, size); }

void *wa__realloc(void *p, size_t size) { return refused() ? NULL : realloc(p, size); }

char *wa__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = refused() ? NULL : malloc(n);
  return copy ? memcpy(copy, s, n) : NULL;
}
