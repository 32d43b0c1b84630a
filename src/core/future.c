/*
 * future.c: futures, after asyncio.Future.
 *
 * A future is a task with no body: nothing steps it, code ends it (gather's
 * outer future, shield's outer future, a task group's "all done" future,
 * a host call's, or one of the user's: wa_future_new). Being a wa_task, it
 * is awaited with wa_task_join, takes done callbacks and reports its
 * outcome like any task, so each of those needs no new waiting machinery.
 *
 * The runtime's own futures hold a reference for the runtime until they
 * end. A user's future does not: like an asyncio.Future nobody refers to,
 * it goes when its last reference does (a task joining it holds one).
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

/* ---- the user's futures ---------------------------------------------------- */

static bool user_cancel(wa_task *f, const char *msg) {
  if (f->state != TASK_PENDING) return false;
  wa__task_finish(f, TASK_CANCELLED, wa__cancelled_error(msg));
  return true;
}

static const wa_task_ops user_ops = {.type = "Future", .future = true, .cancel = user_cancel};

wa_task *wa_future_new(const char *name) {
  wa_task *f = wa__future_new(name ? name : "future", &user_ops, NULL);
  if (!f) return wa__nomem("a future"), NULL;
  wa_task_release(f); /* the runtime's: the caller's is the only one */
  return f;
}

/* May code end f? InvalidStateError when it is done, as in asyncio;
   RuntimeError when it is not the user's (a task, or one the runtime ends). */
static int check_settable(wa_task *f, const char *what) {
  if (!f) return wa_raise("TypeError", "%s: the future is NULL", what), WA_EINVAL;
  if (f->ops != &user_ops)
    return wa_raise("RuntimeError", "%s %s does not support %s", f->ops->type, f->name, what), WA_ESTATE;
  if (f->state == TASK_PENDING) return WA_OK;
  wa_raise("InvalidStateError", "invalid state"); /* CPython's words */
  return WA_ESTATE;
}

int wa_future_set_result(wa_task *f, const wa_value *value) {
  int rc = check_settable(f, "set_result");
  if (rc < 0) return rc;
  if (!wa__task_set_value(f, value ? *value : (wa_value){.kind = WA_NONE})) return wa__nomem("the future's result");
  wa__task_finish(f, TASK_DONE, NULL);
  return WA_OK;
}

int wa_future_set_exception(wa_task *f, wa_error *e) {
  int rc = check_settable(f, "set_exception");
  if (rc < 0 || !e) {
    wa__error_unref(e);
    return rc < 0 ? rc : (wa_raise("TypeError", "set_exception: the error is NULL"), WA_EINVAL);
  }
  wa__task_finish(f, TASK_FAILED, e); /* a CancelledError too: finished, not cancelled */
  return WA_OK;
}
