/*
 * bindings.c: the exports the JavaScript layer (wasyncio.mjs) calls, beyond
 * the public functions it calls directly. None of them suspends: only
 * wa_loop_run enters fibers, and only from a host timer.
 */
#include <emscripten.h>
#include <emscripten/heap.h>
#include <stdlib.h>

#include "internal.h"

EMSCRIPTEN_KEEPALIVE void wa_js_init(int virtual_clock, unsigned stack_size,
                                     unsigned asyncify_size) {
  void wa_loop_init(int);
  wa_loop_init(virtual_clock);
  wa__fiber_configure(stack_size, asyncify_size);
}

/* NULL when no coroutine has that name (the JS layer checks first). */
EMSCRIPTEN_KEEPALIVE wa_task *wa_js_spawn(const char *coroutine, wa_args *args,
                                          const char *name) {
  wa_coro_fn fn = wa__registry_find(coroutine);
  if (!fn) {
    wa_args_free(args);
    return NULL;
  }
  return wa_task_spawn(fn, args, name);
}

EMSCRIPTEN_KEEPALIVE int wa_js_state(const wa_task *t) { return t->state; }
EMSCRIPTEN_KEEPALIVE int wa_js_result_kind(const wa_task *t) { return t->result.kind; }
EMSCRIPTEN_KEEPALIVE double wa_js_result_number(const wa_task *t) { return t->result.number; }
EMSCRIPTEN_KEEPALIVE const char *wa_js_result_string(const wa_task *t) { return t->result.string; }

EMSCRIPTEN_KEEPALIVE const char *wa_js_error_type(wa_task *t) {
  t->retrieved = true;
  return t->outcome ? t->outcome->type : NULL;
}

EMSCRIPTEN_KEEPALIVE const char *wa_js_error_message(const wa_task *t) {
  return t->outcome ? t->outcome->message : NULL;
}

EMSCRIPTEN_KEEPALIVE void wa_js_add_callback(wa_task *t, int host_id) {
  wa__task_add_host_callback(t, host_id);
}

EMSCRIPTEN_KEEPALIVE int wa_js_remove_callback(wa_task *t, int host_id) {
  return wa__task_remove_host_callback(t, host_id);
}

/* Calls the host back with host_id after ms of loop time (rt.sleep). */
EMSCRIPTEN_KEEPALIVE void wa_js_call_later(double ms, int host_id) {
  wa_timer *timer = wa__alloc(sizeof *timer);
  *timer = (wa_timer){.index = -1, .kind = TIMER_HOST, .host_id = host_id};
  wa__timer_start(timer, wa_time() + (ms > 0 ? ms : 0));
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
  default: return -1;
  }
}
