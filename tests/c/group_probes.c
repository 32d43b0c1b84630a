/*
 * group_probes.c: probes for the rules of task groups and gather that the
 * scenario language cannot show (tests/coroutines/scenario.test.mjs drives them).
 * Each mirrors a small CPython program; the lines it prints are what
 * CPython 3.13 prints for that program, with repr()s left out.
 */
#include <stddef.h>

#include "wasyncio.h"

/* Prints "<label>: ok" or "<label>: <Type>: <message>" for a call's code. */
static void report(const char *label, int rc) {
  const wa_error *e = wa_error_current();
  if (rc >= 0)
    wa_print("%s: ok", label);
  else
    wa_print("%s: %s: %s", label, wa_error_type(e), wa_error_message(e));
}

/* Sleeps ms, then fails with RuntimeError("boom"). */
static int fail_later(wa_task *self, const wa_args *args) {
  int rc = wa_sleep(wa_arg_number(args, "ms"));
  return rc < 0 ? rc : wa_raise("RuntimeError", "boom");
}

static wa_args *ms_args(double ms) {
  wa_args *a = wa_args_new();
  wa_args_set_number(a, "ms", ms);
  return a;
}

/* Spawns into g and reports the outcome (the task, if any, is released). */
static void try_spawn(wa_group *g, const char *label) {
  wa_task *t = wa_group_spawn(g, fail_later, ms_args(1000), NULL);
  report(label, t ? WA_OK : WA_ERROR);
  if (t) wa_task_cancel(t, NULL);
  wa_task_release(t);
  wa_error_clear();
}

/* TG6: create_task on a group not yet entered, then on one that finished
   (shutting down is shown by a scenario). */
static int tg6_spawn_states(wa_task *self, const wa_args *args) {
  wa_group *g = wa_group_new();
  try_spawn(g, "not entered");
  int rc = wa_group_enter(g);
  if (rc == WA_OK) try_spawn(g, "entered");
  rc = wa_group_exit(g, rc);
  report("exit", rc);
  try_spawn(g, "after exit");
  wa_group_free(g);
  return rc;
}
WA_EXPORT_COROUTINE(tg6_spawn_states, "")

/* A group whose child fails at once while the body sleeps; the
   ExceptionGroup is caught (except* RuntimeError) and cancelling() printed. */
static int group_caught(wa_task *self, const char *who) {
  wa_group *g = wa_group_new();
  int rc = wa_group_enter(g);
  if (rc == WA_OK) {
    wa_task_release(wa_group_spawn(g, fail_later, ms_args(0), NULL));
    rc = wa_sleep(1000);
  }
  rc = wa_group_exit(g, rc);
  wa_group_free(g);
  wa_error *caught = wa_error_catch("RuntimeError");
  if (caught) wa_print("%s caught, cancelling %d", who, wa_task_cancelling(self));
  wa_error_release(caught);
  return wa_error_current() ? wa_reraise() : WA_OK;
}

/* TG9: after catching the group's ExceptionGroup, cancelling() is 0. */
static int tg9_level(wa_task *self, const wa_args *args) {
  int rc = group_caught(self, "group");
  if (rc < 0) return rc;
  wa_print("after, cancelling %d", wa_task_cancelling(self));
  return WA_OK;
}
WA_EXPORT_COROUTINE(tg9_level, "")

static int tg8_inner(wa_task *self, const wa_args *args) {
  int rc = group_caught(self, "inner");
  if (rc < 0) return rc;
  rc = wa_sleep(1000);
  if (rc == WA_ECANCELLED)
    wa_print("next await cancelled, cancelling %d", wa_task_cancelling(self));
  return rc;
}

/* TG8: the inner task is cancelled from outside while its group's child
   fails; the cancel survives the ExceptionGroup the inner task catches. */
static int tg8_outside_cancel(wa_task *self, const wa_args *args) {
  wa_task *t = wa_task_spawn(tg8_inner, NULL, "inner");
  int rc = wa_sleep(0);
  if (rc == WA_OK) rc = wa_sleep(0);
  if (rc == WA_OK) {
    bool ok = wa_task_cancel(t, NULL);
    wa_print("cancel %s, cancelling %d", ok ? "true" : "false", wa_task_cancelling(t));
    rc = wa_task_join(t);
    if (rc == WA_ECANCELLED) {
      wa_error_clear();
      rc = WA_OK;
    }
    wa_print("inner cancelled %s, cancelling %d", wa_task_cancelled(t) ? "true" : "false",
             wa_task_cancelling(t));
  }
  wa_task_release(t);
  return rc;
}
WA_EXPORT_COROUTINE(tg8_outside_cancel, "")

static int runs;

static int five(wa_task *self, const wa_args *args) {
  runs++;
  int rc = wa_sleep(0);
  return rc < 0 ? rc : wa_return_number(self, 5);
}

/* G6: the same task twice runs once, its result repeated; cancel() after
   done is false; gather() of nothing is done at once with no results. */
static int g6_repeats(wa_task *self, const wa_args *args) {
  runs = 0;
  wa_task *t = wa_task_spawn(five, NULL, NULL);
  wa_task *both[] = {t, t};
  wa_task *all = wa_gather(both, 2, false);
  int rc = wa_task_join(all);
  if (rc == WA_OK) {
    wa_value a, b;
    wa_task_result(wa_gather_task(all, 0), &a);
    wa_task_result(wa_gather_task(all, 1), &b);
    wa_print("[%g, %g] runs %d, cancel after done %s", a.number, b.number, runs,
             wa_task_cancel(all, NULL) ? "true" : "false");
  }
  wa_task *none = wa_gather(NULL, 0, false);
  wa_print("gather() done %s, %d results", wa_task_done(none) ? "true" : "false",
           wa_gather_count(none));
  wa_task_release(none);
  wa_task_release(all);
  wa_task_release(t);
  return rc;
}
WA_EXPORT_COROUTINE(g6_repeats, "")
