/*
 * probes.c: C coroutines the tests drive (built into wasyncio_test only).
 * Each prints what it sees, so a test can compare the lines with what
 * CPython's asyncio prints for the same program.
 */
#include <emscripten.h>
#include <emscripten/stack.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h" /* wa__clock_spend: the virtual clock for busy() */

/* Prints "<label>: ok" or "<label>: <Type>: <message>" for a call's code. */
static void report(const char *label, int rc) {
  const wa_error *e = wa_error_current();
  if (rc >= 0)
    wa_print("%s: ok", label);
  else
    wa_print("%s: %s: %s", label, e ? wa_error_type(e) : "?", e ? wa_error_message(e) : "?");
}

static const char *or(const char *s, const char *dflt) { return s ? s : dflt; }

/* ms of work: real time on the real clock; on the virtual clock the time
   passes at once, so tests of what slow steps do stay deterministic. */
static void busy(double ms) {
  if (wa__clock_spend(ms)) return;
  double end = emscripten_get_now() + ms;
  while (emscripten_get_now() < end) {
  }
}

/* The workhorse: "start", sleep ms (none when ms < 0), "end", return result
   (default: ms). on_cancel: "reraise" (default), "return" (42), "fail". */
static int worker(wa_task *self, const wa_args *args) {
  const char *label = or(wa_arg_string(args, "label"), wa_task_name(self));
  const char *on_cancel = or(wa_arg_string(args, "on_cancel"), "reraise");
  double ms = wa_arg_number(args, "ms");
  wa_print("start %s", label);
  int rc = ms < 0 ? WA_OK : wa_sleep(ms);
  if (rc == WA_ECANCELLED) {
    wa_print("cancelled %s: %s", label, wa_error_message(wa_error_current()));
    if (strcmp(on_cancel, "return") == 0) {
      wa_error_clear();
      return wa_return_number(self, 42);
    }
    if (strcmp(on_cancel, "fail") == 0) return wa_raise("ValueError", "failed in cleanup");
    return rc;
  }
  if (rc < 0) {
    report(label, rc);
    return rc;
  }
  wa_print("end %s", label);
  return wa_return_number(self, wa_args_has(args, "result") ? wa_arg_number(args, "result") : ms);
}
WA_EXPORT_COROUTINE(worker, "ms:number, label?:string, result?:number, on_cancel?:string")

/* Sleeps ms (none when < 0), then fails with type(message). */
static int fail(wa_task *self, const wa_args *args) {
  double ms = wa_arg_number(args, "ms");
  if (ms >= 0) {
    int rc = wa_sleep(ms);
    if (rc < 0) return rc;
  }
  return wa_raise(wa_arg_string(args, "type"), "%s", wa_arg_string(args, "message"));
}
WA_EXPORT_COROUTINE(fail, "ms:number, type:string, message:string")

/* Returns a string result without suspending. */
static int greet(wa_task *self, const wa_args *args) {
  char text[128];
  snprintf(text, sizeof text, "hello, %s", wa_arg_string(args, "who"));
  return wa_return_string(self, text);
}
WA_EXPORT_COROUTINE(greet, "who:string")

/* label0, label1, ... with sleep(0) between; busy_ms of real work each. */
static int ticker(wa_task *self, const wa_args *args) {
  const char *label = wa_arg_string(args, "label");
  double busy_ms = wa_args_has(args, "busy_ms") ? wa_arg_number(args, "busy_ms") : 0;
  double delay = wa_args_has(args, "delay") ? wa_arg_number(args, "delay") : 0;
  for (int i = 0; i < (int)wa_arg_number(args, "n"); i++) {
    wa_print("%s%d", label, i);
    busy(busy_ms);
    int rc = wa_sleep(delay);
    if (rc < 0) return rc;
  }
  return WA_OK;
}
WA_EXPORT_COROUTINE(ticker, "label:string, n:number, busy_ms?:number, delay?:number")

/* Prints the loop time at each wake-up: a sleep of ms, repeated n times. */
static int clock_probe(wa_task *self, const wa_args *args) {
  for (int i = 0; i < (int)wa_arg_number(args, "n"); i++) {
    int rc = wa_sleep(wa_arg_number(args, "ms"));
    if (rc < 0) return rc;
    wa_print("t=%.0f", wa_time());
  }
  return WA_OK;
}
WA_EXPORT_COROUTINE(clock_probe, "ms:number, n:number")

