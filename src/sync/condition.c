/*
 * condition.c: asyncio.Condition.
 *
 * wait() releases the lock, waits for a notify, and then takes the lock
 * back whatever happened meanwhile: cancelled during the wait, it still
 * re-acquires before it fails (each cancel of the re-acquire is noted and
 * the acquire retried), and a waiter that fails passes one notify on, so
 * that a notify is not lost on a task that will not act on it.
 */
#include <stdlib.h>

#include "sync.h"

struct wa_condition {
  wa_object base;
  wa_lock *lock; /* a reference */
  wa_waiters waiters;
};

static void destroy(wa_object *o) {
  wa_condition *c = (wa_condition *)o;
  wa__waiters_clear(&c->waiters);
  wa_lock_free(c->lock);
  free(c);
}

const wa_object_kind wa__condition_kind = {.name = "Condition", .destroy = destroy};

wa_condition *wa_condition_new(wa_lock *lock) {
  wa_condition *c = wa__alloc(sizeof *c);
  if (!c) return wa__nomem("a condition"), NULL;
  if (lock) {
    wa__object_retain((wa_object *)lock);
  } else if (!(lock = wa_lock_new())) {
    free(c);
    return NULL;
  }
  c->base = (wa_object){.kind = &wa__condition_kind, .refs = 1};
  c->lock = lock;
  return c;
}

void wa_condition_free(wa_condition *c) { wa__object_release(c ? &c->base : NULL); }

bool wa_condition_locked(const wa_condition *c) { return wa_lock_locked(c->lock); }

int wa_condition_acquire(wa_condition *c) {
  if (!c) return wa_raise("TypeError", "wa_condition_acquire: the condition is NULL"), WA_EINVAL;
  return wa_lock_acquire(c->lock);
}

int wa_condition_release(wa_condition *c) {
  if (!c) return wa_raise("TypeError", "wa_condition_release: the condition is NULL"), WA_EINVAL;
  return wa_lock_release(c->lock);
}

int wa__condition_acquire_step(wa_op *op, int rc) {
  return wa__lock_acquiring(((wa_condition *)op->obj)->lock, &op->acq, rc, &op->fut);
}

/* Condition._notify: wakes the first n waiters not done. */
static void notify(wa_condition *c, int n) {
  int woken = 0;
  for (wa_waiter *w = c->waiters.head; w && woken < n; w = w->next) {
    if (wa__waiter_done(w)) continue;
    woken++;
    wa__waiter_wake(w);
  }
}

enum { CW_WAITING = 1, CW_ACQUIRING };

/* The `finally` that takes the lock back, from its first try (rc
   OP_START) or after an acquire's await. */
static int reacquire(wa_condition *c, wa_cond_waiting *s, int rc, wa_task **fut) {
  for (;;) {
    rc = wa__lock_acquiring(c->lock, &s->acq, rc, fut);
    if (rc == OP_AWAIT) return OP_AWAIT;
    if (rc < 0 && wa_error_matches("CancelledError")) {
      wa_error_release(s->last);
      s->last = wa_error_fetch(); /* noted; acquire again */
      rc = OP_START;
      continue;
    }
    break;
  }
  wa_error *e;
  if (rc < 0) { /* failed otherwise (no memory): that error wins */
    e = wa_error_fetch();
    wa_error_release(s->last);
    wa_error_release(s->raised);
  } else if (s->last) { /* the most recent cancel wins over the wait's */
    e = s->last;
    wa_error_release(s->raised);
  } else {
    e = s->raised;
  }
  s->last = s->raised = NULL;
  if (!e) return WA_OK;
  notify(c, 1); /* `except BaseException: self._notify(1)` */
  return wa_error_restore(e);
}

int wa__cond_waiting(wa_condition *c, wa_cond_waiting *s, int rc, wa_task **fut) {
  if (rc == OP_START) {
    if (!wa_lock_locked(c->lock)) return wa_raise("RuntimeError", "cannot wait on un-acquired lock"), WA_ESTATE;
    /* The waiter first, so that out of memory the lock stays held. */
    if (!(s->w = wa__waiter_add(&c->waiters, "Condition.wait"))) return WA_ERROR;
    wa_lock_release(c->lock);
    s->at = CW_WAITING;
    *fut = s->w->fut;
    return OP_AWAIT;
  }
  if (s->at == CW_WAITING) {
    wa__waiter_free(&c->waiters, s->w);
    s->w = NULL;
    s->raised = rc < 0 ? wa_error_fetch() : NULL;
    s->at = CW_ACQUIRING;
    rc = OP_START;
  }
  return reacquire(c, s, rc, fut);
}

int wa__condition_wait_step(wa_op *op, int rc) {
  return wa__cond_waiting((wa_condition *)op->obj, &op->cw, rc, &op->fut);
}

int wa_condition_wait(wa_condition *c) {
  if (!c) return wa_raise("TypeError", "wa_condition_wait: the condition is NULL"), WA_EINVAL;
  wa_op op = {.step = wa__condition_wait_step, .obj = &c->base};
  return wa__op_run(&op);
}

/* pred is called with the lock held and must not suspend. */
int wa_condition_wait_for(wa_condition *c, bool (*pred)(void *arg), void *arg) {
  if (!c || !pred) return wa_raise("TypeError", "wa_condition_wait_for: NULL %s", c ? "predicate" : "condition"), WA_EINVAL;
  while (!pred(arg)) {
    int rc = wa_condition_wait(c);
    if (rc < 0) return rc;
  }
  return WA_OK;
}

int wa_condition_notify(wa_condition *c, int n) {
  if (!c) return wa_raise("TypeError", "wa_condition_notify: the condition is NULL"), WA_EINVAL;
  if (!wa_lock_locked(c->lock)) return wa_raise("RuntimeError", "cannot notify on un-acquired lock"), WA_ESTATE;
  notify(c, n);
  return WA_OK;
}

int wa_condition_notify_all(wa_condition *c) {
  return wa_condition_notify(c, c ? c->waiters.count : 0);
}

/* For the barrier, which holds the lock by construction. */
void wa__condition_notify_all_held(wa_condition *c) { notify(c, c->waiters.count); }
wa_lock *wa__condition_lock(wa_condition *c) { return c->lock; }
