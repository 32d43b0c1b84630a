/*
 * internal.h: what the runtime's files share. Nothing here is public.
 *
 * The model is CPython's asyncio, translated:
 *   - core/loop.c     one FIFO ready queue of handles, run one iteration at
 *                     a time; due timers join it behind what is there.
 *   - core/timer.c    a min-heap of deadlines, ties broken by sequence.
 *   - core/task.c     Task.__step / __wakeup: a task is resumed by a
 *                     handle and runs its body through its wa_task_ops.
 *   - core/cancel.c   Task.cancel / cancelling / uncancel, through the
 *                     wa_waiter_ops of what the task awaits.
 *   - core/coro.c     a C coroutine as a task's body, on its fiber.
 *   - core/sleep.c    asyncio.sleep: a future embedded in the task.
 *   - core/future.c   asyncio.Future: a task with no body, ended by code.
 *   - core/fiber.c    C stacks and Asyncify buffers, pooled; overflows.
 *   - structured/     TaskGroup, gather, shield, timeout and wait_for,
 *                     wait and as_completed.
 *   - js/jstask.c     a JavaScript function as a task's body.
 *   - js/bindings.c   the calls the JS layer makes.
 *   - js/hostcall.c   wa_host_call: a future the JS layer ends.
 * A new kind of task is a wa_task_ops; a new awaitable (sync/, later) a
 * wa_waiter_ops: the core names neither.
 */
#ifndef WA_INTERNAL_H
#define WA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "wasyncio.h"

/* ---- alloc.c ------------------------------------------------------------ */

/* NULL when out of memory: every caller checks (alloc.c). */
void *wa__alloc(size_t size); /* zeroed */
void *wa__realloc(void *p, size_t size); /* NULL: p is left as it was */
char *wa__strdup(const char *s);
/* Raises MemoryError ("no memory for <what>") and returns its code. */
int wa__nomem(const char *what);
#ifdef WA_TEST_HOOKS
/* Test modules only: the next n allocations above work, the later ones
   fail (n = -1: no limit). */
void wa__alloc_limit(long n);
#endif

/* ---- objects (args.c) ---------------------------------------------------- */

/*
 * Something reference-counted that is neither a task nor an error: the
 * synchronization primitives (src/sync/). Its first field is a wa_object,
 * so args can hold one, and the host can keep one, without knowing what
 * it is.
 */
typedef struct wa_object wa_object;
typedef struct {
  const char *name;               /* "Lock", "Queue", ...: in messages */
  void (*destroy)(wa_object *o);  /* its last reference went */
} wa_object_kind;
struct wa_object {
  const wa_object_kind *kind;
  int refs;
};
void wa__object_retain(wa_object *o);
void wa__object_release(wa_object *o); /* NULL: nothing */
/* Holds a reference to o under key; o's kind is checked when it is read. */
int wa__args_set_object(wa_args *a, const char *key, wa_object *o);
/* The object under key when it is of that kind (borrowed), else NULL. */
wa_object *wa__arg_object(const wa_args *a, const char *key, const wa_object_kind *kind);

/* ---- args.c ------------------------------------------------------------ */

int wa__args_count(const wa_args *a);
const char *wa__args_entry(const wa_args *a, int i, wa_value *out);

/* ---- text.c ------------------------------------------------------------ */

/* A string built on the heap ({0} to start; s is NULL until something is
   added, and the caller frees it). Out of memory it stops growing and sets
   nomem, so a text is built without checks and checked once. */
typedef struct {
  char *s;
  size_t len, cap;
  bool nomem;
} wa_text;

