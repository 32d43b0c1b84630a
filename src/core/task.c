/*
 * task.c: tasks, after CPython's Task.
 *
 * A task is resumed only by a handle from the ready queue (H_STEP, or its
 * wakeup callback when what it awaits ends), never inline. wa__task_step
 * is Task.__step: deliver a pending cancel, then run the body through the
 * task's table of operations (coro.c: a C coroutine on its fiber; jstask.c:
 * a JS function). The runtime holds a reference to each task until it
 * ends, so nothing started is lost for want of an owner.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

wa_task *wa__current;
wa_task *wa__js_stepping;
int wa__tasks_alive; /* allocated and not yet freed */

/* What a value owns: its string or JSON text, or its bytes. */
void wa_value_clear(wa_value *v) {
  if (!v) return;
  if (v->kind == WA_STRING || v->kind == WA_JSON) free((char *)v->string);
  if (v->kind == WA_BYTES) free((void *)v->bytes);
  *v = (wa_value){.kind = WA_NONE};
}

bool wa__value_copy(wa_value *out, wa_value v) {
  char *copy = NULL;
  void *bytes = NULL;
  if (v.kind == WA_STRING || v.kind == WA_JSON) {
    if (!(copy = wa__strdup(v.string ? v.string : v.kind == WA_JSON ? "null" : ""))) return false;
  } else if (v.kind == WA_BYTES) {
    if (!(bytes = malloc(v.length ? v.length : 1))) return false;
    if (v.length) memcpy(bytes, v.bytes, v.length);
  } else if (v.kind != WA_NONE && v.kind != WA_NUMBER) {
    v = (wa_value){.kind = WA_NONE}; /* not a kind: nothing */
  }
  v.string = copy;
  v.bytes = bytes;
  if (v.kind != WA_BYTES) v.length = 0;
  *out = v;
  return true;
}

/* asyncio.all_tasks: the pending tasks (not futures), in creation order,
   for a shutdown that cancels them all (bindings.c). */
static wa_task *pending_first, *pending_last;
int wa__tasks_pending_count;

void wa__task_track(wa_task *t) {
  t->all_prev = pending_last;
  *(pending_last ? &pending_last->all_next : &pending_first) = t;
  pending_last = t;
  t->tracked = true;
  wa__tasks_pending_count++;
}

static void untrack(wa_task *t) {
  if (!t->tracked) return;
  *(t->all_prev ? &t->all_prev->all_next : &pending_first) = t->all_next;
  *(t->all_next ? &t->all_next->all_prev : &pending_last) = t->all_prev;
  t->all_prev = t->all_next = NULL;
  t->tracked = false;
  wa__tasks_pending_count--;
}

wa_task *wa__task_first_pending(void) { return pending_first; }

wa_task **wa__tasks_pending(int *n) {
  *n = 0;
  for (wa_task *t = pending_first; t; t = t->all_next) (*n)++;
  wa_task **all = *n ? wa__alloc(*n * sizeof *all) : NULL;
  int i = 0;
  if (all)
    for (wa_task *t = pending_first; t; t = t->all_next) all[i++] = t;
  return all;
}
static unsigned next_id = 1;
static unsigned next_number = 1; /* for default names; futures take none */

/* Room a pending task reserves: its step and a stale sleep timer may be
   queued at once (a sleep cancelled after its timer was due), and its
   sleep timer may be in the heap. It gives the room back once it has ended
   and nothing of it is queued, not when its last handle goes, so ended
   tasks JavaScript still holds cost no room. */
enum { TASK_READY_ROOM = 2, TASK_TIMER_ROOM = 1 };

static void release_room(wa_task *t) {
  if (!t->room) return;
  t->room = false;
  wa__room_release(TASK_READY_ROOM, TASK_TIMER_ROOM);
}

int wa__task_claim_room(wa_task *t) {
  if (t->room) return WA_OK;
  if (wa__room_reserve(TASK_READY_ROOM, TASK_TIMER_ROOM) < 0) return WA_ERROR;
  t->room = true;
  return WA_OK;
}

void wa__task_queued(wa_task *t) {
  t->queued++;
  wa_task_retain(t);
}

void wa__task_unqueued(wa_task *t) {
  if (--t->queued == 0 && t->state != TASK_PENDING) release_room(t);
  wa_task_release(t);
}

