/*
 * notebook.c: the seed notebook's cells, as C coroutines.
 *
 * Each prints exactly what CPython 3.13 prints for the same Python cell
 * (tests/coroutines/notebook.test.mjs quotes CPython's output). The task group and
 * gather cells are whole cells in one coroutine: they show the C API.
 */
#include <math.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "wasyncio.h"

/* Sleeps a second and reports; when cancelled, says so and re-raises. */
static int some_coro(wa_task *self, const wa_args *args) {
  double param = wa_arg_number(args, "param");
  int rc = wa_sleep(1000);
  if (rc == WA_ECANCELLED) {
    wa_print("Cancelled coro with param: %.15g", param);
    return rc;
  }
  if (rc < 0) return rc;
  wa_print("Completed coro with param: %.15g", param);
  return wa_return_number(self, param);
}
WA_EXPORT_COROUTINE(some_coro, "param:number")

/* Prints the date and time every 500 ms for 1.5 s, as datetime.now() does. */
static int display_date(wa_task *self, const wa_args *args) {
  (void)self, (void)args;
  double end_time = wa_time() + 1500;
  for (;;) {
    struct timeval tv;
    struct tm tm;
    char date[32];
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
    wa_print("%s.%06ld", date, (long)tv.tv_usec);
    if (wa_time() + 500 >= end_time) return WA_OK;
    int rc = wa_sleep(500);
    if (rc < 0) return rc;
  }
}
WA_EXPORT_COROUTINE(display_date, "")

/* ---- Single coroutines: the ones the asyncio docs' examples await ------- */

/* The docs' job(task_id, sleep_time): starts, sleeps, is done. A cancel
   ends it during the sleep, so a cancelled job never prints "done". */
static int job(wa_task *self, const wa_args *args) {
  (void)self;
  double task_id = wa_arg_number(args, "task_id");
  wa_print("Task %.15g: start", task_id);
  int rc = wa_sleep(wa_arg_number(args, "sleep_ms"));
  if (rc < 0) return rc;
  wa_print("Task %.15g: done", task_id);
  return WA_OK;
}
WA_EXPORT_COROUTINE(job, "task_id:number, sleep_ms:number")

/* `raise TerminateTaskGroup()`: a child failing on purpose is how the docs
   stop a task group from inside; the error type is the caller's to catch. */
static int force_terminate_task_group(wa_task *self, const wa_args *args) {
  (void)self, (void)args;
  return wa_raise("TerminateTaskGroup", "%s", "");
}
WA_EXPORT_COROUTINE(force_terminate_task_group, "")

/* The docs' gather example's factorial: one step a second, returns number!.
   Results are doubles, exact up to 22! (Python's ints are exact beyond). */
static int factorial(wa_task *self, const wa_args *args) {
  const char *name = wa_arg_string(args, "name");
  double number = wa_arg_number(args, "number");
  if (!name) return wa_raise("TypeError", "factorial() missing argument 'name' (string)");
  if (!isfinite(number) || number != trunc(number)) /* as range() refuses */
    return wa_raise("TypeError", "factorial(): number must be an integer, not %g", number);
  double f = 1;
  for (double i = 2; i <= number; i++) {
    wa_print("Task %s: Compute factorial(%.0f), currently i=%.0f...", name, number, i);
    int rc = wa_sleep(1000);
    if (rc < 0) return rc;
    f *= i;
  }
  wa_print("Task %s: factorial(%.0f) = %.0f", name, number, f);
  return wa_return_number(self, f);
}
WA_EXPORT_COROUTINE(factorial, "name:string, number:number")

/* ---- Whole cells, each one coroutine on the C group and gather API ------ */

/* Spawns job(task_id, sleep_ms) into g. On success *out (when not NULL)
   gets the new reference to the job, which the caller releases. */
static int spawn_job(wa_group *g, double task_id, double sleep_ms, wa_task **out) {
  wa_args *a = wa_args_new();
  if (wa_args_set_number(a, "task_id", task_id) < 0 ||
      wa_args_set_number(a, "sleep_ms", sleep_ms) < 0) {
    wa_args_free(a);
    return wa_raise("MemoryError", "no memory for job's arguments");
  }
  wa_task *t = wa_group_spawn(g, job, a, NULL); /* takes a, even on failure */
  if (!t) return wa_reraise();
  if (out)
    *out = t;
  else
    wa_task_release(t);
  return WA_OK;
}

/* The docs' "terminate a task group": four jobs; after a second the body
   spawns force_terminate_task_group, whose failure cancels the jobs still
   sleeping; `except* TerminateTaskGroup` around the group reports it. */