static wa_args *worker_args(const char *label, double ms, const char *on_cancel) {
  wa_args *a = wa_args_new();
  wa_args_set_string(a, "label", label);
  wa_args_set_number(a, "ms", ms);
  if (on_cancel) wa_args_set_string(a, "on_cancel", on_cancel);
  return a;
}

/* L1: creating tasks does not run them. */
static int l1_basics(wa_task *self, const wa_args *args) {
  wa_task *a = wa_task_spawn(worker, worker_args("A", 0, NULL), NULL);
  wa_task *b = wa_task_spawn(worker, worker_args("B", 0, NULL), NULL);
  wa_print("after-create");
  int rc = wa_sleep(0);
  wa_print("main-resumed");
  if (rc == WA_OK) rc = wa_task_join(a);
  if (rc == WA_OK) rc = wa_task_join(b);
  wa_task_release(a);
  wa_task_release(b);
  return rc;
}
WA_EXPORT_COROUTINE(l1_basics, "")

static void say(wa_task *t, void *arg) { wa_print("callback %s (%s)", (const char *)arg, wa_task_name(t)); }

static wa_task *shared_child;

static int awaiter(wa_task *self, const wa_args *args) {
  int rc = wa_task_join(shared_child);
  wa_print("awaiter resumed");
  return rc;
}

/* L2, L4: callbacks run later, in registration order, shared with
   awaiters; removal removes every copy; one added when done is queued. */
static int callback_order(wa_task *self, const wa_args *args) {
  wa_task *child = shared_child = wa_task_spawn(worker, worker_args("child", 0, NULL), NULL);
  wa_task_add_done_callback(child, say, "one");
  wa_task *w = wa_task_spawn(awaiter, NULL, "awaiter");
  wa_sleep(0); /* the awaiter registers now, between "one" and "two" */
  wa_task_add_done_callback(child, say, "two");
  wa_task_add_done_callback(child, say, "gone");
  wa_task_add_done_callback(child, say, "gone");
  wa_print("removed %d", wa_task_remove_done_callback(child, say, "gone"));
  int rc = wa_task_join(child);
  wa_print("joined child");
  wa_task_add_done_callback(child, say, "late");
  wa_print("added late");
  if (rc == WA_OK) rc = wa_task_join(w);
  wa_sleep(0);
  wa_print("removed after done %d", wa_task_remove_done_callback(child, say, "two"));
  wa_task_release(child);
  wa_task_release(w);
  return rc;
}
WA_EXPORT_COROUTINE(callback_order, "")

/* L5: awaiting a finished task does not suspend. */
static int await_done(wa_task *self, const wa_args *args) {
  wa_task *child = wa_task_spawn(worker, worker_args("child", -1, NULL), NULL);
  wa_sleep(0);
  wa_task *other = wa_task_spawn(worker, worker_args("other", -1, NULL), NULL);
  report("join finished child", wa_task_join(child));
  wa_print("after join");
  int rc = wa_task_join(other);
  wa_task_release(child);
  wa_task_release(other);
  return rc;
}
WA_EXPORT_COROUTINE(await_done, "")

/* L6: a task that awaits itself gets an error. */
static int await_self(wa_task *self, const wa_args *args) {
  int rc = wa_task_join(self);
  report("join self", rc);
  return rc;
}
WA_EXPORT_COROUTINE(await_self, "")

/* L6 through the C API: result and exception in each state. */
static int outcomes(wa_task *self, const wa_args *args) {
  wa_task *ok = wa_task_spawn(worker, worker_args("ok", 5, NULL), NULL);
  wa_args *fa = wa_args_new();
  wa_args_set_number(fa, "ms", 5);
  wa_args_set_string(fa, "type", "KeyError");
  wa_args_set_string(fa, "message", "k");
  wa_task *bad = wa_task_spawn(fail, fa, NULL);
  wa_task *gone = wa_task_spawn(worker, worker_args("gone", 5, NULL), NULL);
  wa_value v;
  const wa_error *e;
  report("pending result", wa_task_result(ok, &v));
  report("pending exception", wa_task_exception(ok, &e));
  wa_task_cancel(gone, "bye");
  wa_sleep(10);
  wa_error_clear();
  report("done result", wa_task_result(ok, &v));
  wa_print("value %.0f", v.number);
  report("done exception", wa_task_exception(ok, &e));
  wa_print("exception is %s", e ? "set" : "NULL");
  report("failed result", wa_task_result(bad, &v));
  report("failed exception", wa_task_exception(bad, &e));
  wa_print("exception %s: %s", wa_error_type(e), wa_error_message(e));
  report("cancelled result", wa_task_result(gone, &v));
  report("cancelled exception", wa_task_exception(gone, &e));
  wa_print("cancel done task: %d", wa_task_cancel(ok, NULL));
  wa_error_clear();
  wa_task_release(ok);
  wa_task_release(bad);
  wa_task_release(gone);
  return WA_OK;
}
WA_EXPORT_COROUTINE(outcomes, "")