wa_task *wa__task_alloc(const char *name, const wa_task_ops *ops) {
  wa_task *t = wa__alloc(sizeof *t);
  if (!t) return NULL;
  bool named = name != NULL; /* "" is a name, as in create_task(name='') */
  t->name = named ? wa__strdup(name) : t->auto_name;
  if (!t->name || wa__room_reserve(TASK_READY_ROOM, TASK_TIMER_ROOM) < 0) {
    if (named) free(t->name);
    free(t);
    return NULL;
  }
  if (!named) snprintf(t->auto_name, sizeof t->auto_name, "Task-%u", next_number++);
  t->room = true;
  wa__tasks_alive++;
  t->id = next_id++;
  t->refs = 2; /* the caller's, and the runtime's until it ends */
  t->ops = ops;
  wa_task *parent = wa__current ? wa__current : wa__js_stepping;
  t->parent_id = parent ? parent->id : 0;
  t->created_at = wa__iteration_time;
  return t; /* its kind traces TRACE_CREATED once it has set it up */
}

void wa_task_retain(wa_task *t) { t->refs++; }

/* A wa_task_alloc block: its header, then the caller's bytes, aligned as
   malloc's own (8 bytes here: more would be a lie on top of malloc). */
struct wa_block {
  struct wa_block *next;
  _Alignas(8) unsigned char bytes[];
};

static void task_free(wa_task *t) {
  if (t->state == TASK_FAILED && !t->retrieved) {
    char text[700];
    int n = snprintf(text, sizeof text,
                     "%s exception was never retrieved: %s: %s: %s",
                     t->ops->type,
                     t->name, t->outcome->type, t->outcome->message);
    wa_host_report(text, n < (int)sizeof text ? n : (int)sizeof text - 1);
  }
  if (t->name != t->auto_name) free(t->name);
  wa_args_free(t->args);
  wa_value_clear(&t->result);
  wa__error_unref(t->outcome);
  wa__error_unref(t->err);
  wa__error_unref(t->resume_exc);
  free(t->cancel_msg);
  if (t->ops->free) t->ops->free(t->data);
  while (t->blocks) {
    struct wa_block *next = t->blocks->next;
    free(t->blocks);
    t->blocks = next;
  }
  release_room(t);
  free(t);
  wa__tasks_alive--;
}

void *wa_task_alloc(wa_task *t, size_t size) {
  if (!t) return wa_raise("TypeError", "wa_task_alloc: the task is NULL"), NULL;
  struct wa_block *b = size <= SIZE_MAX - sizeof *b ? wa__alloc(sizeof *b + size) : NULL;
  if (!b) return wa__nomem("wa_task_alloc"), NULL;
  b->next = t->blocks;
  t->blocks = b;
  return b->bytes;
}

void wa_task_release(wa_task *t) {
  if (t && --t->refs == 0) task_free(t);
}

wa_task *wa_task_current(void) { return wa__current; }
unsigned wa_task_id(const wa_task *t) { return t->id; }
const char *wa_task_name(const wa_task *t) { return t->name; }
bool wa_task_done(const wa_task *t) { return t->state != TASK_PENDING; }
bool wa_task_cancelled(const wa_task *t) { return t->state == TASK_CANCELLED; }

wa_error *wa__cancelled_error(const char *msg) {
  return wa__error_new("CancelledError", msg);
}

/* Task._make_cancelled_error. A task that ended by raising CancelledError
   hands that error (with its message) to the first who asks; later askers
   get a CancelledError without a message, as in CPython, where the task
   keeps the first and forgets the message. A future keeps its error. */
wa_error *wa__task_cancelled_error(wa_task *t) {
  if (t->state != TASK_CANCELLED) return wa__cancelled_error(t->cancel_msg);
  if (t->ops->future) return wa__error_ref(t->outcome);
  if (t->cancel_taken) return wa__cancelled_error(NULL);
  t->cancel_taken = true;
  return wa__error_ref(t->outcome);
}

/* What awaiting t raises: its error, or its CancelledError. */
static wa_error *outcome_error(wa_task *t) {
  if (t->state == TASK_CANCELLED) return wa__task_cancelled_error(t);
  return wa__error_ref(t->outcome);
}

wa_error *wa__task_error(wa_task *t) {
  if (t->state != TASK_FAILED) return NULL;
  t->retrieved = true;
  return t->outcome;
}

/* Records the outcome and queues the done callbacks, in order. */
void wa__task_finish(wa_task *t, wa_state state, wa_error *outcome) {
  t->state = state;
  untrack(t);
  if (!t->queued) release_room(t);
  t->outcome = outcome;
  wa__error_unref(t->err);
  t->err = NULL;
  for (wa_callback *cb = t->callbacks, *next; cb; cb = next) {
    next = cb->next;
    wa_task_retain(t);
    wa__ready_push(H_DONE_CB, t, cb);
  }
  t->callbacks = t->callbacks_tail = NULL;
  WA_TRACE(wa__trace_task(TRACE_ENDED, t));
}