static int terminate_body(wa_group *g, wa_task **jobs) {
  for (int i = 0; i < 4; i++) {
    int rc = spawn_job(g, i + 1, 500 + 1000 * i, &jobs[i]);
    if (rc < 0) return rc;
  }
  int rc = wa_sleep(1000);
  if (rc < 0) return rc;
  wa_task *t = wa_group_spawn(g, force_terminate_task_group, NULL, NULL);
  if (!t) return wa_reraise();
  wa_task_release(t);
  return WA_OK;
}

/* Returns how many jobs ended cancelled (3: jobs 2 to 4), which Python's
   main does not, so that a caller can check the group cancelled them.
   Any error but TerminateTaskGroup, cancellation included, goes on. */
static int terminate_cell(wa_task *self, const wa_args *args) {
  (void)args;
  wa_task *jobs[4] = {NULL};
  wa_group *g = wa_group_new();
  int rc = wa_group_enter(g);
  if (rc == WA_OK) rc = terminate_body(g, jobs);
  rc = wa_group_exit(g, rc);
  wa_group_free(g);
  int cancelled = 0;
  for (int i = 0; i < 4; i++) {
    if (jobs[i] && wa_task_cancelled(jobs[i])) cancelled++;
    wa_task_release(jobs[i]);
  }
  if (rc < 0) {
    wa_error *caught = wa_error_catch("TerminateTaskGroup"); /* except* */
    if (caught) wa_print("Task group terminated.");
    wa_error_release(caught);
    if (wa_error_current()) return wa_reraise(); /* the unmatched rest */
  }
  return wa_return_number(self, cancelled);
}
WA_EXPORT_COROUTINE(terminate_cell, "")

/* Writes the factorials' results as Python prints a list: "[2, 6, 24]". */
static int format_results(const wa_task *all, char *out, size_t size) {
  size_t len = (size_t)snprintf(out, size, "[");
  for (int i = 0; i < wa_gather_count(all); i++) {
    wa_value v;
    int rc = wa_task_result(wa_gather_task(all, i), &v);
    if (rc < 0) return rc;
    if (len < size) len += (size_t)snprintf(out + len, size - len, "%s%.0f", i ? ", " : "", v.number);
  }
  if (len < size) len += (size_t)snprintf(out + len, size - len, "]");
  if (len >= size) return wa_raise("RuntimeError", "gather_cell: the list is too long to print");
  return WA_OK;
}

/* Spawns factorial(name, number) as a task named name; a new reference,
   or NULL with the indicator set. */
static wa_task *spawn_factorial(const char *name, double number) {
  wa_args *a = wa_args_new();
  if (wa_args_set_string(a, "name", name) < 0 || wa_args_set_number(a, "number", number) < 0) {
    wa_args_free(a);
    wa_raise("MemoryError", "no memory for factorial's arguments");
    return NULL;
  }
  return wa_task_spawn(factorial, a, name);
}

/* The docs' gather example: factorials of 2, 3 and 4 at once, as tasks
   named A, B and C; prints the list of results and returns it as that
   same string, which is also JSON. Should a factorial fail, the join fails
   at once and the others run on, as with asyncio.gather; cancelling the
   cell cancels all three. */
static int gather_cell(wa_task *self, const wa_args *args) {
  (void)args;
  static const char *const names[] = {"A", "B", "C"};
  wa_task *tasks[3] = {NULL};
  int rc = WA_OK;
  for (int i = 0; rc == WA_OK && i < 3; i++)
    if (!(tasks[i] = spawn_factorial(names[i], i + 2))) rc = wa_reraise();
  wa_task *all = rc == WA_OK ? wa_gather(tasks, 3, false) : NULL;
  if (rc == WA_OK) rc = all ? wa_task_join(all) : wa_reraise();
  char list[128];
  if (rc == WA_OK) rc = format_results(all, list, sizeof list);
  wa_task_release(all);
  for (int i = 0; i < 3; i++) wa_task_release(tasks[i]);
  if (rc < 0) return rc;
  wa_print("%s", list);
  return wa_return_string(self, list);
}
WA_EXPORT_COROUTINE(gather_cell, "")

/* The docs' basic TaskGroup example: exiting the group waits for both jobs. */
static int task_group_cell(wa_task *self, const wa_args *args) {
  (void)self, (void)args;
  wa_group *g = wa_group_new();
  int rc = wa_group_enter(g);
  for (int id = 1; rc == WA_OK && id <= 2; id++) rc = spawn_job(g, id, 1000 * id, NULL);
  rc = wa_group_exit(g, rc);
  wa_group_free(g);
  if (rc < 0) return rc;
  wa_print("Both tasks have completed now.");
  return WA_OK;
}
WA_EXPORT_COROUTINE(task_group_cell, "")
