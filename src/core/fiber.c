/*
 * fiber.c: where tasks run, and where a suspended task is kept.
 *
 * Every task runs on one C stack, the run stack. When a task suspends, the
 * part of the run stack it uses (from its stack pointer up to the base: a
 * few hundred bytes, usually) and the Asyncify bytes its unwind wrote are
 * copied into a save buffer of its own, sized to fit, and copied back, to
 * the same addresses, before it resumes. A task that ends without
 * suspending copies nothing. A sleeping task so holds about half a
 * kilobyte, not a whole stack: a million of them fit in wasm32's memory.
 * (libaco's shared stacks do the same natively.)
 *
 * The rule that comes with it: the address of a task's local is good only
 * while that task runs. While it is suspended another task has the run
 * stack, so what others (tasks, callbacks, timers) must reach goes on the
 * heap; wa_task_alloc gives memory that lives as long as the task. In the
 * ASan build the run stack is poisoned whenever no task runs on it, so a
 * callback or timer that writes through such an address is caught.
 *
 * Overflows become task failures, not a trap that ends every task:
 * - C stack: the module is built with STACK_OVERFLOW_CHECK=2, whose check
 *   calls the host before the stack pointer moves past the limit; the
 *   host throws out of the task and calls wa_loop_recover (loop.c).
 * - Asyncify buffer: it only fills when a task suspends, and an unwind
 *   writes as it goes, checking the end only when it is over: a deep
 *   suspension would have written past a small buffer before anyone could
 *   tell. So every task unwinds into one big shared scratch buffer, and
 *   the task fails when the bytes it used are more than asyncifySize. The
 *   scratch is far bigger than any unwind the engine's own call stack
 *   allows (each spilled frame is a frame on that stack; a suspension
 *   5,000 to 10,000 frames deep, about 0.3 MB, is where V8's stack ends).
 *   Should it still overflow, the host clamps the unwind (post.js) and the
 *   module stops.
 * - Memory: a task whose suspension finds no memory for its save buffer
 *   fails with MemoryError (its stack cannot be kept for it).
 */
#include <emscripten.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define WA_ASAN 1
#endif
#endif
#ifndef WA_ASAN
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

static emscripten_fiber_t main_fiber;
static char main_asyncify[16384];
static unsigned stack_size = 16384, asyncify_size = 4096;
static char *run_stack; /* stack_size bytes, 16-aligned; grows down from the end */
static wa_slab *free_slabs;
static int slabs_total, slabs_free; /* for wa_js_stats */
static int overflow_bytes; /* written by the host (post.js) */
enum { SCRATCH_SIZE = 4 << 20 };
static char scratch[SCRATCH_SIZE] __attribute__((aligned(16)));

static void slab_free(wa_slab *s) {
  free(s->save);
  free(s);
  slabs_total--;
}

bool wa__fiber_configure(unsigned c_stack, unsigned asyncify) {
  while (free_slabs) { /* fibers made for the old stack are not reused */
    wa_slab *s = free_slabs;
    free_slabs = s->next_free;
    slabs_free--;
    slab_free(s);
  }
  /* The wasm C ABI wants a 16-byte aligned stack, and malloc only
     promises 8: compiled code that relies on the alignment (long double
     locals in printf's float formatting) corrupts its own stack. */
  char *stack = aligned_alloc(16, (c_stack + 15) & ~15u);
  if (!stack) return false;
  free(run_stack);
  run_stack = stack;
  stack_size = c_stack;
  asyncify_size = asyncify;
  ASAN_POISON_MEMORY_REGION(run_stack, stack_size);
  emscripten_fiber_init_from_current_context(&main_fiber, main_asyncify,
                                             sizeof main_asyncify);
  return true;
}

wa_slab *wa__fiber_acquire(wa_task *t, void (*entry)(void *)) {
  wa_slab *s = free_slabs;
  if (s) {
    free_slabs = s->next_free;
    slabs_free--;
  } else {
    if (!(s = wa__alloc(sizeof *s))) return NULL;
    slabs_total++;
  }
  s->stack_used = 0;
  emscripten_fiber_init(&s->fiber, entry, t, run_stack, stack_size, scratch, SCRATCH_SIZE);
  return s;
}