/* C1: a task that cancels itself keeps running until its next suspension. */
static int cancel_self(wa_task *self, const wa_args *args) {
  wa_print("current is self: %d", wa_task_current() == self);
  wa_print("cancel self: %d", wa_task_cancel(wa_task_current(), "self"));
  wa_print("still running, cancelling=%d", wa_task_cancelling(self));
  int rc = wa_sleep(wa_arg_number(args, "ms"));
  report("sleep", rc);
  return rc;
}
WA_EXPORT_COROUTINE(cancel_self, "ms:number")

/* C5: cancels itself, then returns without suspending. */
static int cancel_at_end(wa_task *self, const wa_args *args) {
  wa_task_cancel(self, "at end");
  return wa_return_number(self, 42);
}
WA_EXPORT_COROUTINE(cancel_at_end, "")

/* C7: awaits a worker it spawns; reports what the join gave. */
static int outer(wa_task *self, const wa_args *args) {
  wa_task *inner = wa_task_spawn(
      worker, worker_args("inner", wa_arg_number(args, "ms"), wa_arg_string(args, "inner_on_cancel")), "inner");
  int rc = wa_task_join(inner);
  report("outer join", rc);
  if (rc == WA_OK) {
    wa_value v;
    wa_task_result(inner, &v);
    wa_print("outer got %.0f, inner cancelling=%d", v.number, wa_task_cancelling(inner));
    rc = wa_return_number(self, v.number);
  } else {
    wa_print("inner cancelled=%d cancelling=%d", wa_task_cancelled(inner), wa_task_cancelling(inner));
  }
  wa_task_release(inner);
  return rc;
}
WA_EXPORT_COROUTINE(outer, "ms:number, inner_on_cancel?:string")

/* Spawns n workers and keeps no reference to any. */
static int fire_and_forget(wa_task *self, const wa_args *args) {
  int n = (int)wa_arg_number(args, "n");
  for (int i = 0; i < n; i++) {
    char label[16];
    snprintf(label, sizeof label, "ff%d", i);
    wa_task_release(wa_task_spawn(worker, worker_args(label, 10 * (i + 1), NULL), NULL));
  }
  return WA_OK;
}
WA_EXPORT_COROUTINE(fire_and_forget, "n:number")

static wa_args *fail_args(double ms, const char *message) {
  wa_args *a = wa_args_new();
  wa_args_set_number(a, "ms", ms);
  wa_args_set_string(a, "type", "ValueError");
  wa_args_set_string(a, "message", message);
  return a;
}

/* One failing task nobody keeps (to be reported when freed), one awaited. */
static int fire_and_forget_failure(wa_task *self, const wa_args *args) {
  wa_task_release(wa_task_spawn(fail, fail_args(1, "nobody awaits me"), "doomed"));
  wa_task *seen = wa_task_spawn(fail, fail_args(1, "awaited"), "seen");
  int rc = wa_task_join(seen);
  wa_task_release(seen);
  wa_error_clear();
  return rc == WA_ERROR ? WA_OK : wa_raise("AssertionError", "join gave %d", rc);
}
WA_EXPORT_COROUTINE(fire_and_forget_failure, "")

/* Misuse of the C API: each call fails with a clear error and a code. */
static int bad_calls(wa_task *self, const wa_args *args) {
  report("sleep NaN", wa_sleep(0.0 / 0.0));
  wa_print("code %d", wa_sleep(0.0 / 0.0));
  report("join NULL", wa_task_join(NULL));
  wa_print("code %d", wa_task_join(NULL));
  wa_print("spawn NULL: %s", wa_task_spawn(NULL, NULL, NULL) ? "task" : "NULL");
  report("after spawn NULL", -1);
  wa_error_clear();
  report("sleep -5 after errors", wa_sleep(-5));
  return WA_OK;
}
WA_EXPORT_COROUTINE(bad_calls, "")

/* A coroutine that fails without saying why. */
static int silent_failure(wa_task *self, const wa_args *args) { return WA_ERROR; }
WA_EXPORT_COROUTINE(silent_failure, "")

