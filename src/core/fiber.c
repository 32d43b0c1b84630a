/*
 * fiber.c: where tasks run, and where a suspended task is kept.
 *
 * Every task runs on one C stack, the run stack. When a task suspends, the
 * part of the run stack it uses (from its stack pointer up to the top: a
 * few hundred bytes, usually) and the Asyncify bytes its unwind wrote are
 * copied into a save buffer of its own, sized to fit, and copied back, to
 * the same addresses, before it resumes. A task that ends without
 * suspending copies nothing. A sleeping task so holds about half a
 * kilobyte, not a whole stack: a million of them fit in wasm32's memory.
 * (libaco's shared stacks do the same natively.)
 *
 * The switch is ours, not Emscripten's fibers: the scheduler calls the host
 * (wa_host_fiber_run, host.js), which points the stack pointer at the task's
 * stack, starts a rewind when the task is resuming, and calls the task's
 * entry (wa_fiber_entry) as a raw wasm export. A suspending task calls
 * wa_host_fiber_suspend, which starts an unwind: the task's frames return
 * into the host, which stops the unwind and returns to the scheduler. So a
 * switch unwinds the task that suspends and rewinds the next one; the
 * scheduler's own frames stay on the stack, under no fiber.
 *
 * The run stack is one block: the tasks' part below, and the scheduler's
 * above it. The host pumps the loop with the stack pointer at the top of
 * the block (post.js), so the scheduler's frames sit above any task's, the
 * stack limits hold for the whole pump, and a task that outgrows its part
 * hits the bottom of the block. A C callback the scheduler runs between
 * tasks may grow into the tasks' part: nobody's bytes are there then.
 *
 * The rule that comes with it: the address of a task's local is good only
 * while that task runs. While it is suspended another task has the run
 * stack, so what others (tasks, callbacks, timers) must reach goes on the
 * heap; wa_task_alloc gives memory that lives as long as the task. In the
 * ASan build the tasks' part is poisoned whenever no task runs on it, so a
 * callback or timer that reads or writes through such an address is caught.
 *
 * Overflows become task failures, not a trap that ends every task:
 * - C stack: the module is built with STACK_OVERFLOW_CHECK=2, whose check
 *   calls the host before the stack pointer moves past the limit; the
 *   host throws out of the task, catches it where it entered the task, and
 *   wa__fiber_enter says so. The engine's own stack, likewise.
 * - Asyncify buffer: it only fills when a task suspends, and an unwind
 *   writes as it goes without looking at the end: a deep suspension would
 *   have written past a small buffer before anyone could tell. So every
 *   task unwinds into one big shared scratch buffer, and the task fails
 *   when the bytes it used are more than asyncifySize. The scratch is far
 *   bigger than any unwind the engine's own call stack allows (each
 *   spilled frame is a frame on that stack; a suspension 5,000 to 10,000
 *   frames deep, about 0.3 MB, is where V8's stack ends). Should one still
 *   pass its end, memory after it is overwritten and the module stops.
 * - Memory: a task whose suspension finds no memory for its save buffer
 *   fails with MemoryError (its stack cannot be kept for it).
 */
#include <emscripten.h>
#include <emscripten/stack.h>
#include <stdint.h>
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

/* host.js. The first is in ASYNCIFY_IMPORTS: the one place a task suspends. */
void wa_host_fiber_suspend(wa_asyncify_data *unwind);
int wa_host_fiber_run(wa_slab *s, uintptr_t sp, wa_asyncify_data *rewind, uintptr_t back);

/* The scheduler's part of the run stack: the loop's frames, done callbacks
   and the JS calls they make; deeper callbacks go on into the tasks' part. */
enum { SCHEDULER_STACK = 64 << 10 };

static unsigned stack_size = 16384, asyncify_size = 4096;
static char *run_stack;   /* [tasks: stack_size | scheduler], 16-aligned */
static uintptr_t limits[2]; /* the block's top and bottom, for post.js */
static wa_slab *free_slabs;
static int slabs_total, slabs_free; /* for wa_js_stats */
enum { SCRATCH_SIZE = 4 << 20 };
static char scratch[SCRATCH_SIZE] __attribute__((aligned(16)));
static wa_asyncify_data unwind_data;