void wa__task_end_with(wa_task *t, wa_error *e) {
  wa__task_finish(t, wa__error_is_cancel(e) ? TASK_CANCELLED : TASK_FAILED, e);
  wa_task_release(t);
}

/* ---- steps --------------------------------------------------------------- */

/* Forgets what a suspended task waits on, so that nothing wakes it after
   it was ended from outside. A step already queued holds its own
   reference and finds the task done. */
void wa__task_detach(wa_task *t) {
  if (t->waiting && t->waiting->forget) t->waiting->forget(t);
  t->waiting = NULL;
  wa_task_release(t->awaiting);
  t->awaiting = NULL;
}

/* Task.__step: deliver a pending cancel, then run the body by its kind. */
void wa__task_step(wa_task *t, wa_error *exc) {
  if (t->state != TASK_PENDING) {
    if (t->ops->late_step)
      t->ops->late_step(t, exc);
    else
      wa__error_unref(exc);
    return;
  }
  if (t->must_cancel) {
    if (!wa__error_is_cancel(exc)) {
      wa__error_unref(exc);
      exc = wa__cancelled_error(t->cancel_msg);
    }
    t->must_cancel = false;
  }
  t->waiting = NULL;
  wa_task_release(t->awaiting);
  t->awaiting = NULL;
  if (exc && !(t->ops->started && t->ops->started(t))) {
    /* thrown in before its first step: the body never runs */
    if (t->ops->dropped) t->ops->dropped(t);
    wa__task_end_with(t, exc);
    return;
  }
  WA_TRACE(wa__trace(TRACE_STEP, t, 0, exc != NULL, NULL, NULL));
  t->ops->step(t, exc);
}

/* ---- done callbacks ---------------------------------------------------- */

/* A callback with its room in the ready queue reserved; NULL: no memory. */
static wa_callback *callback_new(wa_callback init) {
  wa_callback *cb = wa__alloc(sizeof *cb);
  if (!cb) return NULL;
  if (wa__room_reserve(1, 0) < 0) {
    free(cb);
    return NULL;
  }
  *cb = init;
  return cb;
}

static void callback_free(wa_callback *cb) {
  wa__room_release(1, 0);
  free(cb);
}

static void add_callback(wa_task *t, wa_callback *cb) {
  if (t->state != TASK_PENDING) { /* already done: queued now, not inline */
    wa_task_retain(t);
    wa__ready_push(H_DONE_CB, t, cb);
    return;
  }
  if (t->callbacks_tail)
    t->callbacks_tail->next = cb;
  else
    t->callbacks = cb;
  t->callbacks_tail = cb;
}

int wa_task_add_done_callback(wa_task *t, wa_done_fn fn, void *arg) {
  if (!t || !fn) return wa_raise("TypeError", "add_done_callback: NULL task or function"), WA_EINVAL;
  wa_callback *cb = callback_new((wa_callback){.kind = CB_C, .fn = fn, .arg = arg});
  if (!cb) return wa__nomem("a done callback");
  add_callback(t, cb);
  return WA_OK;
}

int wa__task_add_host_callback(wa_task *t, int host_id) {
  wa_callback *cb = callback_new((wa_callback){.kind = CB_HOST, .host_id = host_id});
  if (!cb) return WA_ERROR;
  add_callback(t, cb);
  return WA_OK;
}

static int remove_callbacks(wa_task *t, bool (*match)(const wa_callback *, const void *),
                            const void *key);

static bool match_waiter(const wa_callback *cb, const void *waiter) {
  return cb->kind == CB_WAKEUP && cb->waiter == waiter;
}

static bool cancel_awaited(wa_task *t, const char *msg) {
  return wa_task_cancel(t->awaiting, msg);
}

static void forget_awaited(wa_task *t) { remove_callbacks(t->awaiting, match_waiter, t); }

/* Awaiting a task or future: a cancel goes to what is awaited. */
static const wa_waiter_ops task_waiter = {
    .what = "task", .cancel = cancel_awaited, .forget = forget_awaited};

int wa__task_wait_on(wa_task *waiter, wa_task *t) {
  wa_callback *cb = callback_new((wa_callback){.kind = CB_WAKEUP, .waiter = waiter});
  if (!cb) return wa__nomem("awaiting a task");
  add_callback(t, cb);
  waiter->waiting = &task_waiter;
  wa_task_retain(t);
  waiter->awaiting = t;
  wa__cancel_forward_pending(waiter);
  return WA_OK;
}

