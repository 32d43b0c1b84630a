/*
 * loop.c: the scheduler. One FIFO ready queue of handles and one clock.
 *
 * The host (JavaScript) drives it: a host timer calls wa_loop_run, which
 * runs loop iterations and leaves the delay until the next one in
 * wa_loop_next_delay(); the host arms one timer for that delay. An
 * iteration is CPython's _run_once: move due timers to the back of the
 * ready queue, then run exactly the handles queued so far; what they queue
 * runs in the next iteration. An iteration may span several calls from the
 * host, which runs its promise reactions between them.
 */
#include <emscripten.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

typedef struct {
  wa_handle_kind kind;
  wa_task *task;
  void *aux;
} ready_handle;

static struct {
  ready_handle *buf;
  unsigned head, count, cap; /* ring buffer; cap is a power of two */
  unsigned reserved;         /* handles that may be queued at once */
} ready;

static bool virtual_clock;
static double clock_now;    /* virtual: the loop's time */
static double clock_origin; /* real: host time when the loop started */
static bool host_called;
static bool running;
static double next_delay = -1;
static unsigned iteration_left; /* handles of the current iteration not yet run */
double wa__iteration_time;      /* when the current (or last) iteration began */
unsigned wa__slow_work;
static wa_call_fn at_end_fn;    /* wa__loop_at_iteration_end's */
static void *at_end_arg;
static int at_end_extra;        /* iterations still to run before it */

/* The task a step or a sleep timer belongs to: queued, it stays alive
   (it may end meanwhile, from outside, and be released by everyone else)
   and keeps its room. Done callbacks hold their own reference. */
static wa_task *handle_task(wa_handle_kind kind, wa_task *task, void *aux) {
  if (kind == H_STEP) return task;
  if (kind == H_TIMER) return ((wa_timer *)aux)->owner;
  return NULL;
}

/* Makes the ring hold at least `need` handles. */
static int ready_grow(unsigned need) {
  if (need <= ready.cap) return WA_OK;
  unsigned cap = ready.cap ? ready.cap : 256;
  while (cap < need) cap *= 2;
  ready_handle *buf = wa__alloc(cap * sizeof *buf);
  if (!buf) return WA_ERROR;
  for (unsigned i = 0; i < ready.count; i++)
    buf[i] = ready.buf[(ready.head + i) & (ready.cap - 1)];
  free(ready.buf);
  ready.buf = buf;
  ready.head = 0;
  ready.cap = cap;
  return WA_OK;
}

/* Whatever can be queued or timed (a task's step and sleep, a done
   callback, a call handle) reserves its room when it is made, where
   failing is a MemoryError for its maker; so pushing and starting a timer
   never need memory, and cancelling, waking and ending tasks work at the
   memory limit. */
int wa__room_reserve(unsigned handles, int timers) {
  if (ready_grow(ready.reserved + handles) < 0) return WA_ERROR;
  if (timers && wa__timer_reserve(timers) < 0) return WA_ERROR;
  ready.reserved += handles; /* the grown ring is kept: harmless */
  return WA_OK;
}

void wa__room_release(unsigned handles, int timers) {
  ready.reserved -= handles;
  if (timers) wa__timer_unreserve(timers);
}

void wa__ready_push(wa_handle_kind kind, wa_task *task, void *aux) {
  if (ready.count == ready.cap && ready_grow(ready.cap + 1) < 0) {
    /* Cannot happen while every pusher reserved its room. */
    wa_host_report("ready queue full and no memory to grow it: a handle was lost", -1);
    return;
  }
  wa_task *owner = handle_task(kind, task, aux);
  if (owner) wa__task_queued(owner);
  if (kind == H_STEP) task->steps_queued++;
  ready.buf[(ready.head + ready.count++) & (ready.cap - 1)] =
      (ready_handle){kind, task, aux};
}

static ready_handle ready_pop(void) {
  ready_handle h = ready.buf[ready.head];
  ready.head = (ready.head + 1) & (ready.cap - 1);
  ready.count--;
  return h;
}

void wa__loop_note_host_call(void) { host_called = true; }

/* A handle for the heap or the ready queue, with its room in both
   reserved; NULL when out of memory. */
wa_timer *wa__timer_new(wa_call_fn fn, void *arg) {
  wa_timer *h = wa__alloc(sizeof *h);
  if (!h) return NULL;
  if (wa__room_reserve(1, 1) < 0) {
    free(h);
    return NULL;
  }
  *h = (wa_timer){.index = -1, .fn = fn, .arg = arg, .loop_owned = true};
  return h;
}

