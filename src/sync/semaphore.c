/*
 * semaphore.c: asyncio.Semaphore and BoundedSemaphore.
 *
 * As in CPython 3.13, a release hands its unit to the first waiter at once
 * (value goes back down as the waiter is woken), so a newcomer cannot
 * take it first; a waiter cancelled after it was woken gives the unit
 * back, and whoever finishes an acquire passes any spare units on.
 */
#include <stdlib.h>

#include "sync.h"

struct wa_semaphore {
  wa_object base;
  int value;
  int bound; /* BoundedSemaphore's initial value; -1: unbounded */
  wa_waiters waiters;
};

static void destroy(wa_object *o) {
  wa_semaphore *s = (wa_semaphore *)o;
  wa__waiters_clear(&s->waiters);
  free(s);
}

const wa_object_kind wa__semaphore_kind = {.name = "Semaphore", .destroy = destroy};

static wa_semaphore *make(int value, int bound) {
  if (value < 0) return wa_raise("ValueError", "Semaphore initial value must be >= 0"), NULL;
  wa_semaphore *s = wa__alloc(sizeof *s);
  if (!s) return wa__nomem("a semaphore"), NULL;
  s->base = (wa_object){.kind = &wa__semaphore_kind, .refs = 1};
  s->value = value;
  s->bound = bound;
  return s;
}

wa_semaphore *wa_semaphore_new(int value) { return make(value, -1); }
wa_semaphore *wa_bounded_semaphore_new(int value) { return make(value, value); }

void wa_semaphore_free(wa_semaphore *s) { wa__object_release(s ? &s->base : NULL); }

int wa_semaphore_value(const wa_semaphore *s) { return s->value; }

bool wa_semaphore_locked(const wa_semaphore *s) {
  if (s->value == 0) return true;
  for (const wa_waiter *w = s->waiters.head; w; w = w->next)
    if (!wa__waiter_cancelled(w)) return true;
  return false;
}

/* Semaphore._wake_up_next: the first waiter not done gets a unit. */
static bool wake_up_next(wa_semaphore *s) {
  for (wa_waiter *w = s->waiters.head; w; w = w->next) {
    if (wa__waiter_done(w)) continue;
    s->value--;
    wa__waiter_wake(w);
    return true;
  }
  return false;
}

int wa__semaphore_acquire_step(wa_op *op, int rc) {
  wa_semaphore *s = (wa_semaphore *)op->obj;
  if (rc == OP_START) {
    if (!wa_semaphore_locked(s)) {
      s->value--;
      return WA_OK;
    }
    if (!(op->w = wa__waiter_add(&s->waiters, "Semaphore.acquire"))) return WA_ERROR;
    op->fut = op->w->fut;
    return OP_AWAIT;
  }
  bool given = wa__waiter_done(op->w) && !wa__waiter_cancelled(op->w);
  wa__waiter_free(&s->waiters, op->w);
  op->w = NULL;
  if (rc < 0 && wa_error_matches("CancelledError") && given) s->value++; /* hand it back */
  while (s->value > 0 && wake_up_next(s)) {
  }
  return rc;
}

int wa_semaphore_acquire(wa_semaphore *s) {
  if (!s) return wa_raise("TypeError", "wa_semaphore_acquire: the semaphore is NULL"), WA_EINVAL;
  wa_op op = {.step = wa__semaphore_acquire_step, .obj = &s->base};
  return wa__op_run(&op);
}

int wa_semaphore_release(wa_semaphore *s) {
  if (!s) return wa_raise("TypeError", "wa_semaphore_release: the semaphore is NULL"), WA_EINVAL;
  if (s->bound >= 0 && s->value >= s->bound)
    return wa_raise("ValueError", "BoundedSemaphore released too many times"), WA_EINVAL;
  s->value++;
  wake_up_next(s);
  return WA_OK;
}