/* Removes every callback `match` accepts; returns how many. */
static int remove_callbacks(wa_task *t, bool (*match)(const wa_callback *, const void *),
                            const void *key) {
  int removed = 0;
  wa_callback **link = &t->callbacks, *last = NULL;
  while (*link) {
    wa_callback *cb = *link;
    if (match(cb, key)) {
      *link = cb->next;
      callback_free(cb);
      removed++;
    } else {
      last = cb;
      link = &cb->next;
    }
  }
  t->callbacks_tail = last;
  return removed;
}

typedef struct { wa_done_fn fn; void *arg; } c_key;

static bool match_c(const wa_callback *cb, const void *key) {
  const c_key *k = key;
  return cb->kind == CB_C && cb->fn == k->fn && cb->arg == k->arg;
}

static bool match_host(const wa_callback *cb, const void *key) {
  return cb->kind == CB_HOST && cb->host_id == *(const int *)key;
}

int wa_task_remove_done_callback(wa_task *t, wa_done_fn fn, void *arg) {
  c_key key = {fn, arg};
  return remove_callbacks(t, match_c, &key);
}

int wa__task_remove_host_callback(wa_task *t, int host_id) {
  return remove_callbacks(t, match_host, &host_id);
}

/* Task.__wakeup: the awaited task ended; resume the waiter with its
   outcome. */
static void wakeup(wa_task *waiter, wa_task *awaited) {
  awaited->retrieved = true;
  wa__task_step(waiter, awaited->state == TASK_DONE ? NULL : outcome_error(awaited));
}

void wa__task_run_callback(wa_task *t, wa_callback *cb) {
  switch (cb->kind) {
  case CB_WAKEUP:
    wakeup(cb->waiter, t);
    break;
  case CB_C:
    cb->fn(t, cb->arg);
    break;
  case CB_HOST:
    wa__loop_note_host_call();
    wa_host_callback(cb->host_id, t);
    break;
  }
  callback_free(cb);
  wa_task_release(t);
}

/* ---- awaiting and outcomes --------------------------------------------- */

/* Passes t's outcome to the caller: WA_OK, or t's error in the indicator. */
static int outcome_code(const wa_task *t) {
  ((wa_task *)t)->retrieved = true;
  return t->state == TASK_DONE ? WA_OK : wa__error_set(outcome_error((wa_task *)t));
}

wa_error *wa__self_await_error(wa_task *t) {
  char msg[160];
  snprintf(msg, sizeof msg, "Task cannot await on itself: %s", t->name);
  return wa__error_new("RuntimeError", msg);
}

int wa_task_join(wa_task *t) {
  wa_task *self = wa__current;
  if (!t) return wa_raise("TypeError", "wa_task_join: the task is NULL"), WA_EINVAL;
  if (!self) return wa_raise("RuntimeError", "wa_task_join called outside a task"), WA_ESTATE;
  if (t == self) {
    wa__ready_push(H_STEP, self, wa__self_await_error(self));
    return wa__task_suspend(self);
  }
  if (t->state == TASK_PENDING) {
    if (wa__task_wait_on(self, t) < 0) return WA_ERROR;
    int rc = wa__task_suspend(self);
    if (rc < 0 || t->state == TASK_PENDING) return rc;
  }
  return outcome_code(t);
}

int wa_task_result(const wa_task *t, wa_value *out) {
  if (t->state == TASK_PENDING)
    return wa_raise("InvalidStateError", "Result is not set."), WA_ESTATE;
  int rc = outcome_code(t);
  if (rc == WA_OK && out) *out = t->result;
  return rc;
}

int wa_task_exception(const wa_task *t, const wa_error **out) {
  if (t->state == TASK_PENDING)
    return wa_raise("InvalidStateError", "Exception is not set."), WA_ESTATE;
  if (t->state == TASK_CANCELLED) return outcome_code(t);
  ((wa_task *)t)->retrieved = true;
  if (out) *out = t->outcome;
  return WA_OK;
}

/* Sets t's result to a copy of v (which may be t's own result: the copy
   is made first); false, the result unchanged, when a string or bytes
   cannot be copied. */
bool wa__task_set_value(wa_task *t, wa_value v) {
  wa_value copy;
  if (!wa__value_copy(&copy, v)) return false;
  wa_value_clear(&t->result);
  t->result = copy;
  return true;
}

int wa_return_value(wa_task *self, const wa_value *value) {
  if (!self || !value) return wa_raise("RuntimeError", "no task or value to return"), WA_ESTATE;
  return wa__task_set_value(self, *value) ? WA_OK : wa__nomem("the task's result");
}

int wa_return_number(wa_task *self, double value) {
  return wa_return_value(self, &(wa_value){.kind = WA_NUMBER, .number = value});
}

int wa_return_string(wa_task *self, const char *value) {
  return wa_return_value(self, &(wa_value){.kind = WA_STRING, .string = value});
}
