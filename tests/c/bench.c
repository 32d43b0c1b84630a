/*
 * bench.c: coroutines for tests/bench/bench.mjs (built into wasyncio_test).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "wasyncio.h"

static int yielder(wa_task *self, const wa_args *args) {
  for (int i = (int)wa_arg_number(args, "n"); i > 0; i--) {
    int rc = wa_sleep(0);
    if (rc < 0) return rc;
  }
  return WA_OK;
}

/* Two tasks alternating sleep(0): `switches` task switches in all. */
static int bench_pingpong(wa_task *self, const wa_args *args) {
  int half = (int)wa_arg_number(args, "switches") / 2;
  wa_task *t[2];
  for (int i = 0; i < 2; i++) {
    wa_args *a = wa_args_new();
    wa_args_set_number(a, "n", half);
    t[i] = wa_task_spawn(yielder, a, NULL);
  }
  int rc = WA_OK;
  for (int i = 0; i < 2; i++) {
    if (rc == WA_OK) rc = wa_task_join(t[i]);
    wa_task_release(t[i]);
  }
  return rc;
}
WA_EXPORT_COROUTINE(bench_pingpong, "switches:number")

/* Queue ping-pong: a producer puts n numbers into a queue of maxsize 1,
   a consumer gets them: every item hands over from one task to the other. */
static int producer(wa_task *self, const wa_args *args) {
  wa_queue *q = wa_arg_queue(args, "q");
  int n = (int)wa_arg_number(args, "n");
  for (int i = 0; i < n; i++) {
    int rc = wa_queue_put(q, &(wa_value){.kind = WA_NUMBER, .number = i});
    if (rc < 0) return rc;
  }
  return WA_OK;
}

static int consumer(wa_task *self, const wa_args *args) {
  wa_queue *q = wa_arg_queue(args, "q");
  int n = (int)wa_arg_number(args, "n");
  for (int i = 0; i < n; i++) {
    wa_value v;
    int rc = wa_queue_get(q, &v);
    if (rc < 0) return rc;
    if (v.number != i) return wa_raise("AssertionError", "got %g, not %d", v.number, i);
  }
  return WA_OK;
}

static int bench_queue(wa_task *self, const wa_args *args) {
  wa_queue *q = wa_queue_new(1, WA_QUEUE_FIFO);
  if (!q) return WA_ERROR;
  wa_coro_fn fns[2] = {producer, consumer};
  wa_task *t[2];
  for (int i = 0; i < 2; i++) {
    wa_args *a = wa_args_new();
    wa_args_set_number(a, "n", wa_arg_number(args, "n"));
    wa_args_set_queue(a, "q", q);
    t[i] = wa_task_spawn(fns[i], a, NULL);
  }
  wa_queue_free(q); /* the tasks' arguments hold it */
  int rc = WA_OK;
  for (int i = 0; i < 2; i++) {
    if (rc == WA_OK) rc = wa_task_join(t[i]);
    wa_task_release(t[i]);
  }
  return rc;
}
WA_EXPORT_COROUTINE(bench_queue, "n:number")

/* Joins each task (stopping at the first failure) and releases them all. */
static int join_all(wa_task **tasks, int n) {
  int rc = WA_OK;
  for (int i = 0; i < n; i++) {
    if (rc == WA_OK) rc = wa_task_join(tasks[i]);
    wa_task_release(tasks[i]);
  }
  free(tasks);
  return rc;
}

static int trivial(wa_task *self, const wa_args *args) { return wa_return_number(self, 1); }

/* Spawns n trivial tasks, then joins them all, like gather. */
static int bench_spawn_join(wa_task *self, const wa_args *args) {
  int n = (int)wa_arg_number(args, "n");
  wa_task **tasks = malloc(n * sizeof *tasks);
  if (!tasks) return wa_raise("MemoryError", "bench_spawn_join: no room for %d tasks", n);
  for (int i = 0; i < n; i++) tasks[i] = wa_task_spawn(trivial, NULL, NULL);
  return join_all(tasks, n);
}
WA_EXPORT_COROUTINE(bench_spawn_join, "n:number")

static int sleeper(wa_task *self, const wa_args *args) { return wa_sleep(wa_arg_number(args, "ms")); }

/* n tasks each sleeping ms at once (ms >= 2). Returns the heap bytes each
   holds while they all sleep (malloc's in-use count, taken halfway
   through their sleep; the array of them counted out). */
static int bench_sleepers(wa_task *self, const wa_args *args) {
  int n = (int)wa_arg_number(args, "n");
  double ms = wa_arg_number(args, "ms");
  size_t before = mallinfo().uordblks;
  wa_task **tasks = malloc(n * sizeof *tasks);
  if (!tasks) return wa_raise("MemoryError", "bench_sleepers: no room for %d tasks", n);
  for (int i = 0; i < n; i++) {
    wa_args *a = wa_args_new();
    wa_args_set_number(a, "ms", ms);
    tasks[i] = wa_task_spawn(sleeper, a, NULL);
  }
  int rc = wa_sleep(ms / 2); /* they all sleep now */
  double bytes = (double)(mallinfo().uordblks - before - n * sizeof *tasks) / n;
  if (rc == WA_OK) rc = join_all(tasks, n);
  return rc < 0 ? rc : wa_return_number(self, bytes);
}
WA_EXPORT_COROUTINE(bench_sleepers, "n:number, ms:number")

