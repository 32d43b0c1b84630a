/*
 * event.c: asyncio.Event.
 *
 * set() wakes every waiter; a waiter woken and then cancelled before it
 * ran still fails with CancelledError, and wakes nobody else (they were
 * all woken).
 */
#include <stdlib.h>

#include "sync.h"

struct wa_event {
  wa_object base;
  bool value;
  wa_waiters waiters;
};

static void destroy(wa_object *o) {
  wa_event *e = (wa_event *)o;
  wa__waiters_clear(&e->waiters);
  free(e);
}

const wa_object_kind wa__event_kind = {.name = "Event", .destroy = destroy};

wa_event *wa_event_new(void) {
  wa_event *e = wa__alloc(sizeof *e);
  if (!e) return wa__nomem("an event"), NULL;
  e->base = (wa_object){.kind = &wa__event_kind, .refs = 1};
  return e;
}

void wa_event_free(wa_event *e) { wa__object_release(e ? &e->base : NULL); }

bool wa_event_is_set(const wa_event *e) { return e->value; }

void wa_event_set(wa_event *e) {
  if (e->value) return;
  e->value = true;
  for (wa_waiter *w = e->waiters.head; w; w = w->next) wa__waiter_wake(w);
}

void wa_event_clear(wa_event *e) { e->value = false; }

/* Event.wait, from rc OP_START or after awaiting *fut. */
int wa__event_waiting(wa_event *e, wa_waiter **w, int rc, wa_task **fut) {
  if (rc == OP_START) {
    if (e->value) return WA_OK;
    if (!(*w = wa__waiter_add(&e->waiters, "Event.wait"))) return WA_ERROR;
    *fut = (*w)->fut;
    return OP_AWAIT;
  }
  wa__waiter_free(&e->waiters, *w);
  *w = NULL;
  return rc;
}

int wa__event_wait_step(wa_op *op, int rc) {
  return wa__event_waiting((wa_event *)op->obj, &op->w, rc, &op->fut);
}

int wa_event_wait(wa_event *e) {
  if (!e) return wa_raise("TypeError", "wa_event_wait: the event is NULL"), WA_EINVAL;
  wa_op op = {.step = wa__event_wait_step, .obj = &e->base};
  return wa__op_run(&op);
}
