/*
 * wasyncio.h: the whole C contract of the runtime.
 *
 * C coroutines run as tasks on one scheduler, with the semantics of
 * CPython 3.13's asyncio. A task is a fiber on one C stack all tasks share;
 * while it is suspended it keeps only the part it used (see wa_task_alloc
 * for the one rule that brings). It runs until it calls a suspending
 * function (wa_sleep, wa_task_join), which hands control back to the
 * scheduler; the scheduler maps every sleep onto one host timer, so the
 * page or Node stays free.
 *
 * Errors work like CPython's C API: each task has an error indicator. A
 * failing call sets it and returns a negative code; a coroutine that
 * returns a negative code fails with the error in its indicator. Catching
 * an error is reading it and calling wa_error_clear().
 *
 * Times are milliseconds, as doubles, everywhere.
 */
#ifndef WASYNCIO_H
#define WASYNCIO_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Return codes ------------------------------------------------------ */

enum {
  WA_OK = 0,
  WA_ERROR = -1,      /* failed: the error indicator holds why */
  WA_ECANCELLED = -2, /* failed with a CancelledError in the indicator */
  WA_EINVAL = -3,     /* bad argument (ValueError or TypeError set) */
  WA_ESTATE = -4,     /* wrong state for the call (InvalidStateError or
                         RuntimeError set) */
};

typedef struct wa_task wa_task;
typedef struct wa_args wa_args;
typedef struct wa_error wa_error;

/* A coroutine: the body of a task. Return WA_OK after setting a result with
   wa_return_number/wa_return_string (or none), or a negative code with the
   error indicator set (usually by passing on what a failed call returned). */
typedef int (*wa_coro_fn)(wa_task *self, const wa_args *args);

/* ---- Errors (the current task's error indicator) ----------------------- */

/* Sets the indicator to a new error of type `type` (e.g. "ValueError") and
   returns WA_ERROR, or WA_ECANCELLED when type is "CancelledError". */
