/*
 * wait_probes.c: wa_wait and wa_as_completed, for tests/structured/wait.test.mjs.
 * wait_scenario runs tests/structured/wait.py's scenarios step for step in
 * C and prints the same lines ("<ms> <text>"), which CPython 3.13 printed.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h" /* wait_memory: the allocation hook, task counts */

static double t0; /* the scenario's start */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
  char text[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  wa_print("%.0f %s", wa_time() - t0, text);
}

/* wait.py's job(): sleeps ms, then returns its name or fails with
   ValueError(name). */
static int job(wa_task *self, const wa_args *args) {
  int rc = wa_sleep(wa_arg_number(args, "ms"));
  if (rc < 0) return rc;
  if (wa_arg_number(args, "fail") == 1) return wa_raise("ValueError", "%s", wa_task_name(self));
  return wa_return_string(self, wa_task_name(self));
}

static wa_task *spawn(const char *name, double ms, bool fail) {
  wa_args *a = wa_args_new();
  if (!a || wa_args_set_number(a, "ms", ms) < 0 || wa_args_set_number(a, "fail", fail) < 0) {
    wa_args_free(a);
    return NULL;
  }
  return wa_task_spawn(job, a, name);
}

static int ticker(wa_task *self, const wa_args *args) {
  for (int i = 0; i < (int)wa_arg_number(args, "n"); i++) {
    say("tick%d", i);
    int rc = wa_sleep(0);
    if (rc < 0) return rc;
  }
  return WA_OK;
}

