/*
 * jstask.c: tasks whose body is a JavaScript async function.
 *
 * A JS task is a wa_task like any other: groups, gather, shield and cancel
 * treat it the same. It has no fiber. Its "steps" are calls into the host:
 * the first starts the function; each later one settles the one runtime
 * await the function is suspended on (a task, gather, shield or sleep
 * future, registered with wa_js_task_await), with its error if it failed.
 * A cancel is forwarded to that await, as for a C task; one that arrives
 * while the function runs (or awaits something the runtime does not know)
 * waits in must_cancel for its next runtime await. The host settles the
 * task when the function's promise settles.
 *
 * While JavaScript calls into the runtime on behalf of a JS task (to enter
 * a group or a timeout), that task is made the current one.
 */
#include <emscripten.h>
#include <stdlib.h>

#include "internal.h"

void wa_host_task_step(int host_id, wa_error *exc);
void wa_host_task_cancel(int host_id);
void wa_host_task_drop(int host_id);

/* From wa__task_step, after a pending cancel became exc: start the
   function, or settle its await with exc. */
static void step(wa_task *t, wa_error *exc) {
  t->started = true;
  wa__loop_note_host_call();
  wa_task *outer = wa__js_stepping; /* a step runs JS, which may step C */
  wa__js_stepping = t;
  wa_host_task_step(t->host_id, exc);
  wa__js_stepping = outer;
  wa__error_unref(exc);
}

/* A JS function may return while one of its awaits is pending, or await
   after it returned: such an await still settles, when what it awaits
   does, like any promise. */
static void late_step(wa_task *t, wa_error *exc) {
  if (!t->waiting) {
    wa__error_unref(exc);
    return;
  }
  wa__task_detach(t);
  step(t, exc);
}

static bool started(const wa_task *t) { return t->started; }

/* It ends before its function was called: the host forgets the function. */
static void dropped(wa_task *t) {
  wa__loop_note_host_call();
  wa_host_task_drop(t->host_id);
}

/* A cancel was requested: the host aborts the task's AbortSignal. */
static void cancel_requested(wa_task *t) {
  wa__loop_note_host_call();
  wa_host_task_cancel(t->host_id);
}

static const wa_task_ops host_ops = {
    .type = "Task", .step = step, .late_step = late_step, .started = started,
    .dropped = dropped, .cancel_requested = cancel_requested};

/* A bare yield (sleep(0), or awaiting itself): nothing to cancel. */
static const wa_waiter_ops yield_waiter = {.what = "yield"};

EMSCRIPTEN_KEEPALIVE wa_task *wa_js_task_new(const char *name, int host_id) {
  wa_task *t = wa__task_alloc(name, &host_ops);
  if (!t) return NULL;
  t->host_id = host_id;
  WA_TRACE(wa__trace_task(TRACE_CREATED, t));
  wa__task_track(t);
  wa__ready_push(H_STEP, t, NULL);
  return t;
}

/* The function awaits x. Returns 1 when it must wait (the host is stepped
   when x ends, or at once with a CancelledError when a cancel is pending),
   0 when x is already done (no suspension, as in CPython), -1 when the
   task already waits on something, -2 when out of memory. */
EMSCRIPTEN_KEEPALIVE int wa_js_task_await(wa_task *t, wa_task *x) {
  if (t->waiting) return -1;
  if (x == t) { /* as Task.__step: the error is thrown in at the next step */
    if (wa__task_claim_room(t) < 0) return -2;
    t->waiting = &yield_waiter;
    wa__ready_push(H_STEP, t, wa__self_await_error(t));
    WA_TRACE(wa__trace_task(TRACE_SUSPENDED, t));
    return 1;
  }
  if (x->state != TASK_PENDING) return 0;
  if (wa__task_wait_on(t, x) < 0) {
    wa_error_clear(); /* raised in whatever context is current: JS reports it */
    return -2;
  }
  WA_TRACE(wa__trace_task(TRACE_SUSPENDED, t));
  return 1;
}

/* sleep(0) for a JS task: a bare yield, stepped again next iteration (a
   cancel meanwhile is thrown in then). -1 when it already waits, -2 when
   out of memory (an ended task took back its room). */
EMSCRIPTEN_KEEPALIVE int wa_js_task_yield(wa_task *t) {
  if (t->waiting) return -1;
  if (wa__task_claim_room(t) < 0) return -2;
  t->waiting = &yield_waiter;
  wa__ready_push(H_STEP, t, NULL);
  WA_TRACE(wa__trace_task(TRACE_SUSPENDED, t));
  return 1;
}

