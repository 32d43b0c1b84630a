/*
 * lock.c: asyncio.Lock.
 *
 * Fair: a release wakes the first waiter, and a newcomer does not take the
 * lock while a waiter that is not cancelled is queued, even in the moment
 * between the release and the woken waiter's next step.
 */
#include <stdlib.h>

#include "sync.h"

struct wa_lock {
  wa_object base;
  bool locked;
  wa_waiters waiters;
};

static void destroy(wa_object *o) {
  wa_lock *l = (wa_lock *)o;
  wa__waiters_clear(&l->waiters);
  free(l);
}

const wa_object_kind wa__lock_kind = {.name = "Lock", .destroy = destroy};

wa_lock *wa_lock_new(void) {
  wa_lock *l = wa__alloc(sizeof *l);
  if (!l) return wa__nomem("a lock"), NULL;
  l->base = (wa_object){.kind = &wa__lock_kind, .refs = 1};
  return l;
}

void wa_lock_free(wa_lock *l) { wa__object_release(l ? &l->base : NULL); }

bool wa_lock_locked(const wa_lock *l) { return l->locked; }

/* Lock._wake_up_first: only the first waiter, even when it is done. */
static void wake_up_first(wa_lock *l) {
  if (l->waiters.head) wa__waiter_wake(l->waiters.head);
}

static bool all_cancelled(const wa_waiters *list) {
  for (const wa_waiter *w = list->head; w; w = w->next)
    if (!wa__waiter_cancelled(w)) return false;
  return true;
}

/* Lock.acquire, from rc OP_START or after awaiting *fut. */
int wa__lock_acquiring(wa_lock *l, wa_acquiring *s, int rc, wa_task **fut) {
  if (rc == OP_START) {
    if (!l->locked && all_cancelled(&l->waiters)) {
      l->locked = true;
      return WA_OK;
    }
    if (!(s->w = wa__waiter_add(&l->waiters, "Lock.acquire"))) return WA_ERROR;
    *fut = s->w->fut;
    return OP_AWAIT;
  }
  wa__waiter_free(&l->waiters, s->w);
  s->w = NULL;
  if (rc < 0) {
    /* Woken, then cancelled before it ran: the wake-up goes to the next. */
    if (wa_error_matches("CancelledError") && !l->locked) wake_up_first(l);
    return rc;
  }
  l->locked = true;
  return WA_OK;
}

int wa__lock_acquire_step(wa_op *op, int rc) {
  return wa__lock_acquiring((wa_lock *)op->obj, &op->acq, rc, &op->fut);
}

int wa_lock_acquire(wa_lock *l) {
  if (!l) return wa_raise("TypeError", "wa_lock_acquire: the lock is NULL"), WA_EINVAL;
  wa_op op = {.step = wa__lock_acquire_step, .obj = &l->base};
  return wa__op_run(&op);
}

int wa_lock_release(wa_lock *l) {
  if (!l) return wa_raise("TypeError", "wa_lock_release: the lock is NULL"), WA_EINVAL;
  if (!l->locked) return wa_raise("RuntimeError", "Lock is not acquired."), WA_ESTATE;
  l->locked = false;
  wake_up_first(l);
  return WA_OK;
}