/* Recursion using 256 bytes of C stack per level, no suspension. Each
   level hands its buffer down, so the compiler cannot turn it into a loop. */
static int deep_stack_level(int n, volatile char *parent) {
  volatile char buf[256];
  buf[0] = parent ? (char)(parent[0] + 1) : 0;
  if (n == 0) return buf[0];
  return deep_stack_level(n - 1, buf);
}

/* A done callback that recurses far past the main stack (5 MiB). */
static void deep_callback(wa_task *t, void *arg) {
  wa_print("deep callback returned %d", deep_stack_level(100000, NULL));
}

static int overflow_in_callback(wa_task *self, const wa_args *args) {
  wa_task *child = wa_task_spawn(worker, worker_args("child", -1, NULL), NULL);
  wa_task_add_done_callback(child, deep_callback, NULL);
  int rc = wa_task_join(child);
  wa_task_release(child);
  wa_sleep(0);
  wa_print("after the callback");
  return rc;
}
WA_EXPORT_COROUTINE(overflow_in_callback, "")

static int deep_stack(wa_task *self, const wa_args *args) {
  int r = deep_stack_level((int)wa_arg_number(args, "depth"), NULL);
  wa_print("deep_stack returned %d", r);
  return wa_return_number(self, r);
}
WA_EXPORT_COROUTINE(deep_stack, "depth:number")

/* Recursion with little C stack but many live wasm locals, suspending at
   the bottom: the Asyncify buffer takes every frame. */
static int deep_suspend_rc;

/* unsigned: the values wrap after a few levels, which must not be UB. */
static unsigned deep_suspend_level(int n, unsigned a, unsigned b, unsigned c, unsigned d) {
  if (n == 0) return deep_suspend_rc = wa_sleep(0), 0;
  unsigned e = a * 3 + b, f = b * 5 + c, g = c * 7 + d, h = d * 11 + a;
  unsigned r = deep_suspend_level(n - 1, e, f, g, h);
  return r + e + f + g + h + a + b + c + d;
}

static int deep_suspend(wa_task *self, const wa_args *args) {
  deep_suspend_level((int)wa_arg_number(args, "depth"), 1, 2, 3, 4);
  wa_print("deep_suspend slept: %s", deep_suspend_rc == WA_OK ? "ok" : "failed");
  return deep_suspend_rc;
}
WA_EXPORT_COROUTINE(deep_suspend, "depth:number")

/* Takes mb MiB of wasm memory without touching it, holds it for ms, and
   gives it back: later allocations (a task's slab) then land above it. */
static int hold_memory(wa_task *self, const wa_args *args) {
  char *volatile p = malloc((size_t)wa_arg_number(args, "mb") << 20); /* kept */
  if (!p) return wa_raise("MemoryError", "hold_memory: no %.0f MiB", wa_arg_number(args, "mb"));
  int rc = wa_sleep(wa_arg_number(args, "ms"));
  free(p);
  return rc;
}
WA_EXPORT_COROUTINE(hold_memory, "mb:number, ms:number")

/* Uses kb KiB of its C stack (a frame that big, every byte written), sleeps
   ms with it, and returns its sum check: what a suspension must keep. */
static int big_frame(wa_task *self, const wa_args *args) {
  size_t n = (size_t)wa_arg_number(args, "kb") << 10;
  unsigned char *frame = __builtin_alloca(n);
  for (size_t i = 0; i < n; i++) frame[i] = (unsigned char)(i * 7);
  int rc = wa_sleep(wa_arg_number(args, "ms"));
  if (rc < 0) return rc;
  double sum = 0; /* the same bytes after the other tasks had the stack */
  for (size_t i = 0; i < n; i++) sum += frame[i] == (unsigned char)(i * 7);
  return wa_return_number(self, sum);
}
WA_EXPORT_COROUTINE(big_frame, "kb:number, ms:number")

/* The shared run stack's one rule (fiber.c): a done callback, run by the
   loop while this task sleeps, sets a flag the task handed it. With
   heap=1 the flag is wa_task_alloc's and the task sees it set (returns
   1); with heap=0 it is a local, whose address means nothing while the
   task is suspended: the write lands on the run stack, which the task's
   own copy then covers again (returns 0); in the ASan build the run stack
   is poisoned then, and the write is reported. */