/* n trivial tasks spawned into a task group; the group's exit waits for
   them all (async with TaskGroup() as tg: tg.create_task(trivial())...). */
static int bench_group(wa_task *self, const wa_args *args) {
  int n = (int)wa_arg_number(args, "n");
  wa_group *g = wa_group_new();
  int rc = wa_group_enter(g);
  for (int i = 0; rc == WA_OK && i < n; i++) {
    wa_task *t = wa_group_spawn(g, trivial, NULL, NULL);
    if (!t) rc = wa_reraise();
    wa_task_release(t);
  }
  rc = wa_group_exit(g, rc);
  wa_group_free(g);
  return rc;
}
WA_EXPORT_COROUTINE(bench_group, "n:number")

/* gather of n trivial tasks, results read back in order. */
static int bench_gather(wa_task *self, const wa_args *args) {
  int n = (int)wa_arg_number(args, "n");
  wa_task **tasks = malloc(n * sizeof *tasks);
  if (!tasks) return wa_raise("MemoryError", "bench_gather: no room for %d tasks", n);
  for (int i = 0; i < n; i++) tasks[i] = wa_task_spawn(trivial, NULL, NULL);
  wa_task *g = wa_gather(tasks, n, false);
  int rc = g ? wa_task_join(g) : WA_ERROR;
  double sum = 0;
  for (int i = 0; rc == WA_OK && i < n; i++) {
    wa_value v;
    rc = wa_gather_result(g, i, &v, NULL);
    sum += v.number;
  }
  wa_task_release(g);
  for (int i = 0; i < n; i++) wa_task_release(tasks[i]);
  free(tasks);
  return rc < 0 ? rc : wa_return_number(self, sum);
}
WA_EXPORT_COROUTINE(bench_gather, "n:number")

/* ---- timer lateness ------------------------------------------------------ */

typedef struct {
  double deadline;
  double *late; /* where to write how late it woke (ms) */
} late_arg;

static int late_sleeper(wa_task *self, const wa_args *args) {
  late_arg *a = wa_arg_pointer(args, "at");
  int rc = wa_sleep(a->deadline - wa_time());
  *a->late = wa_time() - a->deadline;
  return rc;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* n tasks each sleeping to a deadline spread over [500, 1500) ms (a fixed
   pseudo-random order), spawned 1,000 per loop iteration as a program that
   keeps its page responsive would. Returns how late they woke, in ms:
   "p50 p99 max". */
static int bench_lateness(wa_task *self, const wa_args *args) {
  int n = (int)wa_arg_number(args, "n");
  late_arg *at = malloc(n * sizeof *at);
  double *late = malloc(n * sizeof *late);
  wa_task **tasks = malloc(n * sizeof *tasks);
  if (!at || !late || !tasks) {
    free(at), free(late), free(tasks);
    return wa_raise("MemoryError", "bench_lateness: no room for %d tasks", n);
  }
  double start = wa_time();
  unsigned seed = 12345;
  for (int i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    at[i] = (late_arg){start + 500 + (seed >> 8) % 1000000 / 1000.0, &late[i]};
    wa_args *a = wa_args_new();
    wa_args_set_pointer(a, "at", &at[i]);
    tasks[i] = wa_task_spawn(late_sleeper, a, NULL);
    if (i % 1000 == 999) wa_sleep(0);
  }
  int rc = join_all(tasks, n);
  if (rc == WA_OK) {
    qsort(late, n, sizeof *late, cmp_double);
    char text[96];
    snprintf(text, sizeof text, "%.3f %.3f %.3f", late[n / 2], late[(int)(n * 0.99)], late[n - 1]);
    rc = wa_return_string(self, text);
  }
  free(at);
  free(late);
  return rc;
}
WA_EXPORT_COROUTINE(bench_lateness, "n:number")

/* n host calls one after the other (wa_host_call of fn, joined): the
   round trip from C to a JS function's promise and back. */
static int bench_host_calls(wa_task *self, const wa_args *args) {
  int n = (int)wa_arg_number(args, "n");
  const char *fn = wa_arg_string(args, "fn");
  for (int i = 0; i < n; i++) {
    wa_task *f = wa_host_call(fn, NULL);
    if (!f) return WA_ERROR;
    int rc = wa_task_join(f);
    wa_task_release(f);
    if (rc < 0) return rc;
  }
  return WA_OK;
}
WA_EXPORT_COROUTINE(bench_host_calls, "n:number, fn:string")
