/*
 * sleep.c: asyncio.sleep. A positive sleep is a future embedded in the
 * task plus a timer that completes it; as in CPython, the due timer runs
 * as one handle and the task resumes in the next iteration. sleep(0) is a
 * bare yield: exactly one iteration.
 */
#include <math.h>

#include "internal.h"

int wa_sleep(double ms) {
  wa_task *t = wa__current;
  if (!t) return wa_raise("RuntimeError", "wa_sleep called outside a task"), WA_ESTATE;
  if (ms <= 0) {
    wa__ready_push(H_STEP, t, NULL);
    return wa__task_suspend(t);
  }
  if (isnan(ms)) return wa_raise("ValueError", "Invalid delay: NaN (not a number)"), WA_EINVAL;
  t->sleep_state = SLEEP_PENDING;
  t->sleep_timer.gen = ++t->sleep_gen;
  t->wait = WAIT_SLEEP;
  wa__timer_start(&t->sleep_timer, wa_time() + ms);
  wa__cancel_forward_pending(t);
  int rc = wa__task_suspend(t);
  wa__timer_stop(&t->sleep_timer); /* a no-op unless it never fired */
  return rc;
}

bool wa__sleep_cancel(wa_task *t, const char *msg) {
  if (t->sleep_state != SLEEP_PENDING) return false;
  t->sleep_state = SLEEP_CANCELLED;
  wa__timer_stop(&t->sleep_timer);
  wa__ready_push(H_STEP, t, wa__cancelled_error(msg));
  return true;
}

void wa__sleep_fire(wa_timer *timer) {
  wa_task *t = timer->task;
  if (t->wait != WAIT_SLEEP || t->sleep_gen != timer->gen || t->sleep_state != SLEEP_PENDING)
    return;
  t->sleep_state = SLEEP_DONE;
  wa__ready_push(H_STEP, t, NULL);
}