static void set_flag(wa_task *t, void *arg) { *(volatile int *)arg = 1; }
static int flag_child(wa_task *self, const wa_args *args) { return WA_OK; }
static int stack_rule(wa_task *self, const wa_args *args) {
  volatile int local = 0;
  int *flag = wa_arg_number(args, "heap") ? wa_task_alloc(self, sizeof *flag) : (int *)&local;
  if (!flag) return WA_ERROR;
  wa_task *child = wa_task_spawn(flag_child, NULL, NULL);
  if (!child) return WA_ERROR;
  int rc = wa_task_add_done_callback(child, set_flag, flag);
  wa_task_release(child);
  if (rc == WA_OK) rc = wa_sleep(5); /* the child ends, its callback runs */
  return rc < 0 ? rc : wa_return_number(self, *(volatile int *)flag);
}
WA_EXPORT_COROUTINE(stack_rule, "heap:number")

/* Declares a parameter type JavaScript has no value for. */
static int bad_declaration(wa_task *self, const wa_args *args) { return WA_OK; }
WA_EXPORT_COROUTINE(bad_declaration, "x:float")

/* Prints the stack pointer's alignment and a float formatted on the task's
   stack: a stack aligned to only 8 bytes made printf print 0.0 as "". */
static int stack_alignment(wa_task *self, const wa_args *args) {
  wa_print("sp %% 16 = %u, zero = '%.15g'", (unsigned)(emscripten_stack_get_current() % 16), 0.0);
  return WA_OK;
}
WA_EXPORT_COROUTINE(stack_alignment, "")

/* TG3: children failing with KeyError at 20 ms, ValueError and TypeError at
   10 ms; the body sleeps 100 ms. Prints what the group raises. */
static int group_errors(wa_task *self, const wa_args *args) {
  static const struct { const char *type; double ms; } kids[] = {
      {"KeyError", 20}, {"ValueError", 10}, {"TypeError", 10}};
  wa_group *g = wa_group_new();
  int rc = wa_group_enter(g);
  for (int i = 0; rc == WA_OK && i < 3; i++) {
    wa_args *a = wa_args_new();
    wa_args_set_number(a, "ms", kids[i].ms);
    wa_args_set_string(a, "type", kids[i].type);
    wa_args_set_string(a, "message", kids[i].type);
    wa_task_release(wa_group_spawn(g, fail, a, kids[i].type));
  }
  if (rc == WA_OK) {
    rc = wa_sleep(100);
    report("body", rc);
  }
  rc = wa_group_exit(g, rc);
  wa_group_free(g);
  const wa_error *e = wa_error_current();
  wa_print("exit rc=%d %s n=%d", rc, e ? wa_error_type(e) : "-", wa_error_count(e));
  for (int i = 0; i < wa_error_count(e); i++)
    wa_print("  %s(%s)", wa_error_type(wa_error_child(e, i)), wa_error_message(wa_error_child(e, i)));
  wa_print("cancelling=%d", wa_task_cancelling(self));
  return rc;
}
WA_EXPORT_COROUTINE(group_errors, "")

/* ---- for tests/reliability/hostile.test.mjs ------------------------------------------
   echo returns its string argument exactly as it reached C (strlen and all),
   so a test can tell whether a string crossed into C intact. */
static int echo(wa_task *self, const wa_args *args) {
  return wa_return_string(self, wa_arg_string(args, "text"));
}
WA_EXPORT_COROUTINE(echo, "text:string")
/* ---- end of tests/reliability/hostile.test.mjs probes ------------------------------- */

/* ---- memory.test.mjs ------------------------------------------------------ */

/* Sleeps until cancelled; then, instead of ending, takes every byte malloc
   still gives (blocks of 1 MiB, then smaller and smaller down to 1 byte,
   at most `limit` bytes in all), prints "hog holds <n> bytes", and sleeps
   again until cancelled a second time, when it gives them all back. So a
   test can bring the memory to its very limit at a moment of its choosing.
   Created while there is memory (it holds its slab from its first step). */
static int hog(wa_task *self, const wa_args *args) {
  double limit = wa_arg_number(args, "limit");
  int rc = wa_sleep(1e12);
  if (rc != WA_ECANCELLED) return rc;
  wa_error_clear();
  wa_task_uncancel(self);
  void *held = NULL; /* a list through the blocks' first word */
  double total = 0;
  for (size_t size = 1 << 20; size >= 1; size /= 2) {
    size_t block = size < sizeof(void *) ? sizeof(void *) : size;
    for (void *p; total + block <= limit && (p = malloc(block));) {
      *(void **)p = held;
      held = p;
      total += block;
    }
  }
  wa_print("hog holds %.0f bytes", total);
  rc = wa_sleep(1e12);
  while (held) {
    void *next = *(void **)held;
    free(held);
    held = next;
  }
  return rc < 0 ? rc : wa_return_number(self, total);
}
WA_EXPORT_COROUTINE(hog, "limit:number")

