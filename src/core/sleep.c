/*
 * sleep.c: asyncio.sleep. A positive sleep is a future embedded in the
 * task plus a timer that completes it; as in CPython, the due timer runs
 * as one handle and the task resumes in the next iteration. sleep(0) is a
 * bare yield: exactly one iteration.
 */
#include <math.h>

#include "internal.h"

static bool cancel(wa_task *t, const char *msg);
static void fire(void *arg);

static void forget(wa_task *t) {
  wa__timer_stop(&t->sleep_timer);
  t->sleep_state = SLEEP_DONE;
}

static double deadline(const wa_task *t) { return t->sleep_timer.when; }

static const wa_waiter_ops sleep_waiter = {
    .what = "sleep", .cancel = cancel, .forget = forget, .deadline = deadline};

int wa_sleep(double ms) {
  wa_task *t = wa__current;
  if (!t) return wa_raise("RuntimeError", "wa_sleep called outside a task"), WA_ESTATE;
  if (ms <= 0) {
    wa__ready_push(H_STEP, t, NULL);
    return wa__task_suspend(t);
  }
  if (isnan(ms)) return wa_raise("ValueError", "Invalid delay: NaN (not a number)"), WA_EINVAL;
  if (!t->sleep_timer.fn)
    t->sleep_timer = (wa_timer){.index = -1, .fn = fire, .arg = &t->sleep_timer, .owner = t};
  t->sleep_state = SLEEP_PENDING;
  t->sleep_timer.gen = ++t->sleep_gen;
  t->waiting = &sleep_waiter;
  wa__timer_start(&t->sleep_timer, wa_time() + ms);
  wa__cancel_forward_pending(t);
  int rc = wa__task_suspend(t);
  wa__timer_stop(&t->sleep_timer); /* a no-op unless it never fired */
  return rc;
}

static bool cancel(wa_task *t, const char *msg) {
  if (t->sleep_state != SLEEP_PENDING) return false;
  t->sleep_state = SLEEP_CANCELLED;
  wa__timer_stop(&t->sleep_timer);
  wa__ready_push(H_STEP, t, wa__cancelled_error(msg));
  return true;
}

static void fire(void *arg) {
  wa_timer *timer = arg;
  wa_task *t = timer->owner;
  if (t->waiting != &sleep_waiter || t->sleep_gen != timer->gen || t->sleep_state != SLEEP_PENDING)
    return;
  t->sleep_state = SLEEP_DONE;
  wa__ready_push(H_STEP, t, NULL);
}
