/*
 * internal.h: what the runtime's files share. Nothing here is public.
 *
 * The model is CPython's asyncio, translated:
 *   - loop.c     one FIFO ready queue of handles, run one iteration at a
 *                time; due timers join it behind what is already there.
 *   - timer.c    a min-heap of deadlines, ties broken by sequence number.
 *   - task.c     Task.__step / __wakeup: a task is resumed by a handle,
 *                runs on its fiber until it suspends or ends.
 *   - cancel.c   Task.cancel / cancelling / uncancel.
 *   - sleep.c    asyncio.sleep: a future embedded in the task.
 *   - fiber.c    C stacks and Asyncify buffers, pooled; overflow checks.
 */
#ifndef WA_INTERNAL_H
#define WA_INTERNAL_H

#include <emscripten/fiber.h>
#include <stddef.h>
#include <stdint.h>

#include "wasyncio.h"

/* ---- alloc.c ------------------------------------------------------------ */

/* Never NULL: out of memory for bookkeeping stops the runtime (alloc.c). */
void *wa__alloc(size_t size); /* zeroed */
void *wa__realloc(void *p, size_t size);
char *wa__strdup(const char *s);

/* ---- error.c ----------------------------------------------------------- */

struct wa_error {
  int refs;
  char *type;
  char *message;
};

wa_error *wa__error_new(const char *type, const char *message);
wa_error *wa__error_ref(wa_error *e);
void wa__error_unref(wa_error *e);
bool wa__error_is_cancel(const wa_error *e);
/* Puts e (a reference the caller gives up) into the current indicator and
   returns the code that goes with it. */
int wa__error_set(wa_error *e);
/* The current context's indicator: the running task's, or the host's. */
wa_error **wa__indicator(void);

/* ---- timer.c ------------------------------------------------------------ */

typedef enum { TIMER_SLEEP, TIMER_HOST } wa_timer_kind;

typedef struct wa_timer {
  double when;
  uint64_t seq;      /* insertion order: equal deadlines fire FIFO */
  int index;         /* position in the heap, -1 when not in it */
  wa_timer_kind kind;
  wa_task *task;     /* TIMER_SLEEP: the sleeper */
  unsigned gen;      /* TIMER_SLEEP: which of its sleeps */
  int host_id;       /* TIMER_HOST: the JS callback to call */
} wa_timer;

void wa__timer_start(wa_timer *t, double when);
void wa__timer_stop(wa_timer *t);
wa_timer *wa__timer_peek(void);
wa_timer *wa__timer_pop(void);
int wa__timer_count(void);

/* ---- loop.c ------------------------------------------------------------- */

typedef enum {
  H_STEP,    /* task: run its next step; aux: error to throw in, or NULL */
  H_TIMER,   /* aux: a due wa_timer */
  H_DONE_CB, /* task: the one that ended; aux: its wa_callback */
} wa_handle_kind;

void wa__ready_push(wa_handle_kind kind, wa_task *task, void *aux);
/* Set when an iteration called into JavaScript, so the host should run its
   microtasks before the next one. */
void wa__loop_note_host_call(void);
int wa__loop_ready_count(void);

/* ---- task.c ------------------------------------------------------------- */

typedef enum { TASK_PENDING, TASK_DONE, TASK_FAILED, TASK_CANCELLED } wa_state;
typedef enum { WAIT_NONE, WAIT_SLEEP, WAIT_TASK } wa_wait;
typedef enum { SLEEP_PENDING, SLEEP_DONE, SLEEP_CANCELLED } wa_sleep_state;

typedef enum { CB_C, CB_HOST, CB_WAKEUP } wa_callback_kind;

typedef struct wa_callback {
  wa_callback_kind kind;
  wa_done_fn fn;      /* CB_C */
  void *arg;          /* CB_C */
  int host_id;        /* CB_HOST */
  wa_task *waiter;    /* CB_WAKEUP: the task awaiting this one */
  struct wa_callback *next;
} wa_callback;

typedef struct wa_slab wa_slab;

struct wa_task {
  unsigned id;
  int refs;
  char *name;
  wa_coro_fn fn;
  wa_args *args;

  wa_state state;
  wa_value result;
  wa_error *outcome;   /* FAILED: the error; CANCELLED: the CancelledError */
  bool retrieved;      /* someone looked at the outcome */
  wa_error *err;       /* the error indicator while it runs */

  int num_cancels;     /* cancelling() */
  bool must_cancel;    /* a cancel to deliver at the next step */
  char *cancel_msg;

  wa_wait wait;        /* what it is suspended on (CPython's _fut_waiter) */
  wa_task *awaiting;   /* WAIT_TASK */
  wa_timer sleep_timer;
  wa_sleep_state sleep_state;
  unsigned sleep_gen;
  wa_error *resume_exc; /* thrown in at the next resume */

  wa_slab *slab;       /* NULL until its first step */
  wa_callback *callbacks, *callbacks_tail;
};

extern wa_task *wa__current;
extern int wa__tasks_alive;

void wa__task_step(wa_task *t, wa_error *exc);
void wa__task_run_callback(wa_task *t, wa_callback *cb);
/* Suspends the running task until a handle resumes it; returns what was
   thrown in (as a code, with the indicator set) or WA_OK. */
int wa__task_suspend(wa_task *t);
/* Registers wakeup of `waiter` when `t` ends. */
void wa__task_add_waiter(wa_task *t, wa_task *waiter);
/* Done callbacks that call into JavaScript, identified by host_id. */
void wa__task_add_host_callback(wa_task *t, int host_id);
int wa__task_remove_host_callback(wa_task *t, int host_id);
void wa__task_finish(wa_task *t, wa_state state, wa_error *outcome);
wa_error *wa__cancelled_error(const char *msg);
bool wa__task_abandon(const char *why);

/* ---- cancel.c ----------------------------------------------------------- */

/* After a task registered what it waits on: a cancel it requested of
   itself while running is passed to that waiter now. */
void wa__cancel_forward_pending(wa_task *t);

/* ---- sleep.c ------------------------------------------------------------ */

bool wa__sleep_cancel(wa_task *t, const char *msg);
void wa__sleep_fire(wa_timer *timer);

/* ---- fiber.c ------------------------------------------------------------ */

struct wa_slab {
  emscripten_fiber_t fiber;
  char *mem;           /* [asyncify buffer | C stack, growing down] */
  wa_slab *next_free;
};

void wa__fiber_configure(unsigned stack_size, unsigned asyncify_size);
wa_slab *wa__fiber_acquire(wa_task *t, void (*entry)(void *));
void wa__fiber_release(wa_slab *s);
/* Main context -> task, and back. */
void wa__fiber_enter(wa_slab *s);
void wa__fiber_leave(wa_slab *s);
/* Checks a slab that just swapped back; on overflow fills *why. */
bool wa__fiber_overflowed(wa_slab *s, char *why, int len);
unsigned wa__fiber_stack_size(void);
/* Slabs allocated so far, or only those idle in the pool. */
int wa__fiber_slabs(bool idle_only);

/* ---- registry.c --------------------------------------------------------- */

wa_coro_fn wa__registry_find(const char *name);

/* ---- host (host.js) ----------------------------------------------------- */

void wa_host_print(const char *text, int len);
void wa_host_callback(int host_id, wa_task *t);
void wa_host_report(const char *text, int len);

#endif /* WA_INTERNAL_H */