static char *tasks_top(void) { return run_stack + stack_size; }

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
  size_t tasks = (c_stack + 15) & ~15u;
  char *stack = aligned_alloc(16, tasks + SCHEDULER_STACK);
  if (!stack) return false;
  free(run_stack);
  run_stack = stack;
  stack_size = (unsigned)tasks;
  asyncify_size = asyncify;
  limits[0] = (uintptr_t)(stack + tasks + SCHEDULER_STACK);
  limits[1] = (uintptr_t)stack;
  ASAN_POISON_MEMORY_REGION(run_stack, stack_size);
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
  s->entry = entry;
  s->arg = t;
  s->stack_used = 0;
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

/* What the host calls to start or resume a task (a rewind enters here
   again, with the same s). Asyncify ignores calls through pointers, so this
   one, and fiber_main's call of the coroutine, are instrumented by name
   (module.json's asyncifyAdd). */
EMSCRIPTEN_KEEPALIVE void wa_fiber_entry(wa_slab *s) { s->entry(s->arg); }

wa_fiber_how wa__fiber_enter(wa_slab *s) {
  uintptr_t here = emscripten_stack_get_current();
  if (here < (uintptr_t)tasks_top() || here > limits[0])
    return FIBER_MISPLACED; /* not in a pump: the stack pointer is elsewhere */
  ASAN_UNPOISON_MEMORY_REGION(run_stack, stack_size);
  uintptr_t sp = (uintptr_t)tasks_top();
  wa_asyncify_data *rewind = NULL;
  if (s->stack_used) { /* back where it was: its locals' addresses hold */
    memcpy(tasks_top() - s->stack_used, s->rewind.ptr, s->stack_used);
    sp = s->sp;
    rewind = &s->rewind;
  }
  wa_fiber_how how = wa_host_fiber_run(s, sp, rewind, here);
  /* The task suspended (wa__fiber_save keeps its part), ended, or its
     stack overflowed. The run stack is nobody's until a task enters. */
  ASAN_POISON_MEMORY_REGION(run_stack, stack_size);
  return how;
}

/* wa__fiber_save found no memory: the task goes on at once from where it
   unwound. Nothing ran since, so its frames are still on the run stack and
   its Asyncify bytes in the scratch, where a rewind reads them. */
wa_fiber_how wa__fiber_resume_unsaved(wa_slab *s) {
  uintptr_t here = emscripten_stack_get_current();
  ASAN_UNPOISON_MEMORY_REGION(run_stack, stack_size);
  s->rewind.ptr = unwind_data.ptr; /* a rewind pops from here down */
  s->rewind.end = unwind_data.ptr;
  wa_fiber_how how = wa_host_fiber_run(s, s->sp, &s->rewind, here);
  ASAN_POISON_MEMORY_REGION(run_stack, stack_size);
  return how;
}

/* The task unwinds into the scratch (see the top of this file). */
void wa__fiber_leave(wa_slab *s) {
  s->sp = emscripten_stack_get_current();
  unwind_data.ptr = scratch;
  unwind_data.end = (char *)UINTPTR_MAX; /* an unwind never traps: see below */
  wa_host_fiber_suspend(&unwind_data);
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
  size_t async_used = (size_t)(unwind_data.ptr - scratch);
  if (async_used > SCRATCH_SIZE) { /* memory past the scratch was overwritten */
    snprintf(why, len, "a suspension %zu bytes deeper than the %d-byte unwind buffer "
             "overwrote wasm memory; the module stops", async_used - SCRATCH_SIZE, SCRATCH_SIZE);
    wa_host_report(why, -1);
    abort();
  }
  size_t stack_used = (size_t)((uintptr_t)tasks_top() - s->sp);
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
    memcpy(s->save + async_used, (char *)s->sp, stack_used);
    s->stack_used = (unsigned)stack_used;
    s->rewind.ptr = s->save + async_used; /* a rewind pops from here down */
    s->rewind.end = s->save + async_used;
    ASAN_POISON_MEMORY_REGION(run_stack, stack_size); /* as wa__fiber_enter left it */
  }
  return error;
}

/* A pump ended by an overflow outside any task (post.js cleared the whole
   block's poison, stale from the frames the throw skipped): the tasks' part
   is nobody's again. */
void wa__fiber_recovered(void) { ASAN_POISON_MEMORY_REGION(run_stack, stack_size); }

unsigned wa__fiber_stack_size(void) { return stack_size; }
int wa__fiber_slabs(bool idle_only) { return idle_only ? slabs_free : slabs_total; }

/* For post.js: where a pump's stack begins (the block's top) and ends. */
EMSCRIPTEN_KEEPALIVE uintptr_t *wa_fiber_limits(void) { return limits; }
