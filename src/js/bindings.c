/*
 * bindings.c: the exports the JavaScript layer (wasyncio.mjs) calls, beyond
 * the public functions it calls directly. None of them suspends: only
 * wa_loop_run enters fibers, and only from a host timer.
 */
#include <emscripten.h>
#include <math.h>
#include <emscripten/heap.h>
#include <stdlib.h>

#include "internal.h"

/* 0, or -1 when the run stack cannot be allocated. */
EMSCRIPTEN_KEEPALIVE int wa_js_init(int virtual_clock, unsigned stack_size,
                                    unsigned asyncify_size) {
  void wa_loop_init(int);
  wa_loop_init(virtual_clock);
  return wa__fiber_configure(stack_size, asyncify_size) ? 0 : -1;
}

/* NULL when no coroutine has that name (the JS layer checks first). Into
   group g when not NULL: NULL too when g refuses, with the reason in the
   current indicator. */
EMSCRIPTEN_KEEPALIVE wa_task *wa_js_spawn(const char *coroutine, wa_args *args,
                                          const char *name, wa_group *g) {
  wa_coro_fn fn = wa__registry_find(coroutine);
  if (!fn) {
    wa_args_free(args);
    return NULL;
  }
  return g ? wa_group_spawn(g, fn, args, name) : wa_task_spawn(fn, args, name);
}

EMSCRIPTEN_KEEPALIVE int wa_js_state(const wa_task *t) { return t->state; }
EMSCRIPTEN_KEEPALIVE int wa_js_result_kind(const wa_task *t) { return t->result.kind; }
EMSCRIPTEN_KEEPALIVE double wa_js_result_number(const wa_task *t) { return t->result.number; }
EMSCRIPTEN_KEEPALIVE const char *wa_js_result_string(const wa_task *t) { return t->result.string; }
EMSCRIPTEN_KEEPALIVE const void *wa_js_result_bytes(const wa_task *t) { return t->result.bytes; }
EMSCRIPTEN_KEEPALIVE size_t wa_js_result_length(const wa_task *t) { return t->result.length; }

/* The error a failed or cancelled task ended with (borrowed), or NULL. */
EMSCRIPTEN_KEEPALIVE wa_error *wa_js_task_outcome(wa_task *t) {
  t->retrieved = true;
  return t->outcome;
}

/* ---- errors: JS reads C errors, and makes C errors of its own ---------- */

EMSCRIPTEN_KEEPALIVE const char *wa_js_err_type(const wa_error *e) { return e->type; }
EMSCRIPTEN_KEEPALIVE const char *wa_js_err_message(const wa_error *e) { return e->message; }
EMSCRIPTEN_KEEPALIVE int wa_js_err_count(const wa_error *e) { return e->children ? e->count : -1; }
EMSCRIPTEN_KEEPALIVE wa_error *wa_js_err_child(const wa_error *e, int i) { return e->children[i]; }
EMSCRIPTEN_KEEPALIVE int wa_js_err_host(const wa_error *e) { return e->host_id; }
/* The preallocated errors (error.c) stand for no JS error. */
EMSCRIPTEN_KEEPALIVE void wa_js_err_set_host(wa_error *e, int host_id) {
  if (e->refs >= 0) e->host_id = host_id;
}
EMSCRIPTEN_KEEPALIVE void wa_js_err_unref(wa_error *e) { wa__error_unref(e); }

/* A new error standing for a JS one (host_id: the JS Error it keeps). */
EMSCRIPTEN_KEEPALIVE wa_error *wa_js_err_new(const char *type, const char *message, int host_id) {
  wa_error *e = wa__error_new(type, message);
  wa_js_err_set_host(e, host_id);
  return e;
}

/* The MemoryError for when JS cannot even make one. */
EMSCRIPTEN_KEEPALIVE wa_error *wa_js_err_nomem(void) { return wa__error_nomem(); }

/* A new group of n errors (references given up). */
EMSCRIPTEN_KEEPALIVE wa_error *wa_js_err_group(const char *message, wa_error **errors, int n,
                                               int host_id) {
  wa_error *g = wa__error_group(message, errors, n);
  for (int i = 0; i < n; i++) wa__error_unref(errors[i]);
  wa_js_err_set_host(g, host_id);
  return g;
}

/* Puts e (a reference given up) in the current indicator; the code. */
EMSCRIPTEN_KEEPALIVE int wa_js_err_raise(wa_error *e) { return wa__error_set(e); }

/* ---- groups, gather ------------------------------------------------------ */

/* Checks g takes a new child now (before JS makes one); negative if not,
   with the reason in the indicator. */
EMSCRIPTEN_KEEPALIVE int wa_js_group_check(wa_group *g) { return wa__group_adopt(g, NULL); }
EMSCRIPTEN_KEEPALIVE int wa_js_group_adopt(wa_group *g, wa_task *t) { return wa__group_adopt(g, t); }
EMSCRIPTEN_KEEPALIVE int wa_js_group_exit_begin(wa_group *g, wa_error *e) {
  return wa__group_exit_begin(g, e);
}
EMSCRIPTEN_KEEPALIVE wa_task *wa_js_group_exit_next(wa_group *g) { return wa__group_exit_next(g); }
EMSCRIPTEN_KEEPALIVE void wa_js_group_exit_awaited(wa_group *g, wa_error *e) {
  wa__group_exit_awaited(g, e);
}
EMSCRIPTEN_KEEPALIVE wa_error *wa_js_group_exit_end(wa_group *g) { return wa__group_exit_end(g); }

