/*
 * fiber.c: the C stacks and Asyncify buffers tasks run on.
 *
 * A slab is one allocation: [Asyncify buffer | C stack]. The C stack grows
 * down towards the buffer and the buffer fills up towards the stack, so
 * either overflowing lands in the same task's own memory first. Slabs are
 * pooled: touching fresh pages is most of the cost of a new fiber.
 *
 * Overflows become task failures, not a trap that ends every task:
 * - C stack: the module is built with STACK_OVERFLOW_CHECK=2, whose check
 *   calls the host before the stack pointer moves past the limit; the
 *   host throws out of the task and calls wa_loop_recover (loop.c).
 * - Asyncify buffer: it only fills when a task suspends, and an unwind
 *   writes as it goes, checking the end only when it is over: a deep
 *   suspension would have written past a small buffer before anyone could
 *   tell. So every task unwinds into one big shared scratch buffer, and
 *   the bytes it really used (about a hundred, usually) are then copied
 *   into its slab, or the task fails when they do not fit. The scratch is
 *   far bigger than any unwind the engine's own call stack allows (each
 *   spilled frame is a frame on that stack; a suspension 5,000 to 10,000
 *   frames deep, about 0.3 MB, is where V8's stack ends). Should it still
 *   overflow, the host clamps the unwind (post.js) and the module stops.
 */
#include <emscripten.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static emscripten_fiber_t main_fiber;
static char main_asyncify[16384];
static unsigned stack_size = 16384, asyncify_size = 4096;
static wa_slab *free_slabs;
static int slabs_total, slabs_free; /* for wa_js_stats */
static int overflow_bytes; /* written by the host (post.js) */
enum { SCRATCH_SIZE = 4 << 20 };
static char scratch[SCRATCH_SIZE] __attribute__((aligned(16)));

static void slab_free(wa_slab *s);

void wa__fiber_configure(unsigned c_stack, unsigned asyncify) {
  /* Slabs of the old size are dropped, not reused. */
  while (free_slabs) {
    wa_slab *s = free_slabs;
    free_slabs = s->next_free;
    slabs_free--;
    slab_free(s);
  }
  stack_size = c_stack;
  asyncify_size = asyncify;
  emscripten_fiber_init_from_current_context(&main_fiber, main_asyncify,
                                             sizeof main_asyncify);
}

wa_slab *wa__fiber_acquire(wa_task *t, void (*entry)(void *)) {
  wa_slab *s = free_slabs;
  if (s) {
    free_slabs = s->next_free;
    slabs_free--;
  } else {
    s = wa__alloc(sizeof *s);
    /* The wasm C ABI wants a 16-byte aligned stack, and malloc only
       promises 8: compiled code that relies on the alignment (long double
       locals in printf's float formatting) corrupts its own stack. */
    if (!s || !(s->mem = aligned_alloc(16, asyncify_size + stack_size))) {
      free(s);
      return NULL;
    }
    slabs_total++;
    wa__slow_work++; /* its first use faults its pages in */
  }
  emscripten_fiber_init(&s->fiber, entry, t, s->mem + asyncify_size,
                        stack_size, s->mem, asyncify_size);
  return s;
}

/* The pool keeps enough slabs for the tasks that come and go, not every
   slab a burst of concurrent tasks once needed: past the bound (in bytes,
   so big stacks pool fewer), a released slab goes back to malloc. */
#define POOL_BYTES (8u << 20)

static void slab_free(wa_slab *s) {
  free(s->mem);
  free(s);
  slabs_total--;
}

void wa__fiber_release(wa_slab *s) {
  if ((unsigned)(slabs_free + 1) * (asyncify_size + stack_size) > POOL_BYTES) {
    slab_free(s);
    return;
  }
  s->next_free = free_slabs;
  free_slabs = s;
  slabs_free++;
}

void wa__fiber_enter(wa_slab *s) { emscripten_fiber_swap(&main_fiber, &s->fiber); }

/* The task unwinds into the scratch (see the top of this file). */
void wa__fiber_leave(wa_slab *s) {
  s->fiber.asyncify_data.stack_ptr = scratch;
  s->fiber.asyncify_data.stack_limit = scratch + SCRATCH_SIZE;
  emscripten_fiber_swap(&s->fiber, &main_fiber);
}

bool wa__fiber_save(wa_slab *s, char *why, int len) {
  if (overflow_bytes) { /* memory past the scratch was overwritten */
    snprintf(why, len, "a suspension %d bytes deeper than the %d-byte unwind buffer "
             "overwrote wasm memory; the module stops", overflow_bytes, SCRATCH_SIZE);
    wa_host_report(why, -1);
    abort();
  }
  asyncify_data_t *data = &s->fiber.asyncify_data;
  size_t used = (char *)data->stack_ptr - scratch;
  if (used > asyncify_size) {
    snprintf(why, len,
             "Asyncify buffer overflowed by %zu bytes at a suspension "
             "(buffer: %u bytes; raise asyncifySize)",
             used - asyncify_size, asyncify_size);
    return false;
  }
  memcpy(s->mem, scratch, used);
  data->stack_ptr = s->mem + used; /* a rewind pops from here down */
  data->stack_limit = s->mem + asyncify_size;
  return true;
}

unsigned wa__fiber_stack_size(void) { return stack_size; }
int wa__fiber_slabs(bool idle_only) { return idle_only ? slabs_free : slabs_total; }

EMSCRIPTEN_KEEPALIVE int *wa_fiber_overflow_slot(void) { return &overflow_bytes; }
EMSCRIPTEN_KEEPALIVE emscripten_fiber_t *wa_fiber_main(void) { return &main_fiber; }
