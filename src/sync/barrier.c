/*
 * barrier.c: asyncio.Barrier.
 *
 * CPython builds it on a Condition, and so does this: parties arrive,
 * the last one switches the barrier to draining and wakes the rest, and
 * the barrier fills again once all have left. Every state change happens
 * with the condition's lock held, which a wait, a reset and an abort each
 * take first (and so may wait for).
 */
#include <stdlib.h>

#include "sync.h"

typedef enum { FILLING, DRAINING, RESETTING, BROKEN } barrier_state;

struct wa_barrier {
  wa_object base;
  wa_condition *cond;
  int parties;
  int count; /* tasks inside wait() */
  barrier_state state;
};

static void destroy(wa_object *o) {
  wa_barrier *b = (wa_barrier *)o;
  wa_condition_free(b->cond);
  free(b);
}

const wa_object_kind wa__barrier_kind = {.name = "Barrier", .destroy = destroy};

wa_barrier *wa_barrier_new(int parties) {
  if (parties < 1) return wa_raise("ValueError", "parties must be > 0"), NULL;
  wa_barrier *b = wa__alloc(sizeof *b);
  if (!b) return wa__nomem("a barrier"), NULL;
  if (!(b->cond = wa_condition_new(NULL))) {
    free(b);
    return NULL;
  }
  b->base = (wa_object){.kind = &wa__barrier_kind, .refs = 1};
  b->parties = parties;
  return b;
}

void wa_barrier_free(wa_barrier *b) { wa__object_release(b ? &b->base : NULL); }

int wa_barrier_parties(const wa_barrier *b) { return b->parties; }
int wa_barrier_n_waiting(const wa_barrier *b) { return b->state == FILLING ? b->count : 0; }
bool wa_barrier_broken(const wa_barrier *b) { return b->state == BROKEN; }

/* Where a barrier op stopped. */
enum { B_LOCKING = 1, B_BLOCKING, B_WAITING };

/* `async with self._cond` ends: the lock goes back (when a failed
   re-acquire left it free, there is nothing to give back). */
static int unlock(wa_barrier *b, int rc) {
  wa_lock *l = wa__condition_lock(b->cond);
  if (wa_lock_locked(l)) wa_lock_release(l);
  return rc;
}

/* Barrier._exit, in wait's `finally`. */
static int leave(wa_barrier *b, int rc) {
  b->count--;
  if (b->count == 0) {
    if (b->state == RESETTING || b->state == DRAINING) b->state = FILLING;
    wa__condition_notify_all_held(b->cond);
  }
  return unlock(b, rc);
}

/* wait_for(pred) on the condition: OP_AWAIT, or WA_OK once pred holds. */
static int wait_until(wa_barrier *b, wa_op *op, bool draining_done, int rc) {
  for (;;) {
    if (rc == OP_START) {
      bool ok = draining_done ? (b->state != DRAINING && b->state != RESETTING) : b->state != FILLING;
      if (ok) return WA_OK;
    }
    rc = wa__cond_waiting(b->cond, &op->cw, rc, &op->fut);
    if (rc != WA_OK) return rc; /* OP_AWAIT, or failed */
    rc = OP_START;              /* woken: check again */
  }
}

/* After the lock is held: _block, then arrive. */
static int arrive(wa_barrier *b, wa_op *op, int rc) {
  if (op->at == B_LOCKING || op->at == B_BLOCKING) {
    op->at = B_BLOCKING;
    rc = wait_until(b, op, true, rc);
    if (rc == OP_AWAIT) return rc;
    if (rc < 0) return unlock(b, rc);
    if (b->state == BROKEN) return unlock(b, wa_raise("BrokenBarrierError", "Barrier aborted"));
    op->index = b->count++;
    if (op->index + 1 == b->parties) { /* _release */
      b->state = DRAINING;
      wa__condition_notify_all_held(b->cond);
      return leave(b, WA_OK);
    }
    op->at = B_WAITING;
    rc = OP_START;
  }
  rc = wait_until(b, op, false, rc);
  if (rc == OP_AWAIT) return rc;
  if (rc == WA_OK && (b->state == BROKEN || b->state == RESETTING))
    rc = wa_raise("BrokenBarrierError", "Abort or reset of barrier");
  return leave(b, rc);
}

int wa__barrier_wait_step(wa_op *op, int rc) {
  wa_barrier *b = (wa_barrier *)op->obj;
  if (rc == OP_START) op->at = B_LOCKING;
  if (op->at == B_LOCKING) {
    rc = wa__lock_acquiring(wa__condition_lock(b->cond), &op->acq, rc, &op->fut);
    if (rc != WA_OK) return rc;
    rc = OP_START;
  }
  return arrive(b, op, rc);
}

/* reset and abort: under the lock, then change the state and wake all. */
static int under_lock(wa_op *op, int rc, void (*change)(wa_barrier *b)) {
  wa_barrier *b = (wa_barrier *)op->obj;
  rc = wa__lock_acquiring(wa__condition_lock(b->cond), &op->acq, rc, &op->fut);
  if (rc != WA_OK) return rc;
  change(b);
  wa__condition_notify_all_held(b->cond);
  return unlock(b, WA_OK);
}

static void to_reset(wa_barrier *b) {
  b->state = b->count > 0 ? RESETTING : FILLING;
}

static void to_broken(wa_barrier *b) { b->state = BROKEN; }

int wa__barrier_reset_step(wa_op *op, int rc) { return under_lock(op, rc, to_reset); }
int wa__barrier_abort_step(wa_op *op, int rc) { return under_lock(op, rc, to_broken); }

static int run(wa_barrier *b, int (*step)(wa_op *, int), const char *what, int *index) {
  if (!b) return wa_raise("TypeError", "%s: the barrier is NULL", what), WA_EINVAL;
  wa_op op = {.step = step, .obj = &b->base};
  int rc = wa__op_run(&op);
  if (rc == WA_OK && index) *index = op.index;
  return rc;
}

int wa_barrier_wait(wa_barrier *b, int *index) { return run(b, wa__barrier_wait_step, "wa_barrier_wait", index); }
int wa_barrier_reset(wa_barrier *b) { return run(b, wa__barrier_reset_step, "wa_barrier_reset", NULL); }
int wa_barrier_abort(wa_barrier *b) { return run(b, wa__barrier_abort_step, "wa_barrier_abort", NULL); }
