/*
 * future.c: futures, after asyncio.Future.
 *
 * A future is a task with no body: nothing steps it, code ends it (gather's
 * outer future, shield's outer future, a task group's "all done" future).
 * Being a wa_task, it is awaited with wa_task_join, takes done callbacks
 * and reports its outcome like any task, so each of those needs no new
 * waiting machinery.
 */
#include <stdio.h>

#include "internal.h"

const wa_task_ops wa__future_ops = {
    .type = "Future", .future = true, .cancel = wa__future_cancel};

wa_task *wa__future_new(const char *name, const wa_task_ops *ops, void *data) {
  wa_task *f = wa__task_alloc(name, ops ? ops : &wa__future_ops);
  if (!f) return NULL;
  f->data = data;
  WA_TRACE(wa__trace_task(TRACE_CREATED, f));
  return f;
}

/* Ends f and gives back the runtime's reference. */
static void end(wa_task *f, wa_state state, wa_error *e) {
  wa__task_finish(f, state, e);
  wa_task_release(f);
}

void wa__future_set_result(wa_task *f, wa_value v) {
  if (f->state != TASK_PENDING) return;
  if (wa__task_set_value(f, v))
    end(f, TASK_DONE, NULL);
  else
    end(f, TASK_FAILED, wa__error_nomem());
}

void wa__future_set_error(wa_task *f, wa_error *e) {
  if (f->state != TASK_PENDING) {
    wa__error_unref(e);
    return;
  }
  end(f, wa__error_is_cancel(e) ? TASK_CANCELLED : TASK_FAILED, e);
}

void wa__future_set_exception(wa_task *f, wa_error *e) {
  if (f->state != TASK_PENDING) {
    wa__error_unref(e);
    return;
  }
  end(f, TASK_FAILED, e);
}

void wa__future_discard(wa_task *f) {
  wa__future_cancel(f, NULL);
  wa_task_release(f);
}

bool wa__future_cancel(wa_task *f, const char *msg) {
  if (f->state != TASK_PENDING) return false;
  end(f, TASK_CANCELLED, wa__cancelled_error(msg));
  return true;
}