/* Item i's error in a finished gather's results (borrowed), or NULL. */
EMSCRIPTEN_KEEPALIVE const wa_error *wa_js_gather_error(const wa_task *g, int i) {
  const wa_error *e = NULL;
  wa_gather_result(g, i, NULL, &e);
  return e;
}

/* ---- wait, as_completed ---------------------------------------------------- */

/* rt.wait's future (a new reference), or NULL with the error raised. */
EMSCRIPTEN_KEEPALIVE wa_task *wa_js_wait_new(wa_task **tasks, int n, int return_when, double timeout_ms) {
  wa_task *f;
  return wa__wait_new(tasks, n, return_when, timeout_ms, &f) < 0 ? NULL : f;
}
EMSCRIPTEN_KEEPALIVE void wa_js_wait_end(wa_task *f) { wa__wait_end(f); }

EMSCRIPTEN_KEEPALIVE int wa_js_as_completed_claim(wa_as_completed *it) { return wa__as_completed_claim(it); }
EMSCRIPTEN_KEEPALIVE int wa_js_as_completed_queued(const wa_as_completed *it) {
  return wa__as_completed_queued(it);
}
EMSCRIPTEN_KEEPALIVE wa_task *wa_js_as_completed_pop(wa_as_completed *it) { return wa__as_completed_pop(it); }
/* A new reference, or NULL with a MemoryError raised. */
EMSCRIPTEN_KEEPALIVE wa_task *wa_js_as_completed_getter(wa_as_completed *it) {
  return wa__as_completed_getter(it);
}

/* -1 when out of memory. */
EMSCRIPTEN_KEEPALIVE int wa_js_add_callback(wa_task *t, int host_id) {
  return wa__task_add_host_callback(t, host_id);
}

EMSCRIPTEN_KEEPALIVE int wa_js_remove_callback(wa_task *t, int host_id) {
  return wa__task_remove_host_callback(t, host_id);
}

/* Calls the host back with host_id (a timer's or the shutdown's). */
static void call_host(void *host_id) {
  wa__loop_note_host_call();
  wa_host_callback((int)(intptr_t)host_id, NULL);
}

/* Calls the host back with host_id after ms of loop time (rt.sleep).
   -1 when out of memory. */
EMSCRIPTEN_KEEPALIVE int wa_js_call_later(double ms, int host_id) {
  wa_timer *timer = wa__timer_new(call_host, (void *)(intptr_t)host_id);
  if (!timer) return -1;
  wa__timer_start(timer, wa_time() + (ms > 0 ? ms : 0));
  return 0;
}

/* Counters for rt.stats(), in the order the JS layer names them. */
EMSCRIPTEN_KEEPALIVE double wa_js_stat(int which) {
  switch (which) {
  case 0: return wa__tasks_alive;
  case 1: return wa__fiber_slabs(false);
  case 2: return wa__fiber_slabs(true);
  case 3: return wa__loop_ready_count();
  case 4: return wa__timer_count();
  case 5: return emscripten_get_heap_size();
  case 6: return wa__tasks_pending_count;
  case 7: return wa__timer_peek() ? wa__timer_peek()->when : INFINITY;
  default: return -1;
  }
}

/* asyncio.run's _cancel_all_tasks: cancels every pending task, in creation
   order, and gives a gather of them (return_exceptions) to wait on, or
   NULL when there are none (or no memory: MemoryError raised). */
static wa_task *cancel_all(void) {
  int n;
  wa_task **all = wa__tasks_pending(&n);
  if (!n) return NULL;
  if (!all) return wa__nomem("the shutdown"), NULL;
  for (int i = 0; i < n; i++) wa_task_cancel(all[i], NULL); /* none ends inline */
  wa_task *g = wa_gather(all, n, true);
  free(all);
  return g;
}

static void shut_down(void *host_id) {
  wa_task *all = cancel_all();
  wa__loop_note_host_call();
  wa_host_callback((int)(intptr_t)host_id, all);
}

/* asyncio.run's end: main's done callback stops the loop, which finishes
   that iteration; then _cancel_all_tasks. Calls the host back with host_id
   and the gather to wait on (or NULL: none, or no memory, MemoryError in
   the host's indicator) once the iteration under way has ended. */
EMSCRIPTEN_KEEPALIVE void wa_js_shutdown(int host_id) {
  wa__loop_at_iteration_end(shut_down, (void *)(intptr_t)host_id, 0);
}

/* The rest of asyncio.run once the cancelled tasks have ended: that
   iteration ends (the gather's done callback stopped the loop), then
   shutdown_asyncgens and shutdown_default_executor each take two more
   (their task's step, its done callback), in which tasks made by the
   cleanup still run; then the host is called back with host_id. */
EMSCRIPTEN_KEEPALIVE void wa_js_shutdown_finish(int host_id) {
  wa__loop_at_iteration_end(call_host, (void *)(intptr_t)host_id, 4);
}

/* The error item i of a finished gather failed with (not a cancellation),
   marked as seen; NULL otherwise. */
EMSCRIPTEN_KEEPALIVE wa_error *wa_js_gather_failure(const wa_task *g, int i) {
  return wa__task_error(wa_gather_task(g, i));
}

/* An array of n task pointers for wa_gather, filled one by one; NULL when
   out of memory. */
EMSCRIPTEN_KEEPALIVE wa_task **wa_js_ptrs_new(int n) { return wa__alloc((n ? n : 1) * sizeof(wa_task *)); }
EMSCRIPTEN_KEEPALIVE void wa_js_ptrs_set(wa_task **a, int i, wa_task *t) { a[i] = t; }