static void timer_free(wa_timer *h) {
  wa__room_release(1, 1);
  free(h);
}

wa_timer *wa__call_soon(wa_call_fn fn, void *arg) {
  wa_timer *h = wa__timer_new(fn, arg);
  if (h) wa__ready_push(H_TIMER, NULL, h);
  return h;
}

wa_timer *wa__call_at(double when, wa_call_fn fn, void *arg) {
  wa_timer *h = wa__timer_new(fn, arg);
  if (h) wa__timer_start(h, when);
  return h;
}

/* In the heap: drop it now. Already queued: skip it when its turn comes,
   like CPython's cancelled handles. */
void wa__call_cancel(wa_timer *h) {
  if (h->index >= 0) {
    wa__timer_stop(h);
    timer_free(h);
  } else {
    h->cancelled = true;
  }
}

/* ---- the user's handles: loop.call_soon / call_later / call_at ---------- */

/* A held handle: the user's until wa_handle_cancel or wa_handle_release. */
static wa_handle *hold(wa_timer *h) {
  if (!h) {
    wa__nomem("a handle");
    return NULL;
  }
  h->held = true;
  return (wa_handle *)h;
}

static bool check_fn(wa_call_fn fn, double when, const char *what) {
  if (!fn) return wa_raise("TypeError", "%s: the callback is NULL", what), false;
  if (isnan(when)) return wa_raise("ValueError", "%s: the time is NaN", what), false;
  return true;
}

wa_handle *wa_call_soon(wa_call_fn fn, void *arg) {
  return check_fn(fn, 0, "wa_call_soon") ? hold(wa__call_soon(fn, arg)) : NULL;
}

wa_handle *wa_call_at(double when, wa_call_fn fn, void *arg) {
  return check_fn(fn, when, "wa_call_at") ? hold(wa__call_at(when, fn, arg)) : NULL;
}

wa_handle *wa_call_later(double ms, wa_call_fn fn, void *arg) {
  return check_fn(fn, ms, "wa_call_later") ? hold(wa__call_at(wa_time() + fmax(ms, 0), fn, arg)) : NULL;
}

void wa_handle_release(wa_handle *handle) {
  wa_timer *h = (wa_timer *)handle;
  if (!h) return;
  if (h->ran)
    timer_free(h);
  else
    h->held = false; /* the loop frees it after it runs */
}

void wa_handle_cancel(wa_handle *handle) {
  wa_timer *h = (wa_timer *)handle;
  if (!h) return;
  if (h->ran) {
    timer_free(h);
    return;
  }
  h->held = false;
  wa__call_cancel(h);
}

double wa_time(void) {
  return virtual_clock ? clock_now : emscripten_get_now() - clock_origin;
}

static void run_handle(ready_handle h) {
  wa_task *owner = handle_task(h.kind, h.task, h.aux);
  switch (h.kind) {
  case H_STEP:
    h.task->steps_queued--;
    wa__task_step(h.task, h.aux);
    break;
  case H_TIMER: {
    wa_timer *t = h.aux;
    if (!t->cancelled) t->fn(t->arg);
    if (t->loop_owned) {
      if (t->held)
        t->ran = true; /* the user frees it (wa_handle_release) */
      else
        timer_free(t);
    }
    break;
  }
  case H_DONE_CB:
    wa__task_run_callback(h.task, h.aux);
    break;
  }
  if (owner) wa__task_unqueued(owner);
}

/* Starts an iteration at host time host_now (a reading the caller just
   made; ignored on the virtual clock): due timers join the ready queue, and
   the handles queued now are the ones this iteration runs. */
static void begin_iteration(double host_now) {
  double now = wa__iteration_time = virtual_clock ? clock_now : host_now - clock_origin;
  for (wa_timer *t; (t = wa__timer_peek()) && t->when <= now;)
    wa__ready_push(H_TIMER, NULL, wa__timer_pop());
  iteration_left = ready.count;
}

/* The next timer that can fire, or NULL. A deadline of +infinity (a sleep
   of Infinity, or a finite one past the largest double) never comes: such
   timers sort last and are never due, so time never jumps to them. */
static wa_timer *next_timer(void) {
  wa_timer *t = wa__timer_peek();
  return t && t->when < INFINITY ? t : NULL;
}

/* May the loop run another iteration now (host time host_now)? In virtual
   time, waiting for the next timer is jumping to it. */
