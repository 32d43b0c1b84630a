/*
 * timeout.c: asyncio.timeout (3.13) and wait_for.
 *
 * A timeout scope arms a handle that, at the deadline, cancels the task
 * that entered it. At exit, a scope that fired converts the task's
 * CancelledError into TimeoutError, but only if no other cancel request
 * arrived meanwhile: it remembers cancelling() on entry and compares after
 * uncancel(). That is what makes nested scopes with one deadline raise
 * only in the outermost, and lets an outside cancel through (T3, T4).
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

typedef enum { TO_CREATED, TO_ENTERED, TO_EXPIRING, TO_EXPIRED, TO_EXITED } to_state;
static const char *const state_names[] = {"created", "active", "expiring", "expired", "finished"};

struct wa_timeout {
  to_state state;
  double when;       /* loop time; INFINITY: no deadline */
  wa_timer *handler; /* armed: cancels the task at `when` */
  wa_task *task;
  int cancelling;    /* the task's cancelling() on entry */
};

wa_timeout *wa_timeout_new(double delay_ms) {
  wa_timeout *to = wa__alloc(sizeof *to);
  if (!to) return wa__nomem("a timeout"), NULL;
  to->when = isnan(delay_ms) ? NAN : wa_time() + delay_ms;
  return to;
}

static void on_timeout(void *arg) {
  wa_timeout *to = arg;
  to->handler = NULL; /* the loop frees it */
  wa_task_cancel(to->task, NULL);
  to->state = TO_EXPIRING;
}

static void disarm(wa_timeout *to) {
  if (to->handler) wa__call_cancel(to->handler);
  to->handler = NULL;
}

int wa_timeout_reschedule(wa_timeout *to, double when) {
  if (!to) return wa_raise("TypeError", "wa_timeout_reschedule: the timeout is NULL"), WA_EINVAL;
  if (isnan(when)) return wa_raise("ValueError", "Invalid deadline: NaN (not a number)"), WA_EINVAL;
  if (to->state == TO_CREATED) return wa_raise("RuntimeError", "Timeout has not been entered"), WA_ESTATE;
  if (to->state != TO_ENTERED)
    return wa_raise("RuntimeError", "Cannot change state of %s Timeout", state_names[to->state]), WA_ESTATE;
  to->when = when;
  disarm(to);
  if (when == INFINITY) return WA_OK;
  to->handler = when <= wa_time() ? wa__call_soon(on_timeout, to) : wa__call_at(when, on_timeout, to);
  return to->handler ? WA_OK : wa__nomem("a timeout's timer");
}

int wa_timeout_enter(wa_timeout *to) {
  if (!to) return wa_raise("TypeError", "wa_timeout_enter: the timeout is NULL"), WA_EINVAL;
  if (isnan(to->when)) return wa_raise("ValueError", "Invalid delay: NaN (not a number)"), WA_EINVAL;
  if (to->state != TO_CREATED) return wa_raise("RuntimeError", "Timeout has already been entered"), WA_ESTATE;
  if (!wa__current) return wa_raise("RuntimeError", "Timeout should be used inside a task"), WA_ESTATE;
  to->state = TO_ENTERED;
  to->task = wa__current;
  wa_task_retain(to->task);
  to->cancelling = wa_task_cancelling(to->task);
  int rc = wa_timeout_reschedule(to, to->when);
  if (rc < 0) { /* no deadline could be armed: not entered */
    to->state = TO_CREATED;
    wa_task_release(to->task);
    to->task = NULL;
  }
  return rc;
}

int wa_timeout_exit(wa_timeout *to, int body_rc) {
  if (to && to->state == TO_CREATED && body_rc < 0) return body_rc; /* enter's error goes on */
  if (!to || (to->state != TO_ENTERED && to->state != TO_EXPIRING))
    return wa_raise("RuntimeError", "Timeout cannot exit: it is %s",
                    to ? state_names[to->state] : "NULL"), WA_ESTATE;
  disarm(to);
  if (to->state == TO_ENTERED) {
    to->state = TO_EXITED;
    return body_rc;
  }
  to->state = TO_EXPIRED;
  /* Ours was the only cancel request: the body's CancelledError is ours. */
  if (wa_task_uncancel(to->task) <= to->cancelling && body_rc < 0 &&
      wa__error_is_cancel(*wa__indicator()))
    return wa__error_set(wa__error_new("TimeoutError", ""));
  return body_rc;
}

bool wa_timeout_expired(const wa_timeout *to) {
  return to && (to->state == TO_EXPIRING || to->state == TO_EXPIRED);
}

double wa_timeout_when(const wa_timeout *to) { return to ? to->when : NAN; }

void wa_timeout_free(wa_timeout *to) {
  if (!to) return;
  disarm(to);
  wa_task_release(to->task);
  free(to);
}

/* ---- wait_for ------------------------------------------------------------ */

static void release_waiter(wa_task *t, void *arg) {
  wa__future_set_result(arg, (wa_value){.kind = WA_NONE});
  wa_task_release(arg);
}

/* _cancel_and_wait: cancel t and wait until it has really ended. */
static int cancel_and_wait(wa_task *t) {
  wa_task *waiter = wa__future_new("wait_for", NULL, NULL);
  if (!waiter) return wa__nomem("wait_for");
  if (wa_task_add_done_callback(t, release_waiter, waiter) < 0) {
    wa__future_discard(waiter);
    return WA_ERROR;
  }
  wa_task_retain(waiter); /* for release_waiter */
  wa_task_cancel(t, NULL);
  int rc = wa_task_join(waiter);
  if (wa_task_remove_done_callback(t, release_waiter, waiter)) wa_task_release(waiter);
  wa_task_release(waiter);
  return rc;
}

int wa_wait_for(wa_task *t, double ms) {
  if (!t) return wa_raise("TypeError", "wa_wait_for: the task is NULL"), WA_EINVAL;
  if (!wa__current) return wa_raise("RuntimeError", "wa_wait_for called outside a task"), WA_ESTATE;
  if (isnan(ms)) return wa_raise("ValueError", "Invalid timeout: NaN (not a number)"), WA_EINVAL;
  if (ms <= 0) {
    if (t->state == TASK_PENDING) {
      int rc = cancel_and_wait(t);
      if (rc < 0) return rc;
    }
    int rc = wa_task_join(t); /* done: does not suspend */
    if (rc != WA_ECANCELLED) return rc;
    wa_error_clear();
    return wa__error_set(wa__error_new("TimeoutError", ""));
  }
  wa_timeout *to = wa_timeout_new(ms);
  if (!to) return WA_ERROR;
  int rc = wa_timeout_enter(to);
  if (rc == WA_OK) rc = wa_task_join(t);
  rc = wa_timeout_exit(to, rc);
  wa_timeout_free(to);
  return rc;
}