/* ---- for tests/core/snapshot.test.mjs ------------------------------------ */

/* Spawns a child that sleeps `ms`, yields once so that it starts, prints
   the task tree from C, then awaits the child. */
static int sleeper_child(wa_task *self, const wa_args *args) {
  return wa_sleep(wa_arg_number(args, "ms"));
}
static int print_tree(wa_task *self, const wa_args *args) {
  wa_args *a = wa_args_new();
  if (!a || wa_args_set_number(a, "ms", wa_arg_number(args, "ms")) < 0) return wa_args_free(a), WA_ERROR;
  wa_task *child = wa_task_spawn(sleeper_child, a, "sleepy");
  if (!child) return WA_ERROR;
  int rc = wa_sleep(0);
  if (rc == WA_OK) wa_print_task_tree();
  if (rc == WA_OK) rc = wa_task_join(child);
  wa_task_release(child);
  return rc;
}
WA_EXPORT_COROUTINE(print_tree, "ms:number")

/* ---- for tests/core/trace.test.mjs: wa_trace_hook -------------------------- */

static const char *const event_names[] = {"created", "member", "step", "suspended", "cancel", "ended"};

static void print_event(const wa_trace_event *e, void *arg) {
  (void)arg;
  wa_print("%s #%u other=%u value=%g what=%s text=%s%s%s", event_names[e->kind], e->task, e->other,
           e->value, e->what ? e->what : "-", e->text ? e->text : "-",
           e->coroutine ? " coroutine=" : "", e->coroutine ? e->coroutine : "");
}

/* Hooks the trace, runs a child that sleeps 5 ms and fails, unhooks. */
static int failing_child(wa_task *self, const wa_args *args) {
  int rc = wa_sleep(5);
  return rc < 0 ? rc : wa_raise("ValueError", "child failed");
}
WA_EXPORT_COROUTINE(failing_child, "") /* registered: its events name it */
static int trace_hooked(wa_task *self, const wa_args *args) {
  wa_trace_hook(print_event, NULL);
  wa_task *child = wa_task_spawn(failing_child, NULL, "child");
  if (!child) return wa_trace_hook(NULL, NULL), WA_ERROR;
  int rc = wa_task_join(child);
  wa_task_release(child);
  wa_trace_hook(NULL, NULL);
  if (rc < 0) wa_error_clear();
  return wa_sleep(1); /* unhooked: prints nothing */
}
WA_EXPORT_COROUTINE(trace_hooked, "")

/* ---- loop.call_soon / call_later / call_at (tests/core/loop.test.mjs) ---- */

typedef struct {
  char text[256];
} handle_log;

static handle_log *handles_log;

static void log_label(void *arg) {
  size_t used = strlen(handles_log->text);
  snprintf(handles_log->text + used, sizeof handles_log->text - used, "%s%s", used ? " " : "", (const char *)arg);
}

/* The program the test runs on CPython 3.13 too, in C. */
static int call_handles(wa_task *self, const wa_args *args) {
  if (!(handles_log = wa_task_alloc(self, sizeof *handles_log))) return WA_ERROR;
  wa_handle_release(wa_call_soon(log_label, "a"));
  wa_handle *h = wa_call_later(10, log_label, "b");
  wa_handle_release(wa_call_soon(log_label, "c"));
  wa_handle_release(wa_call_later(5, log_label, "d"));
  wa_handle_release(wa_call_at(wa_time() + 5, log_label, "e"));
  wa_handle_cancel(h);
  wa_handle_cancel(wa_call_soon(log_label, "f"));
  wa_handle *r = wa_call_soon(log_label, "g");
  wa_sleep(0);
  log_label("after-sleep(0)");
  wa_sleep(20);
  wa_handle_cancel(r); /* after it ran: nothing, and it is freed */
  log_label("end |");
  if (wa_call_soon(NULL, NULL) == NULL) log_label((char *)wa_error_type(wa_error_current()));
  wa_error_clear();
  if (wa_call_later(NAN, log_label, "x") == NULL) log_label((char *)wa_error_type(wa_error_current()));
  wa_error_clear();
  return wa_return_string(self, handles_log->text);
}
WA_EXPORT_COROUTINE(call_handles, "")