void wa__text_add(wa_text *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- error.c ----------------------------------------------------------- */

struct wa_error {
  int refs;
  char *type;
  char *message;
  wa_error **children; /* an exception group's errors (type ExceptionGroup) */
  int count;
  int host_id;         /* a JS Error kept for it by the host, or 0 */
};

/* Never NULL: out of memory, a preallocated MemoryError (or CancelledError
   without message, when type is CancelledError). */
wa_error *wa__error_new(const char *type, const char *message);
wa_error *wa__error_nomem(void);
/* A new ExceptionGroup holding references to errors[0..n). */
wa_error *wa__error_group(const char *message, wa_error *const *errors, int n);
/* Takes the error out of the current indicator (the caller owns it). */
wa_error *wa__error_take(void);
wa_error *wa__error_ref(wa_error *e);
void wa__error_unref(wa_error *e);
bool wa__error_is_cancel(const wa_error *e);
/* Puts e (a reference the caller gives up) into the current indicator and
   returns the code that goes with it. */
int wa__error_set(wa_error *e);
/* The current context's indicator: the running task's, or the host's. */
wa_error **wa__indicator(void);

/* ---- timer.c ------------------------------------------------------------ */

typedef void (*wa_call_fn)(void *arg);

/* A handle the loop runs when it is due (or at once, call_soon): it calls
   fn(arg). The loop never looks at what fn does. */
typedef struct wa_timer {
  double when;
  uint64_t seq;      /* insertion order: equal deadlines fire FIFO */
  int index;         /* position in the heap, -1 when not in it */
  wa_call_fn fn;
  void *arg;
  wa_task *owner;    /* kept alive while the handle is queued, or NULL */
  bool loop_owned;   /* the loop frees it once it ran or was cancelled */
  bool cancelled;    /* cancelled after it was queued */
  bool held;         /* loop-owned, and the user holds it too (wa_call_*):
                        freed by whichever of the two lets go last */
  bool ran;          /* held, and it ran or was dropped */
  unsigned gen;      /* for fn's use (sleep.c: which of the owner's sleeps) */
} wa_timer;

/* Reserves heap room for n more timers (WA_ERROR: no memory); through
   wa__room_reserve (loop.c). */
int wa__timer_reserve(int n);
void wa__timer_unreserve(int n);
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

/* Reserves room for that many more queued handles and heap timers
   (WA_ERROR: no memory, nothing reserved); every maker of something that
   can be queued or timed does, so pushing and timing never fail. */
int wa__room_reserve(unsigned handles, int timers);
void wa__room_release(unsigned handles, int timers);
void wa__ready_push(wa_handle_kind kind, wa_task *task, void *aux);
/* Set when an iteration called into JavaScript, so the host should run its
   microtasks before the next one. */
void wa__loop_note_host_call(void);
int wa__loop_ready_count(void);
/* When the current (or last) iteration began: a time for records that
   need no precision, without a call into JS for the clock. */
extern double wa__iteration_time;
/* Bumped by work known to be slow (a fiber's fresh stack), so that the
   loop looks at the clock sooner and keeps to its budget. */
extern unsigned wa__slow_work;
/* Runs fn(arg) once the iteration under way has ended, as loop.stop()
   ends run_forever, and `extra` more iterations after it, which run even
   when nothing is ready and never move the virtual clock (one at a time: a
   later call replaces it). */
void wa__loop_at_iteration_end(wa_call_fn fn, void *arg, int extra);
/* Virtual clock only (false otherwise): ms pass now, as if a task had
   computed that long; the test probes model slow work with it. */
bool wa__clock_spend(double ms);

/* loop.call_soon / call_at for C callbacks. The loop owns the handle and
   frees it after it runs or is cancelled: the caller must forget it then. */
/* A new loop-owned handle calling fn(arg), with its room reserved; NULL
   when out of memory. */
wa_timer *wa__timer_new(wa_call_fn fn, void *arg);
/* NULL when out of memory. */
wa_timer *wa__call_soon(wa_call_fn fn, void *arg);
wa_timer *wa__call_at(double when, wa_call_fn fn, void *arg);
void wa__call_cancel(wa_timer *h);

/* ---- task.c ------------------------------------------------------------- */

typedef enum { TASK_PENDING, TASK_DONE, TASK_FAILED, TASK_CANCELLED } wa_state;
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

/*
 * What kind of task it is. The core (task.c, cancel.c, loop.c) reaches a
 * task's body only through these, and never names a kind: coro.c runs C
 * coroutines on fibers, jstask.c JavaScript functions, future.c has no
 * body (gather.c and jstask.c's sleep bring their own cancel and data).
 * A new kind of task is a new table.
 */
typedef struct wa_task_ops {
  const char *type; /* "Task" or "Future": CPython's class, in messages */
  bool future;      /* a Future keeps its CancelledError for every asker */
  /* Task.__step after a pending cancel was turned into exc (NULL: none):
     run the body until it suspends or ends. NULL for a future. */
  void (*step)(wa_task *t, wa_error *exc);
  /* A step that arrives after t ended (a JS function awaiting after it
     returned); NULL: dropped. */
  void (*late_step)(wa_task *t, wa_error *exc);
  bool (*started)(const wa_task *t); /* its body has run: NULL, never */
  /* It ends before its body ever ran. */
  void (*dropped)(wa_task *t);
  /* Task.cancel was asked of it (JS: abort its AbortSignal). */
  void (*cancel_requested)(wa_task *t);
  /* The cancel itself, for a future (gather cancels its children). NULL:
     Task.cancel. */
  bool (*cancel)(wa_task *t, const char *msg);
  void (*free)(void *data);
} wa_task_ops;

/*
 * What a suspended task waits on: CPython's _fut_waiter, of which Task
 * only ever calls cancel(). sleep.c and task.c (awaiting another task)
 * have one each; a bare yield has none. Later awaitables add theirs.
 */
typedef struct wa_waiter_ops {
  const char *what; /* "sleep", "task", "yield" */
  /* _fut_waiter.cancel(msg): true when the cancel will come back as the
     waiter's CancelledError. NULL: it cannot be cancelled. */
  bool (*cancel)(wa_task *t, const char *msg);
  /* The task ended from outside while suspended: nothing may wake it. */
  void (*forget)(wa_task *t);
  /* When it ends by itself (a sleep's deadline); NULL: it has none. */
  double (*deadline)(const wa_task *t);
} wa_waiter_ops;

struct wa_task {
  unsigned id;
  unsigned parent_id;    /* the task running when it was made, or 0 */
  unsigned container_id; /* the group's or gather's future it belongs to */
  const char *container_what; /* "group" or "gather" */
  double created_at;     /* loop time */
  int refs;
  char *name;          /* auto_name, or a copy of the name given */
  char auto_name[16];  /* "Task-<n>": 15 characters at most, no malloc */
  const wa_task_ops *ops;
  void *data;          /* the kind's state (freed by ops->free) */
  struct wa_block *blocks; /* wa_task_alloc's, freed with the task */
  wa_coro_fn fn;       /* coro.c */
  wa_args *args;       /* coro.c */
  wa_slab *slab;       /* coro.c: NULL until its first step */
  int host_id;         /* jstask.c: the JS task's id */
  bool started;        /* jstask.c: its function was called */

  wa_state state;
  wa_value result;
  wa_error *outcome;   /* FAILED: the error; CANCELLED: the CancelledError */
  bool retrieved;      /* someone looked at the outcome */
  bool cancel_taken;   /* its CancelledError was handed out once */
  unsigned gather_mark; /* gather.c, wait.c: the last pass (wa__mark_pass)
                           that counted it, to skip repeats */
  wa_error *err;       /* the error indicator while it runs */

  int num_cancels;     /* cancelling() */
  bool cancel_passing; /* cancel.c: passing a cancel to what it awaits */
  bool must_cancel;    /* a cancel to deliver at the next step */
  char *cancel_msg;

  const wa_waiter_ops *waiting; /* what it is suspended on, or NULL */
  wa_task *awaiting;   /* the task or future it awaits (a reference) */
  wa_timer sleep_timer; /* sleep.c: a sleep is a future embedded here */
  wa_sleep_state sleep_state;
  unsigned sleep_gen;
  wa_error *resume_exc; /* thrown in at the next resume */

  bool room;           /* holds its room in the ready queue and timer heap */
  bool tracked;        /* in the list of pending tasks (task.c) */
  wa_task *all_prev, *all_next;
  int queued;          /* its handles in the ready queue */
  int steps_queued;    /* those of them that step it, not yet run */
  wa_callback *callbacks, *callbacks_tail;
};

extern wa_task *wa__current;
/* The JS task whose function is running synchronously inside its step
   (jstask.c), or NULL: the parent of the tasks that code makes. JS code
   after an await runs outside any step, and its tasks have no parent. */
extern wa_task *wa__js_stepping;

/* A new task object, pending, with the caller's and the runtime's
   references; nothing is queued. name NULL: "Task-<n>". NULL when out of
   memory (nothing raised). The caller sets up its kind's fields, then
   traces TRACE_CREATED, so that the event can tell them. */
wa_task *wa__task_alloc(const char *name, const wa_task_ops *ops);
extern int wa__tasks_alive;
/* The pending tasks (coroutines and JS tasks, not futures) in creation
   order, as asyncio.all_tasks: track adds one; it leaves when it ends. */
void wa__task_track(wa_task *t);
extern int wa__tasks_pending_count; /* tracked ones */
wa_task *wa__task_first_pending(void);
/* The pending tasks in an array to free(), and *n how many; NULL when
   there are none, or no memory for the array (*n is then not 0). */
wa_task **wa__tasks_pending(int *n);

void wa__task_step(wa_task *t, wa_error *exc);
/* Forgets what a suspended task waits on (it ended from outside). */
void wa__task_detach(wa_task *t);
/* Ends t with an error it did not raise itself and gives back the
   runtime's reference (coro.c: a body that could not run or resume). */
void wa__task_end_with(wa_task *t, wa_error *e);
/* A handle of t entered or left the ready queue; while queued it keeps t
   alive. */
void wa__task_queued(wa_task *t);
void wa__task_unqueued(wa_task *t);
/* Before queuing a step for a task that has ended (a JS function awaiting
   after its return): takes back its room; WA_ERROR when out of memory. */
int wa__task_claim_room(wa_task *t);
void wa__task_run_callback(wa_task *t, wa_callback *cb);
/* Makes `waiter` (suspending next) wait on pending `t`: woken when t ends,
   its cancels forwarded to t, and a cancel it already has passed on now. */
int wa__task_wait_on(wa_task *waiter, wa_task *t); /* MemoryError possible */
/* Done callbacks that call into JavaScript, identified by host_id;
   WA_ERROR (nothing raised) when out of memory. */
int wa__task_add_host_callback(wa_task *t, int host_id);
int wa__task_remove_host_callback(wa_task *t, int host_id);
void wa__task_finish(wa_task *t, wa_state state, wa_error *outcome);
wa_error *wa__cancelled_error(const char *msg);
/* What a task awaiting itself gets thrown in at its next step (CPython's
   RuntimeError). */
wa_error *wa__self_await_error(wa_task *t);
/* Task._make_cancelled_error: the error a cancelled t ended with, or a new
   one carrying the message of its last cancel request. */
wa_error *wa__task_cancelled_error(wa_task *t);
/* Marks t's error as seen and returns it (borrowed), NULL unless failed. */
wa_error *wa__task_error(wa_task *t);
bool wa__task_set_value(wa_task *t, wa_value v);
/* A copy of v owning its string or bytes (its other pointers NULL);
   false when out of memory. */
bool wa__value_copy(wa_value *out, wa_value v);

/* ---- coro.c ------------------------------------------------------------- */

/* Suspends the running task until a handle resumes it; returns what was
   thrown in (as a code, with the indicator set) or WA_OK. */
int wa__task_suspend(wa_task *t);
bool wa__task_abandon(const char *why);

/* ---- cancel.c ----------------------------------------------------------- */

/* After a task registered what it waits on: a cancel it requested of
   itself while running is passed to that waiter now. */
void wa__cancel_forward_pending(wa_task *t);

/* ---- future.c ---------------------------------------------------------- */

/* A new pending future; returns the caller's reference (the runtime holds
   another until it ends). ops may be NULL. NULL when out of memory
   (nothing raised; data stays the caller's). */
wa_task *wa__future_new(const char *name, const wa_task_ops *ops, void *data);
/* A plain future's table (ops NULL); gather and jstask's sleep have their
   own, with a cancel of their own. */
extern const wa_task_ops wa__future_ops;
/* Ends f (a no-op when it already ended). set_error takes e. */
void wa__future_set_result(wa_task *f, wa_value v);
void wa__future_set_error(wa_task *f, wa_error *e);
/* Future.set_exception, even of a CancelledError: f ends failed, not
   cancelled (gather does this), though awaiting it raises the error. */
void wa__future_set_exception(wa_task *f, wa_error *e);
/* Ends a future nobody will await (made, then not needed: out of memory
   midway, or never waited on) and gives back the caller's reference. */
void wa__future_discard(wa_task *f);
/* Future.cancel: ends f cancelled with msg; false when already done. */
bool wa__future_cancel(wa_task *f, const char *msg);

/* ---- group.c ------------------------------------------------------------ */

/* Adds an existing task (a JS task) to g, with create_task's checks;
   t NULL: only the checks. */
int wa__group_adopt(wa_group *g, wa_task *t);
/* wa_group_exit in steps, for callers that cannot suspend in C: begin
   (takes exc); while next() gives a future, await it and pass what the
   await raised (or NULL) to awaited(); end() gives the error to raise. */
int wa__group_exit_begin(wa_group *g, wa_error *exc);
wa_task *wa__group_exit_next(wa_group *g);
void wa__group_exit_awaited(wa_group *g, wa_error *exc);
wa_error *wa__group_exit_end(wa_group *g);

/* ---- gather.c, wait.c ------------------------------------------------------ */

/* Numbers the passes that mark each task they count (gather_mark), to
   skip a task given twice: one counter for all, so that no pass mistakes
   another's mark for its own. */
extern unsigned wa__mark_pass;

/* asyncio.wait for callers that cannot suspend in C (JS, and wa_wait): a
   future (*out, a new reference) that ends when return_when holds or the
   timeout passes; cancelling it cancels no task. wa__wait_end takes its
   callbacks off the tasks and stops its timer, once the sets were read. */
int wa__wait_new(wa_task *const *tasks, int n, int return_when, double timeout_ms, wa_task **out);
void wa__wait_end(wa_task *waiter);
/* wa_as_completed_next in steps: claim one of the n calls (false: all
   made); while nothing is queued, await the getter (a new reference, NULL
   when out of memory); then pop (NULL: timed out). */
bool wa__as_completed_claim(wa_as_completed *it);
int wa__as_completed_queued(const wa_as_completed *it);
wa_task *wa__as_completed_getter(wa_as_completed *it);
wa_task *wa__as_completed_pop(wa_as_completed *it);

/* ---- fiber.c ------------------------------------------------------------ */

/* Where an Asyncify unwind writes, or a rewind reads (Binaryen's layout). */
typedef struct {
  char *ptr; /* next byte to write; a rewind reads back down from here */
  char *end;
} wa_asyncify_data;

/* A task's fiber: how it starts, and what is kept of it while it is
   suspended. */
struct wa_slab {
  void (*entry)(void *);
  void *arg;
  uintptr_t sp;        /* its stack pointer when it suspended */
  wa_asyncify_data rewind; /* its saved Asyncify bytes, for the rewind */
  char *save;          /* [Asyncify bytes | its part of the run stack] */
  unsigned cap;        /* bytes at save */
  unsigned stack_used; /* run stack bytes saved (0: none to put back) */
  wa_slab *next_free;
};

/* How a task's turn on the run stack ended (host.js returns these). */
typedef enum {
  FIBER_ENDED,          /* its entry returned */
  FIBER_SUSPENDED,      /* wa__fiber_save must keep it now */
  FIBER_C_OVERFLOW,     /* its C stack overflowed: its frames are gone */
  FIBER_ENGINE_OVERFLOW, /* the JS engine's stack did, inside it */
  FIBER_MISPLACED,      /* not entered: the loop is not in a pump */
} wa_fiber_how;

/* Sets the run stack's size (allocating it) and the Asyncify bytes a
   suspension may use; false when out of memory. */
bool wa__fiber_configure(unsigned stack_size, unsigned asyncify_size);
wa_slab *wa__fiber_acquire(wa_task *t, void (*entry)(void *));
void wa__fiber_release(wa_slab *s);
/* Runs the task until it suspends or ends (scheduler -> task). */
wa_fiber_how wa__fiber_enter(wa_slab *s);
/* After wa__fiber_save gave "MemoryError": runs the task on at once from
   the suspension it could not keep (its stack is still in place). */
wa_fiber_how wa__fiber_resume_unsaved(wa_slab *s);
/* Suspends the running task (task -> scheduler); returns when resumed. */
void wa__fiber_leave(wa_slab *s);
/* Keeps what a task that just suspended unwound (into the shared
   scratch) and its part of the run stack in its save buffer. NULL when
   kept, else the error type the task fails with (*why filled):
   "StackOverflowError" (more than asyncifySize) or "MemoryError". */
const char *wa__fiber_save(wa_slab *s, char *why, int len);
void wa__fiber_recovered(void);
unsigned wa__fiber_stack_size(void);
/* Fibers allocated so far, or only those idle in the pool. */
int wa__fiber_slabs(bool idle_only);

/* ---- registry.c --------------------------------------------------------- */

wa_coro_fn wa__registry_find(const char *name);
const char *wa__registry_name_of(wa_coro_fn fn);

/* ---- trace.c ------------------------------------------------------------ */

/* The same numbers as the public wa_trace_event_kind. */
typedef enum {
  TRACE_CREATED,   /* other: parent id; value: 1 for a future; what: type; text: name;
                      coroutine: the registered name of its C coroutine */
  TRACE_MEMBER,    /* other: the group's or gather's future it joined */
  TRACE_STEP,      /* value: 1 when an error is thrown in */
  TRACE_SUSPENDED, /* what: what it waits on; other: the task awaited; value: deadline */
  TRACE_CANCEL,    /* a cancel was requested; text: its message */
  TRACE_ENDED,     /* value: its wa_state; text: the error ("Type: message"), the
                      cancel's message, or a C coroutine's result, whose kind
                      is then in what ("number", "string" or "none") */
} wa_trace_kind;

/* Read by the host (post.js) straight from memory: keep the layout. */
typedef struct {
  double time;
  double value;
  uint32_t task;
  uint32_t other;
  const char *what; /* static */
  char *text;       /* owned */
  uint32_t kind;
  const char *coroutine; /* static: CREATED's coroutine, or NULL */
} wa_trace_record;

extern bool wa__tracing; /* someone listens: record events */
void wa__trace(wa_trace_kind kind, const wa_task *t, unsigned other, double value,
               const char *what, const char *text);
/* TRACE_CREATED, TRACE_SUSPENDED or TRACE_ENDED, from the task's fields. */
void wa__trace_task(wa_trace_kind kind, const wa_task *t);
/* One branch when nobody listens. */
#define WA_TRACE(call) \
  do {                 \
    if (wa__tracing) call; \
  } while (0)

/* ---- host (host.js) ----------------------------------------------------- */

void wa_host_print(const char *text, int len);
void wa_host_callback(int host_id, wa_task *t);
void wa_host_report(const char *text, int len);
void wa_host_error_freed(int host_id);

#endif /* WA_INTERNAL_H */
