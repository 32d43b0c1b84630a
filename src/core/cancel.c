/*
 * cancel.c: cancellation, after CPython 3.13's Task.cancel.
 *
 * cancel() only records a request. If the task is suspended on something
 * that can itself be cancelled (its sleep, the task it awaits), the request
 * goes there and comes back as that thing's CancelledError; otherwise it
 * waits in must_cancel and is thrown in at the task's next step.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* CPython's `self._fut_waiter.cancel(msg)`. */
static bool cancel_waiter(wa_task *t, const char *msg) {
  return t->waiting && t->waiting->cancel && t->waiting->cancel(t, msg);
}

bool wa_task_cancel(wa_task *t, const char *msg) {
  if (!t) return false;
  /* Task.cancel clears _log_traceback before it looks at done(): asking
     to cancel a failed task counts as having seen its exception. */
  t->retrieved = true;
  if (t->state != TASK_PENDING) return false;
  WA_TRACE(wa__trace(TRACE_CANCEL, t, 0, 0, NULL, msg));
  if (t->ops->cancel) return t->ops->cancel(t, msg); /* a future's own */
  /* Tasks awaiting each other in a cycle would pass the request round for
     ever (CPython: RecursionError). Once round is enough: the cycle is a
     deadlock either way, and the runtime stays sound. */
  if (t->cancel_passing) return true;
  t->num_cancels++;
  if (t->ops->cancel_requested) t->ops->cancel_requested(t);
  t->cancel_passing = true;
  bool passed = cancel_waiter(t, msg);
  t->cancel_passing = false;
  if (passed) return true;
  t->must_cancel = true;
  free(t->cancel_msg);
  t->cancel_msg = msg ? wa__strdup(msg) : NULL;
  return true;
}

void wa__cancel_forward_pending(wa_task *t) {
  if (t->must_cancel && cancel_waiter(t, t->cancel_msg)) t->must_cancel = false;
}

int wa_task_cancelling(const wa_task *t) { return t->num_cancels; }

int wa_task_uncancel(wa_task *t) {
  if (t->num_cancels > 0 && --t->num_cancels == 0) t->must_cancel = false;
  return t->num_cancels;
}