static void spawn_ticker(int n) {
  wa_args *a = wa_args_new();
  wa_args_set_number(a, "n", n);
  wa_task_release(wa_task_spawn(ticker, a, "ticker"));
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* "[a,b]": the names of the distinct tasks[i] with done[i] == want. */
static const char *names(wa_task *const *tasks, const bool *done, int n, bool want, char *buf, size_t size) {
  const char *list[16];
  int m = 0;
  for (int i = 0; i < n && m < 16; i++) {
    bool seen = false;
    for (int j = 0; j < i; j++) seen |= tasks[j] == tasks[i];
    if (!seen && done[i] == want) list[m++] = wa_task_name(tasks[i]);
  }
  qsort(list, m, sizeof *list, by_name);
  size_t used = snprintf(buf, size, "[");
  for (int i = 0; i < m; i++) used += snprintf(buf + used, size - used, "%s%s", i ? "," : "", list[i]);
  snprintf(buf + used, size - used, "]");
  return buf;
}

static const char *outcome(const wa_task *t, char *buf, size_t size) {
  const wa_error *e;
  wa_value v;
  if (wa_task_cancelled(t)) return "cancelled";
  if (wa_task_exception(t, &e) == WA_OK && e) {
    snprintf(buf, size, "%s: %s", wa_error_type(e), wa_error_message(e));
  } else if (wa_task_result(t, &v) == WA_OK) {
    snprintf(buf, size, "result %s", v.kind == WA_STRING ? v.string : "?");
  }
  return buf;
}

/* Joins t and gives its string result ("?" if none). */
static const char *await_name(wa_task *t) {
  wa_value v;
  if (wa_task_join(t) < 0 || wa_task_result(t, &v) < 0 || v.kind != WA_STRING) return "?";
  return v.string;
}

/* wa_wait, then says "<label> done=[..] pending=[..]<extra>". */
static int wait_and_say(const char *label, wa_task *const *ts, int n, wa_return_when when, double ms, int *count) {
  bool done[16];
  int rc = wa_wait(ts, n, when, ms, done);
  if (rc < 0) return rc;
  if (count) *count = rc;
  char d[100], p[100];
  say("%sdone=%s pending=%s", label, names(ts, done, n, true, d, sizeof d), names(ts, done, n, false, p, sizeof p));
  return WA_OK;
}

static void release_all(wa_task **ts, int n) {
  for (int i = 0; i < n; i++) wa_task_release(ts[i]);
}

/* ---- wait --------------------------------------------------------------------- */

static int cancel_later(wa_task *self, const wa_args *args) {
  int rc = wa_sleep(wa_arg_number(args, "ms"));
  if (rc == WA_OK) wa_task_cancel(wa_arg_pointer(args, "t"), NULL);
  return rc;
}

static int sc_return_when(void) {
  wa_task *t[] = {spawn("a", 10, false), spawn("b", 20, false), spawn("c", 30, false)};
  bool done[3];
  int rc = wa_wait(t, 3, WA_FIRST_COMPLETED, INFINITY, done);
  if (rc < 0) return rc;
  char d[100], p[100], o1[100], o2[100];
  say("FIRST_COMPLETED done=%s pending=%s", names(t, done, 3, true, d, sizeof d), names(t, done, 3, false, p, sizeof p));
  wa_task *pending[3];
  int np = 0;
  for (int i = 0; i < 3; i++)
    if (!done[i]) pending[np++] = t[i];
  if ((rc = wait_and_say("ALL_COMPLETED ", pending, np, WA_ALL_COMPLETED, INFINITY, NULL)) < 0) return rc;
  wa_task *u[] = {spawn("x", 100, false), spawn("d", 10, false), spawn("e", 20, true), spawn("f", 30, false)};
  wa_task *x = u[0], *e = u[2];
  wa_args *a = wa_args_new();
  wa_args_set_number(a, "ms", 5);
  wa_args_set_pointer(a, "t", x);
  wa_task_release(wa_task_spawn(cancel_later, a, NULL));
  bool done4[4];
  if ((rc = wa_wait(u, 4, WA_FIRST_EXCEPTION, INFINITY, done4)) < 0) return rc;
  say("FIRST_EXCEPTION done=%s pending=%s e: %s, x: %s", names(u, done4, 4, true, d, sizeof d),
      names(u, done4, 4, false, p, sizeof p), outcome(e, o1, sizeof o1), outcome(x, o2, sizeof o2));
  wa_task *g = spawn("g", 10, true);
  if ((rc = wait_and_say("FIRST_EXCEPTION without errors ", &u[3], 1, WA_FIRST_EXCEPTION, INFINITY, NULL)) < 0)
    return rc;
  wa_task *gh[] = {g, spawn("h", 20, false)};
  if ((rc = wa_wait(gh, 2, WA_ALL_COMPLETED, INFINITY, done)) < 0) return rc;
  say("ALL_COMPLETED past an error done=%s pending=%s g: %s", names(gh, done, 2, true, d, sizeof d),
      names(gh, done, 2, false, p, sizeof p), outcome(g, o1, sizeof o1));
  release_all(t, 3);
  release_all(u, 4);
  release_all(gh, 2);
  return WA_OK;
}

static int sc_timeout(void) {
  wa_task *ab[] = {spawn("a", 10, false), spawn("b", 50, false)};
  bool done[2];
  int rc = wa_wait(ab, 2, WA_ALL_COMPLETED, 20, done);
  if (rc < 0) return rc;
  char d[100], p[100];
  say("timeout done=%s pending=%s b cancelled=%s", names(ab, done, 2, true, d, sizeof d),
      names(ab, done, 2, false, p, sizeof p), wa_task_cancelled(ab[1]) ? "True" : "False");
  say("b %s", await_name(ab[1]));
  wa_task *c = spawn("c", 10, false);
  if ((rc = wait_and_say("timeout 0 ", &c, 1, WA_ALL_COMPLETED, 0, NULL)) < 0) return rc;
  if ((rc = wait_and_say("timeout not reached ", &c, 1, WA_ALL_COMPLETED, 30, NULL)) < 0) return rc;
  release_all(ab, 2);
  wa_task_release(c);
  return WA_OK;
}

static int sc_already_done(void) {
  wa_task *a = spawn("a", 0, false);
  wa_sleep(0);
  wa_sleep(0);
  say("a done=%s", wa_task_done(a) ? "True" : "False");
  spawn_ticker(5);
  wa_task *aa[] = {a, a};
  int rc = wait_and_say("wait returned ", aa, 2, WA_FIRST_COMPLETED, INFINITY, NULL);
  if (rc == WA_OK) rc = wait_and_say("wait returned ", aa, 1, WA_ALL_COMPLETED, INFINITY, NULL);
  wa_task_release(a);
  return rc;
}

static int late(wa_task *self, const wa_args *args) {
  int rc = wa_sleep(10);
  if (rc == WA_OK) rc = wa_sleep(0);
  return rc < 0 ? rc : wa_return_string(self, "b");
}

static int sc_done_at_resume(void) {
  wa_task *ab[] = {spawn("a", 10, false), wa_task_spawn(late, NULL, "b")};
  int rc = wait_and_say("", ab, 2, WA_FIRST_COMPLETED, INFINITY, NULL);
  release_all(ab, 2);
  return rc;
}

static int sc_duplicates(void) {
  wa_task *a = spawn("a", 10, false), *b = spawn("b", 20, false);
  wa_task *ts[] = {a, a, b, a};
  bool done[4];
  int rc = wa_wait(ts, 4, WA_ALL_COMPLETED, INFINITY, done);
  if (rc >= 0) {
    char d[100], p[100];
    say("done=%s (%d) pending=%s", names(ts, done, 4, true, d, sizeof d), rc, names(ts, done, 4, false, p, sizeof p));
  }
  wa_task_release(a);
  wa_task_release(b);
  return rc < 0 ? rc : WA_OK;
}

static int waiter(wa_task *self, const wa_args *args) {
  wa_task *ts[] = {wa_arg_pointer(args, "a"), wa_arg_pointer(args, "b")};
  int rc = wa_wait(ts, 2, WA_ALL_COMPLETED, INFINITY, NULL);
  if (rc == WA_ECANCELLED) say("waiter cancelled");
  return rc < 0 ? rc : WA_OK;
}

static int sc_cancel_waiter(void) {
  wa_task *a = spawn("a", 50, false), *b = spawn("b", 60, false);
  wa_args *args = wa_args_new();
  wa_args_set_pointer(args, "a", a);
  wa_args_set_pointer(args, "b", b);
  wa_task *w = wa_task_spawn(waiter, args, NULL);
  wa_sleep(10);
  wa_task_cancel(w, NULL);
  if (wa_task_join(w) == WA_ECANCELLED) {
    wa_error_clear();
    say("w cancelled=%s; a cancelled=%s done=%s", wa_task_cancelled(w) ? "True" : "False",
        wa_task_cancelled(a) ? "True" : "False", wa_task_done(a) ? "True" : "False");
  }
  const char *ra = await_name(a);
  say("a %s, b %s", ra, await_name(b));
  wa_task_release(a);
  wa_task_release(b);
  wa_task_release(w);
  return WA_OK;
}

static int sc_errors(void) {
  if (wa_wait(NULL, 0, WA_ALL_COMPLETED, INFINITY, NULL) == WA_EINVAL)
    say("%s: %s", wa_error_type(wa_error_current()), wa_error_message(wa_error_current()));
  wa_error_clear();
  return WA_OK;
}

/* ---- as_completed ---------------------------------------------------------------- */

static int sc_ac_order(void) {
  wa_task *ts[] = {spawn("a", 30, false), spawn("b", 10, false), spawn("c", 20, false), spawn("d", 15, true)};
  wa_as_completed *it = wa_as_completed_new(ts, 4, INFINITY);
  if (!it) return WA_ERROR;
  wa_task *t;
  int rc;
  char o[100];
  while ((rc = wa_as_completed_next(it, &t)) > 0) say("%s %s", wa_task_name(t), outcome(t, o, sizeof o));
  wa_as_completed_free(it);
  if (rc == 0) say("end");
  release_all(ts, 4);
  return rc;
}

static int sc_ac_timeout(void) {
  wa_task *ts[] = {spawn("a", 10, false), spawn("b", 50, false), spawn("c", 60, false)};
  wa_as_completed *it = wa_as_completed_new(ts, 3, 20);
  if (!it) return WA_ERROR;
  for (int i = 0; i < 4; i++) {
    wa_task *t;
    int rc = wa_as_completed_next(it, &t);
    if (rc > 0) say("got %s", wa_task_name(t));
    else if (rc == 0) say("StopAsyncIteration");
    else if (wa_error_matches("TimeoutError")) say("TimeoutError");
    else return wa_as_completed_free(it), rc;
    wa_error_clear();
  }
  wa_as_completed_free(it);
  say("b cancelled=%s done=%s", wa_task_cancelled(ts[1]) ? "True" : "False", wa_task_done(ts[1]) ? "True" : "False");
  const char *rb = await_name(ts[1]);
  say("b %s, c %s", rb, await_name(ts[2]));
  release_all(ts, 3);
  return WA_OK;
}

static int sc_ac_timeout_from_start(void) {
  wa_task *ts[] = {spawn("a", 10, false), spawn("b", 15, false), spawn("c", 100, false)};
  wa_as_completed *it = wa_as_completed_new(ts, 3, 20);
  if (!it) return WA_ERROR;
  wa_sleep(30);
  wa_task *t;
  int rc;
  while ((rc = wa_as_completed_next(it, &t)) > 0) say("got %s", wa_task_name(t));
  if (rc < 0 && wa_error_matches("TimeoutError")) say("TimeoutError");
  wa_error_clear();
  wa_as_completed_free(it);
  wa_task_cancel(ts[2], NULL);
  release_all(ts, 3);
  return WA_OK;
}

static int sc_ac_done_first(void) {
  wa_task *a = spawn("a", 0, false);
  wa_sleep(0);
  wa_sleep(0);
  wa_task *b = spawn("b", 10, false);
  spawn_ticker(4);
  wa_task *ts[] = {b, a, b};
  wa_as_completed *it = wa_as_completed_new(ts, 3, INFINITY);
  if (!it) return WA_ERROR;
  wa_task *t;
  int rc;
  while ((rc = wa_as_completed_next(it, &t)) > 0) say("got %s", wa_task_name(t));
  if (rc == 0) say("end");
  wa_as_completed_free(it);
  wa_task_release(a);
  wa_task_release(b);
  return rc;
}

static int sc_ac_empty(void) {
  wa_as_completed *it = wa_as_completed_new(NULL, 0, INFINITY);
  if (!it) return WA_ERROR;
  wa_task *t;
  int n = 0, rc;
  while ((rc = wa_as_completed_next(it, &t)) > 0) n++;
  wa_as_completed_free(it);
  say("%d items", n);
  return rc;
}

static int consumer(wa_task *self, const wa_args *args) {
  wa_task *ts[] = {wa_arg_pointer(args, "a"), wa_arg_pointer(args, "b"), wa_arg_pointer(args, "c")};
  wa_as_completed *it = wa_as_completed_new(ts, 3, INFINITY);
  if (!it) return WA_ERROR;
  for (;;) {
    wa_task *t;
    int rc = wa_as_completed_next(it, &t);
    if (rc > 0) {
      say("consumer got %s", wa_task_name(t));
    } else if (rc == WA_ECANCELLED) {
      say("consumer cancelled");
      wa_error_clear();
    } else {
      if (rc == 0) say("consumer: StopAsyncIteration");
      wa_as_completed_free(it);
      return rc;
    }
  }
}

static int sc_ac_cancel(void) {
  wa_task *a = spawn("a", 10, false), *b = spawn("b", 20, false), *c = spawn("c", 30, false);
  wa_args *args = wa_args_new();
  wa_args_set_pointer(args, "a", a);
  wa_args_set_pointer(args, "b", b);
  wa_args_set_pointer(args, "c", c);
  wa_task *k = wa_task_spawn(consumer, args, NULL);
  wa_sleep(15);
  wa_task_cancel(k, NULL);
  int rc = wa_task_join(k);
  const char *cancelled = wa_task_cancelled(c) ? "True" : "False";
  if (rc == WA_OK) say("c cancelled=%s %s", cancelled, await_name(c));
  wa_task_release(a);
  wa_task_release(b);
  wa_task_release(c);
  wa_task_release(k);
  return rc;
}

/* Runs wait.py's scenario of that name. Direct calls only: the module
   does not instrument calls through pointers for Asyncify. */
static int wait_scenario(wa_task *self, const wa_args *args) {
  const char *name = wa_arg_string(args, "name");
  t0 = wa_time();
#define RUN(sc) \
  if (strcmp(name, #sc) == 0) return sc_##sc()
  RUN(return_when);
  RUN(timeout);
  RUN(already_done);
  RUN(done_at_resume);
  RUN(duplicates);
  RUN(cancel_waiter);
  RUN(errors);
  RUN(ac_order);
  RUN(ac_timeout);
  RUN(ac_timeout_from_start);
  RUN(ac_done_first);
  RUN(ac_empty);
  RUN(ac_cancel);
#undef RUN
  return wa_raise("LookupError", "no scenario %s", name);
}
WA_EXPORT_COROUTINE(wait_scenario, "name:string")

/* ---- out of memory --------------------------------------------------------------- */

/* The runtime's state a wait or an iteration must leave as it found it. */
typedef struct {
  int alive, timers;
} census;

static census count_now(void) { return (census){wa__tasks_alive, wa__timer_count()}; }

/* One wait at a limit of n allocations: "ok", "MemoryError", or what else
   happened (a failure of the test). */
static const char *wait_at_limit(wa_task *const *ts, long n) {
  bool done[3];
  wa__alloc_limit(n);
  int rc = wa_wait(ts, 3, WA_FIRST_COMPLETED, 5, done); /* the timeout ends it */
  wa__alloc_limit(-1);
  if (rc == 0 && !done[0] && !done[1]) return "ok";
  if (rc < 0 && wa_error_matches("MemoryError")) return wa_error_clear(), "MemoryError";
  return "unexpected outcome";
}

/* One iteration at a limit of n allocations, ending in TimeoutError. */
static const char *iterate_at_limit(wa_task *const *ts, long n) {
  wa__alloc_limit(n);
  wa_as_completed *it = wa_as_completed_new(ts, 3, 5);
  wa_task *t = NULL;
  int rc = it ? wa_as_completed_next(it, &t) : WA_ERROR;
  wa_as_completed_free(it);
  wa__alloc_limit(-1);
  if (rc < 0 && wa_error_matches("TimeoutError")) return wa_error_clear(), "ok";
  if (rc < 0 && wa_error_matches("MemoryError")) return wa_error_clear(), "MemoryError";
  return "unexpected outcome";
}

/* For n = 0, 1, 2, ...: lets only n allocations work during a wa_wait (or
   an as_completed iteration), until one works. Each attempt must fail with
   MemoryError or work, and leave no callback on the tasks, no timer and
   no task or future behind. Prints "<what>: <k> attempts failed with
   MemoryError, then one worked", or what went wrong. */
static int wait_memory(wa_task *self, const wa_args *args) {
  bool iterate = strcmp(wa_arg_string(args, "what"), "as_completed") == 0;
  wa_task *a = spawn("a", 1e9, false), *b = spawn("b", 1e9, false);
  wa_task *ts[] = {a, b, a};
  int rc = wa_sleep(0); /* a and b start (and take their stacks) */
  if (rc < 0) return rc;
  census before = count_now();
  int failed = 0;
  for (long n = 0; n < 1000; n++) {
    const char *got = iterate ? iterate_at_limit(ts, n) : wait_at_limit(ts, n);
    /* The future that woke this task goes once the callback that resumed
       it returns, after this task's next suspension. */
    if ((rc = wa_sleep(0)) < 0) return rc;
    census after = count_now();
    if (a->callbacks || b->callbacks || after.alive != before.alive || after.timers != before.timers) {
      wa_print("limit %ld (%s): left behind: callbacks %s, tasks %d -> %d, timers %d -> %d", n, got,
               a->callbacks || b->callbacks ? "yes" : "no", before.alive, after.alive, before.timers, after.timers);
      break;
    }
    if (strcmp(got, "MemoryError") == 0) {
      failed++;
      continue;
    }
    wa_print("%s: %d attempts failed with MemoryError, then one %s", iterate ? "as_completed" : "wait", failed,
             strcmp(got, "ok") == 0 ? "worked" : got);
    break;
  }
  wa_task_cancel(a, NULL);
  wa_task_cancel(b, NULL);
  wa_task_release(a);
  wa_task_release(b);
  return WA_OK;
}
WA_EXPORT_COROUTINE(wait_memory, "what:string")

/* ---- misuse ------------------------------------------------------------------------ */

/* Prints "<label>: <Type>: <message>" for the error in the indicator, and
   clears it. */
static void print_error(const char *label) {
  const wa_error *e = wa_error_current();
  wa_print("%s: %s: %s", label, e ? wa_error_type(e) : "no error", e ? wa_error_message(e) : "");
  wa_error_clear();
}

static int next_of(wa_task *self, const wa_args *args) {
  wa_task *t;
  if (wa_as_completed_next(wa_arg_pointer(args, "it"), &t) < 0) print_error("waiting next");
  return WA_OK;
}

/* The refusals of wa_wait and wa_as_completed_*, each printed. */
static int wait_misuse(wa_task *self, const wa_args *args) {
  wa_task *a = spawn("a", 1e9, false);
  wa_task *none[] = {NULL};
  if (wa_wait(&a, 1, (wa_return_when)7, INFINITY, NULL) == WA_EINVAL) print_error("return_when 7");
  if (wa_wait(&a, 1, WA_ALL_COMPLETED, NAN, NULL) == WA_EINVAL) print_error("NaN timeout");
  if (wa_wait(none, 1, WA_ALL_COMPLETED, INFINITY, NULL) == WA_EINVAL) print_error("NULL task");
  if (wa_wait(NULL, -1, WA_ALL_COMPLETED, INFINITY, NULL) == WA_EINVAL) print_error("n -1");
  if (!wa_as_completed_new(NULL, 2, INFINITY)) print_error("as_completed of no array");
  if (!wa_as_completed_new(&a, 1, NAN)) print_error("as_completed NaN timeout");
  wa_as_completed *it = wa_as_completed_new(&a, 1, INFINITY);
  if (!it) return WA_ERROR;
  wa_args *na = wa_args_new();
  wa_args_set_pointer(na, "it", it);
  wa_task *other = wa_task_spawn(next_of, na, "other");
  wa_sleep(0); /* other waits in next() */
  wa_task *t;
  if (wa_as_completed_next(it, &t) == WA_ESTATE) print_error("second waiter");
  wa_as_completed_free(it); /* other's next() fails */
  wa_task_join(other);
  wa_task_release(other);
  wa_task_cancel(a, NULL);
  wa_task_release(a);
  return WA_OK;
}
WA_EXPORT_COROUTINE(wait_misuse, "")