static bool can_iterate(double host_now) {
  if (ready.count) return true;
  wa_timer *t = next_timer();
  if (!t) return false;
  if (!virtual_clock) return t->when <= host_now - clock_origin;
  if (t->when > clock_now) clock_now = t->when;
  return true;
}

static double compute_delay(void) {
  if (ready.count) return 0;
  wa_timer *t = next_timer();
  if (!t) return -1;
  return virtual_clock ? 0 : fmax(0, t->when - wa_time());
}

/* Runs handles for up to budget_ms of real time. It stops right after a
   handle that called into JavaScript, even in mid-iteration: the promise
   reactions it caused (a JS task's code after its await) must run before
   the next handle, as the coroutine's code would in CPython. The next call
   finishes that iteration first. Not re-entrant: a host callback that
   calls it again gets -2. */
EMSCRIPTEN_KEEPALIVE double wa_loop_run(double budget_ms) {
  if (running) return next_delay = -2;
  running = true;
  host_called = false;
  /* The host clock is a call into JS (a fifth of a switch when read twice
     an iteration): one reading serves the budget and the next iteration's
     start, with nothing run between the two. */
  double start = emscripten_get_now(), host_now = start;
  for (unsigned n = 1;; n++) {
    if (!iteration_left) {
      if (at_end_fn && at_end_extra > 0) {
        /* Whether or not anything is ready, and never moving the
           virtual clock: CPython's own shutdown tasks fill these. */
        at_end_extra--;
        begin_iteration(host_now);
        continue;
      }
      if (at_end_fn) {
        wa_call_fn fn = at_end_fn;
        at_end_fn = NULL;
        fn(at_end_arg);
        if (host_called) break;
        host_now = emscripten_get_now();
      }
      if (!can_iterate(host_now)) break;
      begin_iteration(host_now);
      if (!iteration_left) break; /* cannot happen: can_iterate said so */
    }
    iteration_left--;
    run_handle(ready_pop());
    if (host_called) break;
    /* Look at the clock once an iteration, every 64 handles of a long one,
       or after 8 slow ones. A task's first step on a fresh stack can take
       0.3 ms (the memory is faulted in), so 64 of those made a 35 ms pump
       of an 8 ms budget; looking every 8 handles always cost 4 % of a
       switch. */
    if (!iteration_left || n % 64 == 0 || wa__slow_work >= 8) {
      wa__slow_work = 0;
      host_now = emscripten_get_now();
      if (host_now - start >= budget_ms) break;
    }
  }
  running = false;
  return next_delay = compute_delay();
}

/* loop.stop(): run_forever finishes the iteration under way, then stops.
   Here fn runs then (or before the next iteration, when none is under
   way), after `extra` more iterations; the host must pump the loop. */
void wa__loop_at_iteration_end(wa_call_fn fn, void *arg, int extra) {
  at_end_fn = fn;
  at_end_arg = arg;
  at_end_extra = extra;
}

/* wa_loop_run's return value, for a host whose call was interrupted. */
EMSCRIPTEN_KEEPALIVE double wa_loop_next_delay(void) { return next_delay; }

EMSCRIPTEN_KEEPALIVE void wa_loop_init(int use_virtual_clock) {
  virtual_clock = use_virtual_clock;
  clock_now = 0;
  clock_origin = emscripten_get_now();
}

int wa__loop_ready_count(void) { return ready.count; }

bool wa__clock_spend(double ms) {
  if (!virtual_clock) return false;
  if (ms > 0 && clock_now + ms < INFINITY) clock_now += ms;
  return true;
}

/* The C stack or the engine's overflowed outside any task (a task's own
   overflow fails just that task: coro.c), in a done callback or a JS call
   the loop made; the host threw out of the pump (post.js). The
   interrupted iteration ends here; its remaining handles run in the next
   one. */
EMSCRIPTEN_KEEPALIVE void wa_loop_recover(int engine_stack) {
  char why[160], text[300];
  if (engine_stack)
    snprintf(why, sizeof why, "the JavaScript engine's call stack overflowed (recursion too deep)");
  else
    snprintf(why, sizeof why, "C stack overflowed (stack: %u bytes; raise stackSize)",
             wa__fiber_stack_size());
  int n = snprintf(text, sizeof text, "%s outside any task (in a done callback); "
                   "the rest of that loop iteration runs in the next one", why);
  wa__current = NULL;
  wa__fiber_recovered();
  wa_host_report(text, n);
  running = false;
  next_delay = compute_delay();
}
