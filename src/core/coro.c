/*
 * coro.c: tasks whose body is a C coroutine, run on a fiber of its own.
 *
 * A step swaps to the task's fiber until the coroutine suspends (sleep,
 * join) or returns; a suspension swaps back, and what the runtime throws
 * in at the next step comes out of the suspending call as its return code.
 * Its fiber (wa_slab: a context on the shared run stack, and the save
 * buffer fiber.c keeps its stack in while it is suspended) is taken at the
 * first step and given back when the task ends, so a task that never ran
 * holds none.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void step(wa_task *t, wa_error *exc);
static bool started(const wa_task *t) { return t->slab != NULL; }

static const wa_task_ops coro_ops = {.type = "Task", .step = step, .started = started};

wa_task *wa_task_spawn(wa_coro_fn fn, wa_args *args, const char *name) {
  if (!fn) {
    wa_args_free(args);
    wa_raise("TypeError", "wa_task_spawn: the coroutine is NULL");
    return NULL;
  }
  wa_task *t = wa__task_alloc(name, &coro_ops);
  if (!t) {
    wa_args_free(args);
    wa__nomem("a new task");
    return NULL;
  }
  t->fn = fn;
  t->args = args;
  WA_TRACE(wa__trace_task(TRACE_CREATED, t)); /* with fn: the event names it */
  wa__task_track(t);
  wa__ready_push(H_STEP, t, NULL);
  return t;
}

/* The coroutine returned rc: decide how the task ends (Task.__step's
   except clauses). Runs on the task's own fiber. */
static void finish_from_return(wa_task *t, int rc) {
  if (rc >= 0) {
    if (t->must_cancel) { /* cancelled itself, then returned: cancelled */
      t->must_cancel = false;
      wa__task_finish(t, TASK_CANCELLED, wa__cancelled_error(t->cancel_msg));
    } else {
      wa__task_finish(t, TASK_DONE, NULL);
    }
    return;
  }
  wa_error *e = t->err;
  t->err = NULL;
  if (!e) {
    char msg[160];
    snprintf(msg, sizeof msg,
             "coroutine of %s returned %d without setting an error", t->name, rc);
    e = wa__error_new("RuntimeError", msg);
  }
  wa__task_finish(t, wa__error_is_cancel(e) ? TASK_CANCELLED : TASK_FAILED, e);
}

/* The task's entry on its fiber: it returns when the coroutine has. Named
   in module.json's asyncifyAdd (it calls the coroutine through a pointer). */
static void fiber_main(void *arg) {
  wa_task *t = arg;
  finish_from_return(t, t->fn(t, t->args));
}

/* The task has ended: give back its fiber and the runtime's reference. */
static void retire(wa_task *t) {
  if (t->slab) wa__fiber_release(t->slab);
  t->slab = NULL;
  wa_task_release(t);
}

/* Why a task's turn ended with its state lost, or NULL when it did not. */
static const char *fiber_failure(wa_task *t, wa_fiber_how how, char *why, int len) {
  switch (how) {
  case FIBER_ENDED:
    return NULL;
  case FIBER_SUSPENDED:
    return wa__fiber_save(t->slab, why, len);
  case FIBER_C_OVERFLOW:
    snprintf(why, len, "C stack overflowed (stack: %u bytes; raise stackSize)",
             wa__fiber_stack_size());
    return "StackOverflowError";
  case FIBER_ENGINE_OVERFLOW:
    snprintf(why, len, "the JavaScript engine's call stack overflowed (recursion too deep)");
    return "StackOverflowError";
  case FIBER_MISPLACED:
    break;
  }
  snprintf(why, len, "a task step ran outside the loop's pump");
  return "RuntimeError";
}

/* A task that suspended on something it can stop waiting for, with no
   step queued (a bare yield queues one), whose stack found no memory to
   be kept in: the await fails with that MemoryError instead, at once, as
   any other call that finds no memory does. The primitive or future it
   awaited then sees the await fail and takes its waiter back; ending the
   task there would leave that waiter behind for ever. */
static bool can_fail_the_await(const wa_task *t, wa_fiber_how how, const char *error) {
  return how == FIBER_SUSPENDED && error && strcmp(error, "MemoryError") == 0 &&
         t->state == TASK_PENDING && t->waiting && t->steps_queued == 0;
}

/* Runs the task until it suspends or ends. */
static void run_on_fiber(wa_task *t) {
  char why[200];
  wa__current = t;
  wa_fiber_how how = wa__fiber_enter(t->slab);
  const char *error = fiber_failure(t, how, why, sizeof why);
  while (can_fail_the_await(t, how, error)) {
    wa__task_detach(t);
    t->resume_exc = wa__error_new("MemoryError", why);
    WA_TRACE(wa__trace(TRACE_STEP, t, 0, 1, NULL, NULL));
    how = wa__fiber_resume_unsaved(t->slab);
    error = fiber_failure(t, how, why, sizeof why);
  }
  wa__current = NULL;
  if (error && t->state == TASK_PENDING) {
    wa__task_detach(t); /* its state is lost: it can never resume */
    wa__task_finish(t, TASK_FAILED, wa__error_new(error, why));
  }
  if (t->state != TASK_PENDING) retire(t);
}

static void step(wa_task *t, wa_error *exc) {
  if (t->slab) {
    t->resume_exc = exc;
  } else if (!(t->slab = wa__fiber_acquire(t, fiber_main))) {
    wa__task_end_with(t, wa__error_new("MemoryError", "no memory for the task's stack"));
    return;
  }
  run_on_fiber(t);
}

int wa__task_suspend(wa_task *t) {
  WA_TRACE(wa__trace_task(TRACE_SUSPENDED, t));
  wa__fiber_leave(t->slab);
  /* Resumed by step(). */
  wa_error *exc = t->resume_exc;
  t->resume_exc = NULL;
  return exc ? wa__error_set(exc) : WA_OK;
}