int wa_raise(const char *type, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The error in the indicator, or NULL. Borrowed: valid until cleared. */
const wa_error *wa_error_current(void);
/* True when the indicator holds an error of exactly this type. */
bool wa_error_matches(const char *type);
/* Clears the indicator: the error is caught. */
void wa_error_clear(void);
/* The code to return to pass the indicator's error on (re-raise). */
int wa_reraise(void);

const char *wa_error_type(const wa_error *e);
const char *wa_error_message(const wa_error *e);

/* Holding an error across other work (a `finally` that awaits), as
   PyErr_GetRaisedException / PyErr_SetRaisedException: fetch takes the
   error out of the indicator (NULL if none; the caller owns it); restore
   puts one back (taking the caller's reference) and returns its code;
   retain adds a reference. Release with wa_error_release. */
wa_error *wa_error_fetch(void);
int wa_error_restore(wa_error *e);
wa_error *wa_error_retain(wa_error *e);

/* Exception groups (type "ExceptionGroup"), as task groups raise them: a
   group holds errors, some of which may be groups themselves. */
bool wa_error_is_group(const wa_error *e);
int wa_error_count(const wa_error *e);
const wa_error *wa_error_child(const wa_error *e, int i); /* borrowed */
/* BaseExceptionGroup.split(type): the errors of e whose type is `type`
   (NULL: all), and the rest, each as a new group keeping e's nesting, or
   NULL when empty; both are new references (wa_error_release). */
void wa_error_split(const wa_error *e, const char *type, wa_error **match, wa_error **rest);
/* `except* type`: takes the matching part out of the indicator and returns
   it (a new reference, or NULL when nothing matched); the rest stays in
   the indicator, which is cleared when nothing is left. A plain error that
   matches comes back wrapped in a group, as in Python. */
wa_error *wa_error_catch(const char *type);
void wa_error_release(wa_error *e);

/* ---- Tasks -------------------------------------------------------------- */

/* Creates a task running fn(task, args) and queues its first step; it does
   not run now. Takes ownership of args (may be NULL). name may be NULL
   ("Task-<n>"; "" is a name like any other). Returns a new reference, to be given back with
   wa_task_release; the runtime holds its own until the task is done, so a
   task nobody keeps still runs to the end. */
wa_task *wa_task_spawn(wa_coro_fn fn, wa_args *args, const char *name);
/* Out of memory, everywhere in this header: the call fails with a
   MemoryError in the indicator (NULL, or a negative code), the caller's
   task goes on, and whatever cancels, wakes or ends a task needs no memory,
   so the tasks holding memory can always be cancelled. */
void wa_task_retain(wa_task *t);
void wa_task_release(wa_task *t);

/* Tasks share one C stack and each suspended task's part of it is copied
   aside (README, "How it works"): the address of a local is good only while
   its task runs. Memory others must reach while it is suspended (a struct
   another task fills in, a buffer a callback writes) comes from the heap,
   or from here: size zeroed bytes, aligned as malloc's, that stay put
   until t's last reference goes; NULL (MemoryError) when out of memory. */
void *wa_task_alloc(wa_task *t, size_t size);

/* The running task, or NULL outside any task. */
wa_task *wa_task_current(void);
unsigned wa_task_id(const wa_task *t);
const char *wa_task_name(const wa_task *t);

/* Awaits t. WA_OK when t returned (read its result with wa_task_result);
   otherwise t's error is copied into the caller's indicator. Does not
   suspend when t is already done. A cancel of the caller is forwarded to t. */
int wa_task_join(wa_task *t);

bool wa_task_done(const wa_task *t);
bool wa_task_cancelled(const wa_task *t);

/* Requests cancellation: delivered at the task's next suspension as a
   CancelledError carrying msg (may be NULL). Returns false on a done task. */
bool wa_task_cancel(wa_task *t, const char *msg);
/* How many cancel requests are outstanding. */
int wa_task_cancelling(const wa_task *t);
/* Decrements that count (never below 0) and returns it; at 0 a request not
   yet delivered is dropped. */
int wa_task_uncancel(wa_task *t);

/* A result: nothing, a number, a string, bytes, or JSON text (what a host
   function returned as an object, an array or a boolean). */
typedef enum { WA_NONE, WA_NUMBER, WA_STRING, WA_BYTES, WA_JSON } wa_kind;
typedef struct {
  wa_kind kind;
  double number;
  const char *string; /* WA_STRING, WA_JSON; owned by the task */
  const void *bytes;  /* WA_BYTES: length bytes, owned by the task */
  size_t length;
} wa_value;
/* Frees what a value the caller owns holds (a queue item's string or
   bytes) and sets it to none. Never on a task's result: the task owns it. */
void wa_value_clear(wa_value *v);

/* Sets *out to t's result and returns WA_OK; if t is pending, failed or
   cancelled, sets the indicator (InvalidStateError, t's error,
   CancelledError) and returns a negative code. */
int wa_task_result(const wa_task *t, wa_value *out);
/* Sets *out to t's error (NULL when it returned) and returns WA_OK; pending
   or cancelled: as wa_task_result. */
int wa_task_exception(const wa_task *t, const wa_error **out);

/* Set the running task's result: WA_OK, or a MemoryError when a string or
   bytes cannot be copied. */
int wa_return_number(wa_task *self, double value);
int wa_return_string(wa_task *self, const char *value);
int wa_return_value(wa_task *self, const wa_value *value); /* copies it */

/* Done callbacks run after t ends, one per loop step, in registration
   order, never inline; one added to a done task is queued at once. */
typedef void (*wa_done_fn)(wa_task *t, void *arg);
int wa_task_add_done_callback(wa_task *t, wa_done_fn fn, void *arg);
/* Removes every (fn, arg) registration; returns how many. */
int wa_task_remove_done_callback(wa_task *t, wa_done_fn fn, void *arg);

/* ---- Task groups (asyncio.TaskGroup) ------------------------------------ */

/* A group of child tasks owned by the task that enters it:
     wa_group *g = wa_group_new();
     int rc = wa_group_enter(g);
     if (rc == WA_OK) {
       wa_group_spawn(g, child, NULL, "a");  (returns a reference to release)
       rc = ...the body's work...;
     }
     rc = wa_group_exit(g, rc);
     wa_group_free(g);
   The first child failure cancels the other children and the body (at its
   current suspension). Exit waits for every child, then fails with an
   ExceptionGroup of the children's errors in finishing order followed by
   the body's (cancellations never included), or passes on a cancellation
   from outside, or the body's own outcome. */
typedef struct wa_group wa_group;
wa_group *wa_group_new(void);
/* Binds the group to the running task (RuntimeError outside a task or when
   entered twice). */
int wa_group_enter(wa_group *g);
/* wa_task_spawn into the group. NULL with a RuntimeError in the indicator
   when the group was not entered, is shutting down (a child failed or the
   body raised) or is finished. */
wa_task *wa_group_spawn(wa_group *g, wa_coro_fn fn, wa_args *args, const char *name);
/* Waits for all children; body_rc is the body's outcome (with the
   indicator set when negative). Returns the group's outcome. */
int wa_group_exit(wa_group *g, int body_rc);
void wa_group_free(wa_group *g);

/* ---- gather and shield --------------------------------------------------- */

/* asyncio.gather: a future to join that ends when all n tasks are done.
   Without return_exceptions the join fails at the first error while the
   other tasks run on; with it, the join succeeds and errors are results.
   Cancelling the future cancels the tasks, and the join then fails with
   CancelledError in either mode. Returns a new reference. */
wa_task *wa_gather(wa_task *const *tasks, int n, bool return_exceptions);
/* After a successful join: item i's result in *value (error NULL), or with
   return_exceptions its error in *error (borrowed from the gather). A
   cancelled task's error is a CancelledError without message, as in
   CPython's results list. */
int wa_gather_result(const wa_task *gather, int i, wa_value *value, const wa_error **error);
int wa_gather_count(const wa_task *gather);
wa_task *wa_gather_task(const wa_task *gather, int i); /* borrowed */

/* asyncio.shield: a future mirroring inner's outcome. Cancelling it (or the
   task joining it) leaves inner running. inner itself when already done.
   Returns a new reference. */
wa_task *wa_shield(wa_task *inner);

/* ---- wait and as_completed ------------------------------------------------ */

/* When wa_wait returns (asyncio.wait's return_when). */
typedef enum {
  WA_FIRST_COMPLETED, /* a task is done */
  WA_FIRST_EXCEPTION, /* a task failed (one cancelled does not count), or
                         all are done */
  WA_ALL_COMPLETED,   /* all are done */
} wa_return_when;

/* asyncio.wait: suspends the running task until return_when holds for the
   n tasks, or until timeout_ms has passed (INFINITY: no timeout). The same
   task given twice counts once. It cancels nothing: not on timeout, and
   not when the caller is cancelled (then WA_ECANCELLED, the tasks run on).
   Like CPython it always suspends, even when the tasks are done already,
   and reads which are done as the caller resumes. Returns how many
   distinct tasks are done (asyncio's len(done); the others are pending),
   and when done is not NULL sets done[i] to whether tasks[i] is. ValueError
   for n == 0, an unknown return_when or a NaN timeout; RuntimeError outside
   a task; MemoryError. */
int wa_wait(wa_task *const *tasks, int n, wa_return_when return_when, double timeout_ms, bool *done);

/* asyncio.as_completed iterated with `async for` (3.13): hands out the n
   tasks themselves in the order they end:
     wa_as_completed *it = wa_as_completed_new(tasks, n, 1000);
     if (!it) return WA_ERROR;
     wa_task *t;
     int rc;
     while ((rc = wa_as_completed_next(it, &t)) > 0) { ...t is done... }
     wa_as_completed_free(it);
     (rc == 0: all handed out; rc < 0: failed, e.g. TimeoutError)
   Tasks done already come first, in argument order; the same task twice
   counts once. The timeout counts from wa_as_completed_new, for the whole
   iteration (INFINITY: none). Nothing is cancelled, ever. NULL with
   TypeError, ValueError (NaN timeout) or MemoryError. n may be 0. */
typedef struct wa_as_completed wa_as_completed;
wa_as_completed *wa_as_completed_new(wa_task *const *tasks, int n, double timeout_ms);
/* Suspends the running task until the next task ends (not at all when one
   ended already). 1: *out is that task (borrowed: the iterator holds a
   reference until freed). 0: all were handed out (*out NULL). Negative:
   TimeoutError once the timeout passed (tasks that ended before it are
   still handed out first), CancelledError when the caller is cancelled
   while waiting, RuntimeError when another task waits on it. As in
   CPython, a call that failed still used up one of the n calls that
   hand out a task: after a cancelled wait, the last task is never handed
   out. */
int wa_as_completed_next(wa_as_completed *it, wa_task **out);
/* Stops the iteration (the tasks run on) and frees it; a task waiting in
   wa_as_completed_next fails with RuntimeError. NULL is ignored. */
void wa_as_completed_free(wa_as_completed *it);

/* ---- Timeouts (asyncio.timeout, wait_for) -------------------------------- */

/* A scope that cancels the task that entered it at a deadline:
     wa_timeout *to = wa_timeout_new(500);
     int rc = wa_timeout_enter(to);
     if (rc == WA_OK) rc = ...the body's work...;
     rc = wa_timeout_exit(to, rc);   (CancelledError -> TimeoutError if it fired)
     wa_timeout_free(to);
   delay_ms is from now; INFINITY means no deadline. */
typedef struct wa_timeout wa_timeout;
wa_timeout *wa_timeout_new(double delay_ms);
int wa_timeout_enter(wa_timeout *to);
int wa_timeout_exit(wa_timeout *to, int body_rc);
bool wa_timeout_expired(const wa_timeout *to);
/* The deadline in loop time (wa_time()); INFINITY when none. */
double wa_timeout_when(const wa_timeout *to);
/* Moves the deadline of an entered scope (INFINITY: none). */
int wa_timeout_reschedule(wa_timeout *to, double when);
void wa_timeout_free(wa_timeout *to);

/* Joins t for at most ms (INFINITY: no limit). On expiry cancels t, waits
   for it to end and fails with TimeoutError, unless t caught the cancel
   and returned, which counts as success. ms <= 0: a task not yet started
   never runs. Cancelling the caller cancels t. */
int wa_wait_for(wa_task *t, double ms);

/* ---- Futures (asyncio.Future) --------------------------------------------- */

/* A future: a task with no body, which code ends. Join it, cancel it
   (wa_task_cancel) and add done callbacks as for a task. name may be NULL
   ("Future"). Returns a new reference (NULL: MemoryError). */
wa_task *wa_future_new(const char *name);
/* Ends f with a result (copied), or with e (a reference the call takes
   over, as from wa_error_new or wa_error_fetch). InvalidStateError (and
   WA_ESTATE) when f is done, or is a task rather than a future. */
int wa_future_set_result(wa_task *f, const wa_value *value);
int wa_future_set_exception(wa_task *f, wa_error *e);
/* A new error of type `type`, for wa_future_set_exception (NULL: out of
   memory). Release it unless something takes it over. */
wa_error *wa_error_new(const char *type, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- Synchronization (asyncio.Lock, Event, Semaphore, ...) ---------------- */

/* The primitives behave as CPython 3.13's, fairness and cancellation
   included: waiters are served first come, first served, and a waiter
   cancelled after it was woken passes the wake-up on. The calls that may
   suspend (acquire, wait, put, get, join) return WA_OK, or a negative
   code with the error set: CancelledError when the calling task is
   cancelled meanwhile (what was waited for is then not taken), RuntimeError
   outside a task, MemoryError. Each primitive is reference-counted: _free
   gives back the creator's reference, and a task waiting on one, or args
   holding one, keep it alive. JavaScript makes them with rt.lock() etc.
   and passes them to parameters "name:lock", "name:event", ...
   (wa_arg_lock etc. read them). */
typedef struct wa_lock wa_lock;
typedef struct wa_event wa_event;
typedef struct wa_semaphore wa_semaphore;
typedef struct wa_condition wa_condition;
typedef struct wa_barrier wa_barrier;
typedef struct wa_queue wa_queue;

/* asyncio.Lock: not owned by a task; release from any task. */
wa_lock *wa_lock_new(void); /* NULL: MemoryError */
void wa_lock_free(wa_lock *l);
int wa_lock_acquire(wa_lock *l);
/* RuntimeError ("Lock is not acquired.") when it is not locked. */
int wa_lock_release(wa_lock *l);
bool wa_lock_locked(const wa_lock *l);

/* asyncio.Event. */
wa_event *wa_event_new(void);
void wa_event_free(wa_event *e);
int wa_event_wait(wa_event *e);
void wa_event_set(wa_event *e);
void wa_event_clear(wa_event *e);
bool wa_event_is_set(const wa_event *e);

/* asyncio.Semaphore(value) (ValueError when value < 0), and
   BoundedSemaphore, whose release past the initial value is a ValueError. */
wa_semaphore *wa_semaphore_new(int value);
wa_semaphore *wa_bounded_semaphore_new(int value);
void wa_semaphore_free(wa_semaphore *s);
int wa_semaphore_acquire(wa_semaphore *s);
int wa_semaphore_release(wa_semaphore *s);
/* True when an acquire would wait (value 0, or waiters not cancelled). */
bool wa_semaphore_locked(const wa_semaphore *s);
int wa_semaphore_value(const wa_semaphore *s);

/* asyncio.Condition over lock (NULL: a lock of its own). wait releases the
   lock, waits for a notify, then takes the lock again, even when cancelled
   meanwhile (it fails afterwards, holding the lock). wait and notify want
   the lock held (RuntimeError). */
wa_condition *wa_condition_new(wa_lock *lock);
void wa_condition_free(wa_condition *c);
int wa_condition_acquire(wa_condition *c);
int wa_condition_release(wa_condition *c);
bool wa_condition_locked(const wa_condition *c);
int wa_condition_wait(wa_condition *c);
/* Condition.wait_for: waits until pred(arg) is true (checked first, and
   after each wake-up, with the lock held). */
int wa_condition_wait_for(wa_condition *c, bool (*pred)(void *arg), void *arg);
int wa_condition_notify(wa_condition *c, int n);
int wa_condition_notify_all(wa_condition *c);

/* asyncio.Barrier(parties) (ValueError when parties < 1). wait sets *index
   (may be NULL) to the caller's arrival order, 0 to parties-1, and fails
   with BrokenBarrierError after an abort or a reset. reset and abort may
   suspend: they take the barrier's lock, as CPython's coroutines do. */
wa_barrier *wa_barrier_new(int parties);
void wa_barrier_free(wa_barrier *b);
int wa_barrier_wait(wa_barrier *b, int *index);
int wa_barrier_reset(wa_barrier *b);
int wa_barrier_abort(wa_barrier *b);
int wa_barrier_parties(const wa_barrier *b);
int wa_barrier_n_waiting(const wa_barrier *b);
bool wa_barrier_broken(const wa_barrier *b);

/* asyncio.Queue, LifoQueue and PriorityQueue (maxsize <= 0: unbounded).
   Items are values (copied in; a get hands the copy over, to be given back
   with wa_value_clear). A priority queue serves the smallest first, in
   heapq's order (so equal items in no promised order): numbers by value,
   strings by code point, bytes bytewise, JSON arrays element by element
   as Python compares lists; its items must all be of one kind (TypeError). */
typedef enum { WA_QUEUE_FIFO, WA_QUEUE_LIFO, WA_QUEUE_PRIORITY } wa_queue_order;
wa_queue *wa_queue_new(int maxsize, wa_queue_order order);
void wa_queue_free(wa_queue *q);
/* Waits while the queue is full; QueueShutDown once it is shut down. */
int wa_queue_put(wa_queue *q, const wa_value *item);
/* QueueFull, QueueShutDown. */
int wa_queue_put_nowait(wa_queue *q, const wa_value *item);
/* Waits while it is empty; QueueShutDown once shut down and empty. */
int wa_queue_get(wa_queue *q, wa_value *item);
/* QueueEmpty, QueueShutDown. */
int wa_queue_get_nowait(wa_queue *q, wa_value *item);
/* ValueError when called more often than items were put. */
int wa_queue_task_done(wa_queue *q);
/* Waits until every item put has had its task_done. */
int wa_queue_join(wa_queue *q);
/* Queue.shutdown: puts fail from now on, and gets once it is empty;
   waiting putters and getters are woken (to fail). immediate: the items
   left are dropped (and counted done). */
void wa_queue_shutdown(wa_queue *q, bool immediate);
int wa_queue_qsize(const wa_queue *q);
int wa_queue_maxsize(const wa_queue *q);
bool wa_queue_empty(const wa_queue *q);
bool wa_queue_full(const wa_queue *q);

/* ---- Host functions ---------------------------------------------------- */

/* Calls the JavaScript function registered as `name` (createRuntime({host})
   or rt.provide) with args as an object ({key: number, string or
   Uint8Array}) and an AbortSignal, and returns a future of its result;
   join it like a task. Other tasks run while it is pending. Its result:
   undefined or null -> WA_NONE, a number, a string, bytes (a Uint8Array,
   ArrayBuffer or other view, copied; WA_BYTES), anything else as JSON
   text (WA_JSON). A rejection, or a throw, fails the future with an error
   of the JS error's name and message. Cancelling the future (or a task
   joining it) cancels it at once, as asyncio's Future.cancel does, and
   aborts the signal; what the function settles with afterwards is
   dropped. NULL when no function has that name (LookupError naming the
   ones registered) or out of memory; args are not taken over. */
wa_task *wa_host_call(const char *name, const wa_args *args);

/* ---- Time --------------------------------------------------------------- */

/* Suspends the running task for ms (<= 0: exactly one loop iteration).
   WA_OK, WA_ECANCELLED when cancelled, WA_EINVAL for NaN, WA_ESTATE
   outside a task. */
int wa_sleep(double ms);
/* The loop's monotonic clock; starts at 0 when the runtime starts. */
double wa_time(void);

/* loop.call_soon / call_later / call_at: fn(arg) runs from the loop, after
   what is queued now (call_soon) or once its time has come (in deadline
   order, equal deadlines in the order they were set). fn runs outside any
   task and must not suspend. Each returns a handle the caller gives back
   exactly once: wa_handle_cancel (fn will not run, if it has not; harmless
   after it ran) or wa_handle_release (it runs as planned). NULL when fn is
   NULL (TypeError), the time is NaN (ValueError) or out of memory. */
typedef struct wa_handle wa_handle;
wa_handle *wa_call_soon(void (*fn)(void *arg), void *arg);
wa_handle *wa_call_later(double ms, void (*fn)(void *arg), void *arg);
wa_handle *wa_call_at(double when, void (*fn)(void *arg), void *arg);
void wa_handle_cancel(wa_handle *h);
void wa_handle_release(wa_handle *h);

/* ---- Arguments ---------------------------------------------------------- */

/* Named numbers and strings, as JavaScript passes them ({param: 7}). */
wa_args *wa_args_new(void);
void wa_args_free(wa_args *a);
int wa_args_set_number(wa_args *a, const char *key, double value);
int wa_args_set_string(wa_args *a, const char *key, const char *value);
/* For C callers only (JavaScript cannot pass one): a pointer the task may
   use but does not own, e.g. state shared by the tasks of one job. */
int wa_args_set_pointer(wa_args *a, const char *key, void *value);
/* A task or future the callee may join (the args hold a reference);
   JavaScript passes a Task, Future or gather to a parameter "name:task". */
int wa_args_set_task(wa_args *a, const char *key, wa_task *t);
/* A synchronization primitive the callee may use (the args hold a
   reference). JavaScript passes rt.lock(), rt.queue() etc. to parameters
   "name:lock", "name:event", "name:semaphore" (a bounded one too),
   "name:condition", "name:barrier", "name:queue". */
int wa_args_set_lock(wa_args *a, const char *key, wa_lock *l);
int wa_args_set_event(wa_args *a, const char *key, wa_event *e);
int wa_args_set_semaphore(wa_args *a, const char *key, wa_semaphore *s);
int wa_args_set_condition(wa_args *a, const char *key, wa_condition *c);
int wa_args_set_barrier(wa_args *a, const char *key, wa_barrier *b);
int wa_args_set_queue(wa_args *a, const char *key, wa_queue *q);
/* A copy of length bytes (a host function gets a Uint8Array). */
int wa_args_set_bytes(wa_args *a, const char *key, const void *data, size_t length);
bool wa_args_has(const wa_args *a, const char *key);
/* NaN / NULL when missing or of the other kind. */
double wa_arg_number(const wa_args *a, const char *key);
const char *wa_arg_string(const wa_args *a, const char *key);
void *wa_arg_pointer(const wa_args *a, const char *key);
/* Borrowed: good while the args are (a task's live as long as the task). */
wa_task *wa_arg_task(const wa_args *a, const char *key);
/* Borrowed, as wa_arg_task; NULL when missing or of another kind. */
wa_lock *wa_arg_lock(const wa_args *a, const char *key);
wa_event *wa_arg_event(const wa_args *a, const char *key);
wa_semaphore *wa_arg_semaphore(const wa_args *a, const char *key);
wa_condition *wa_arg_condition(const wa_args *a, const char *key);
wa_barrier *wa_arg_barrier(const wa_args *a, const char *key);
wa_queue *wa_arg_queue(const wa_args *a, const char *key);
/* The bytes and their length (*length 0 and NULL when missing). */
const void *wa_arg_bytes(const wa_args *a, const char *key, size_t *length);

/* ---- Output and registration -------------------------------------------- */

/* ---- Introspection ------------------------------------------------------ */

/* One transition of one task, as the scheduler makes it. */
typedef enum {
  WA_TRACE_CREATED,   /* other: the task that made it (0: none); value: 1 for a
                         future; what: "Task" or "Future"; text: its name;
                         coroutine: its C coroutine's registered name */
  WA_TRACE_MEMBER,    /* other: the future of the group or gather it joined;
                         what: "group" or "gather" */
  WA_TRACE_STEP,      /* it runs; value: 1 when an error is thrown in */
  WA_TRACE_SUSPENDED, /* what: "sleep", "task" or "yield"; other: the task or
                         future awaited (0: none); value: a sleep's deadline
                         (NaN: none) */
  WA_TRACE_CANCEL,    /* a cancel was asked of it; text: the message or NULL */
  WA_TRACE_ENDED      /* value: 1 done, 2 failed, 3 cancelled; text: the error
                         ("Type: message") or the cancel's message, or NULL;
                         a C coroutine that returned: what is its result's
                         kind ("number", "string", "json", "bytes", "none")
                         and text the number (%.17g), the string or JSON,
                         or "<n> bytes" */
} wa_trace_event_kind;

typedef struct {
  wa_trace_event_kind kind;
  double time;      /* loop time */
  unsigned task;    /* wa_task_id */
  unsigned other;
  double value;
  const char *what; /* static */
  const char *text; /* valid during the call only */
  const char *coroutine; /* static; CREATED only, else NULL, and NULL for a
                            coroutine never registered (WA_EXPORT_COROUTINE) */
} wa_trace_event;

typedef void (*wa_trace_fn)(const wa_trace_event *e, void *arg);
/* Calls fn(event, arg) at every transition from now on; NULL stops. One
   hook at a time (JavaScript's rt.trace() is separate). fn must not
   suspend; what it does that makes events (a spawn, a cancel) reports
   none. */
void wa_trace_hook(wa_trace_fn fn, void *arg);

/* Prints every pending task through wa_print, as a tree by creator (who
   spawned whom) with what each waits on, like `python -m asyncio pstree`:
   for a program that seems stuck. */
void wa_print_task_tree(void);

/* Prints one line through the host's print function. */
void wa_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Makes fn callable by name from JavaScript. params declares the arguments,
   e.g. "param:number, label:string, data:json, other:task" ("name?:type"
   when optional); JavaScript checks calls against it. */
int wa_register(const char *name, wa_coro_fn fn, const char *params);

/* Registers a coroutine when the module starts; put it after the function:
     static int some_coro(wa_task *self, const wa_args *args) { ... }
     WA_EXPORT_COROUTINE(some_coro, "param:number");                        */
#define WA_EXPORT_COROUTINE(fn, params)                                     \
  __attribute__((constructor)) static void wa_register_##fn(void) {       \
    wa_register(#fn, fn, params);                                          \
  }

#ifdef __cplusplus
}
#endif
#endif /* WASYNCIO_H */