/* A JS task's function settled. */
static void finish_host_task(wa_task *t, wa_error *err, wa_value v) {
  if (t->state != TASK_PENDING) {
    wa__error_unref(err);
    return;
  }
  if (!err) {
    if (!wa__task_set_value(t, v)) err = wa__error_nomem();
    else if (t->must_cancel) /* cancelled itself, then returned (C5) */
      err = wa__cancelled_error(t->cancel_msg);
  }
  t->must_cancel = false;
  wa__task_finish(t, !err ? TASK_DONE : wa__error_is_cancel(err) ? TASK_CANCELLED : TASK_FAILED, err);
  wa_task_release(t);
}

/* A value as the host passes one: kind a wa_kind, text the string or
   JSON, bytes and length for WA_BYTES (all copied by whoever keeps it). */
static wa_value host_value(int kind, double number, const char *text, const void *bytes, size_t length) {
  return (wa_value){.kind = (wa_kind)kind, .number = number, .string = text, .bytes = bytes, .length = length};
}

/* The host ends a JS task (its function's promise settled) or a future it
   made (wa_js_future_new, a host call's): with err (a reference given up),
   or else with a value (host_value's). A future already ended (a host call
   cancelled meanwhile) stays as it is. */
EMSCRIPTEN_KEEPALIVE void wa_js_settle(wa_task *t, wa_error *err, int kind, double number,
                                       const char *text, const void *bytes, size_t length) {
  wa_value v = host_value(kind, number, text, bytes, length);
  if (t->ops == &host_ops)
    finish_host_task(t, err, v);
  else if (err)
    wa__future_set_error(t, err);
  else
    wa__future_set_result(t, v);
}

/* ---- futures for JavaScript ---------------------------------------------- */

/* A future the host ends, e.g. standing for a promise in gather. */
EMSCRIPTEN_KEEPALIVE wa_task *wa_js_future_new(const char *name) {
  return wa__future_new(name, NULL, NULL);
}

/* rt.createFuture(): the user's future (wa_future_new); NULL when out of
   memory. */
EMSCRIPTEN_KEEPALIVE wa_task *wa_js_user_future_new(void) { return wa_future_new(NULL); }

/* Future.setResult / setException: ends f with err (a reference given up)
   or with a value as wa_js_settle takes it. 0, or negative with the error
   raised. */
EMSCRIPTEN_KEEPALIVE int wa_js_user_future_settle(wa_task *f, wa_error *err, int kind, double number,
                                                  const char *text, const void *bytes, size_t length) {
  if (err) return wa_future_set_exception(f, err);
  wa_value v = host_value(kind, number, text, bytes, length);
  return wa_future_set_result(f, &v);
}

/* asyncio.sleep for JS tasks: a future a timer ends. */
static void sleep_done(void *arg) {
  wa_task *f = arg;
  f->data = NULL; /* the loop frees the handle */
  wa__future_set_result(f, (wa_value){.kind = WA_NONE});
  wa_task_release(f);
}

static bool sleep_cancel(wa_task *f, const char *msg) {
  if (f->data) {
    wa__call_cancel(f->data);
    f->data = NULL;
    wa_task_release(f);
  }
  return wa__future_cancel(f, msg);
}

static const wa_task_ops sleep_ops = {.type = "Future", .future = true, .cancel = sleep_cancel};

/* NULL when out of memory. */
EMSCRIPTEN_KEEPALIVE wa_task *wa_js_sleep_future(double ms) {
  wa_task *f = wa__future_new("sleep", &sleep_ops, NULL);
  if (!f) return NULL;
  f->data = ms > 0 ? wa__call_at(wa_time() + ms, sleep_done, f) : wa__call_soon(sleep_done, f);
  if (!f->data) { /* ended, so that it can be freed */
    wa__future_discard(f);
    return NULL;
  }
  wa_task_retain(f); /* for the timer */
  return f;
}

/* ---- running as a JS task -------------------------------------------------- */

/* Calls made for a JS task run with it as the current task, so its errors
   land in its indicator and groups and timeouts bind to it; t NULL: the
   host's indicator. Enter returns the task to give back to leave: JS may
   call in from a print or a done callback, inside another task's step. */
EMSCRIPTEN_KEEPALIVE wa_task *wa_js_task_enter(wa_task *t) {
  wa_task *saved = wa__current;
  wa__current = t;
  wa_error_clear(); /* nothing stale is blamed on these calls */
  return saved;
}

EMSCRIPTEN_KEEPALIVE wa_error *wa_js_task_leave(wa_task *saved) {
  wa_error *e = wa__error_take();
  wa__current = saved;
  return e; /* the error the calls raised, or NULL */
}