/* The pool keeps the fibers of the tasks that come and go, not every one
   a burst of concurrent tasks once needed; a save buffer is not kept. */
enum { POOL_MAX = 1024 };

void wa__fiber_release(wa_slab *s) {
  if (slabs_free >= POOL_MAX) {
    slab_free(s);
    return;
  }
  free(s->save);
  s->save = NULL;
  s->cap = 0;
  s->next_free = free_slabs;
  free_slabs = s;
  slabs_free++;
}

void wa__fiber_enter(wa_slab *s) {
  ASAN_UNPOISON_MEMORY_REGION(run_stack, stack_size);
  if (s->stack_used) { /* back where it was: its locals' addresses hold */
    size_t async_used = (size_t)(s->fiber.asyncify_data.stack_ptr - (void *)s->save);
    memcpy(run_stack + stack_size - s->stack_used, s->save + async_used, s->stack_used);
  }
  emscripten_fiber_swap(&main_fiber, &s->fiber);
  /* Back on the main stack: the task suspended (wa__fiber_save keeps its
     part) or ended. The run stack is nobody's until a task enters. */
  ASAN_POISON_MEMORY_REGION(run_stack, stack_size);
}

/* The task unwinds into the scratch (see the top of this file). */
void wa__fiber_leave(wa_slab *s) {
  s->fiber.asyncify_data.stack_ptr = scratch;
  s->fiber.asyncify_data.stack_limit = scratch + SCRATCH_SIZE;
  emscripten_fiber_swap(&s->fiber, &main_fiber);
}

/* Room for n bytes in s's save buffer; false when out of memory. */
static bool save_room(wa_slab *s, size_t n) {
  if (n <= s->cap) return true;
  size_t cap = n ? (n + 15) & ~(size_t)15 : 16; /* kept: a task suspends alike each time */
  char *grown = malloc(cap); /* not realloc: the old bytes are not needed */
  if (!grown) return false;
  free(s->save);
  s->save = grown;
  s->cap = (unsigned)cap;
  return true;
}

const char *wa__fiber_save(wa_slab *s, char *why, int len) {
  if (overflow_bytes) { /* memory past the scratch was overwritten */
    snprintf(why, len, "a suspension %d bytes deeper than the %d-byte unwind buffer "
             "overwrote wasm memory; the module stops", overflow_bytes, SCRATCH_SIZE);
    wa_host_report(why, -1);
    abort();
  }
  asyncify_data_t *data = &s->fiber.asyncify_data;
  size_t async_used = (size_t)((char *)data->stack_ptr - scratch);
  size_t stack_used = (size_t)(run_stack + stack_size - (char *)s->fiber.stack_ptr);
  const char *error = NULL;
  if (async_used > asyncify_size) {
    snprintf(why, len,
             "Asyncify buffer overflowed by %zu bytes at a suspension "
             "(buffer: %u bytes; raise asyncifySize)",
             async_used - asyncify_size, asyncify_size);
    error = "StackOverflowError";
  } else if (!save_room(s, async_used + stack_used)) {
    snprintf(why, len, "no memory to keep the task's stack (%zu bytes) while it is suspended",
             async_used + stack_used);
    error = "MemoryError";
  } else {
    ASAN_UNPOISON_MEMORY_REGION(run_stack, stack_size); /* its frames' redzones */
    memcpy(s->save, scratch, async_used);
    memcpy(s->save + async_used, (char *)s->fiber.stack_ptr, stack_used);
    s->stack_used = (unsigned)stack_used;
    data->stack_ptr = s->save + async_used; /* a rewind pops from here down */
    data->stack_limit = s->save + async_used;
    ASAN_POISON_MEMORY_REGION(run_stack, stack_size); /* as wa__fiber_enter left it */
  }
  return error;
}

unsigned wa__fiber_stack_size(void) { return stack_size; }
int wa__fiber_slabs(bool idle_only) { return idle_only ? slabs_free : slabs_total; }

EMSCRIPTEN_KEEPALIVE int *wa_fiber_overflow_slot(void) { return &overflow_bytes; }
EMSCRIPTEN_KEEPALIVE emscripten_fiber_t *wa_fiber_main(void) { return &main_fiber; }
