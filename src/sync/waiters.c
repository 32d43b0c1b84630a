/*
 * waiters.c: the waiter lists every primitive keeps, and running a
 * primitive's machine (a wa_op) on a C task.
 *
 * A waiter is a future of its own (what a task awaits, so cancelling the
 * task cancels it, as in CPython) and a node of a doubly linked list, on
 * the heap: the list is walked by other tasks while the waiting one is
 * suspended, when its stack is elsewhere.
 */
#include <stdlib.h>

#include "sync.h"

wa_waiter *wa__waiter_add(wa_waiters *list, const char *what) {
  wa_waiter *w = wa__alloc(sizeof *w);
  if (!w) return wa__nomem("a waiter"), NULL;
  wa_task *fut = wa_future_new(what); /* MemoryError raised when NULL */
  if (!fut) {
    free(w);
    return NULL;
  }
  w->fut = fut;
  w->prev = list->tail;
  if (list->tail)
    list->tail->next = w;
  else
    list->head = w;
  list->tail = w;
  w->linked = true;
  list->count++;
  return w;
}

void wa__waiter_unlink(wa_waiters *list, wa_waiter *w) {
  if (!w->linked) return;
  if (w->prev)
    w->prev->next = w->next;
  else
    list->head = w->next;
  if (w->next)
    w->next->prev = w->prev;
  else
    list->tail = w->prev;
  w->prev = w->next = NULL;
  w->linked = false;
  list->count--;
}

void wa__waiter_free(wa_waiters *list, wa_waiter *w) {
  if (!w) return;
  wa__waiter_unlink(list, w);
  wa_task_release(w->fut);
  free(w);
}

void wa__waiters_clear(wa_waiters *list) {
  while (list->head) wa__waiter_free(list, list->head);
}

void wa__waiter_wake(wa_waiter *w) {
  if (!wa__waiter_done(w)) wa_future_set_result(w->fut, NULL); /* needs no memory */
}

bool wa__waiter_done(const wa_waiter *w) { return w->fut->state != TASK_PENDING; }

bool wa__waiter_cancelled(const wa_waiter *w) { return w->fut->state == TASK_CANCELLED; }

/* ---- running an op on a C task ------------------------------------------- */

int wa__op_run(wa_op *op) {
  if (!wa__current)
    return wa_raise("RuntimeError", "%s: waiting needs a running task", op->obj->kind->name), WA_ESTATE;
  wa__object_retain(op->obj);
  int rc = op->step(op, OP_START);
  while (rc == OP_AWAIT) rc = op->step(op, wa_task_join(op->fut));
  wa__object_release(op->obj);
  return rc;
}
