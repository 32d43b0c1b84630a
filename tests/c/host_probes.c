/* Probes for host calls (src/js/hostcall.c) and the user's futures
   (src/core/future.c), driven by tests/js/hostcall.test.mjs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasyncio.h"

/* Calls host function fn with {n, s} as given and, when len >= 0, data:
   len bytes 0, 7, 14, ... (mod 256); returns what the call gives. */
static int call_host(wa_task *self, const wa_args *args) {
  wa_args *a = wa_args_new();
  if (!a) return wa_raise("MemoryError", "call_host: no memory for arguments");
  int rc = WA_OK;
  if (wa_args_has(args, "n")) rc = wa_args_set_number(a, "n", wa_arg_number(args, "n"));
  if (rc == WA_OK && wa_arg_string(args, "s")) rc = wa_args_set_string(a, "s", wa_arg_string(args, "s"));
  double len = wa_args_has(args, "len") ? wa_arg_number(args, "len") : -1;
  if (rc == WA_OK && len >= 0) {
    unsigned char *buf = malloc((size_t)len + 1);
    if (!buf) rc = wa_raise("MemoryError", "call_host: no memory for %g bytes", len);
    for (size_t i = 0; rc == WA_OK && i < (size_t)len; i++) buf[i] = (unsigned char)(i * 7);
    if (rc == WA_OK) rc = wa_args_set_bytes(a, "data", buf, (size_t)len);
    free(buf);
  }
  if (rc == WA_OK && wa_arg_string(args, "pointer")) rc = wa_args_set_pointer(a, "p", self);
  wa_task *f = rc == WA_OK ? wa_host_call(wa_arg_string(args, "fn"), a) : NULL;
  wa_args_free(a);
  if (!f) return rc < 0 ? rc : wa_reraise();
  rc = wa_task_join(f);
  wa_value v;
  if (rc == WA_OK) rc = wa_task_result(f, &v);
  if (rc == WA_OK) rc = wa_return_value(self, &v);
  wa_task_release(f);
  return rc;
}
WA_EXPORT_COROUTINE(call_host, "fn:string, n?:number, s?:string, len?:number, pointer?:string")

typedef struct {
  long switches;
  bool stop;
} progress;

static int spin(wa_task *self, const wa_args *args) {
  progress *p = wa_arg_pointer(args, "p");
  while (!p->stop) {
    p->switches++;
    int rc = wa_sleep(0);
    if (rc < 0) return rc;
  }
  return WA_OK;
}

/* Starts `tickers` tasks switching (sleep(0)) and calls host function fn
   meanwhile; returns how many switches they made while the call was
   pending. */
static int host_while_switching(wa_task *self, const wa_args *args) {
  int n = (int)wa_arg_number(args, "tickers");
  progress *p = wa_task_alloc(self, sizeof *p); /* the tickers reach it */
  wa_task **tickers = wa_task_alloc(self, (size_t)n * sizeof *tickers);
  if (!p || !tickers) return WA_ERROR;
  for (int i = 0; i < n; i++) {
    wa_args *a = wa_args_new();
    if (!a || wa_args_set_pointer(a, "p", p) < 0) return wa_args_free(a), WA_ERROR;
    if (!(tickers[i] = wa_task_spawn(spin, a, NULL))) return WA_ERROR;
  }
  wa_task *f = wa_host_call(wa_arg_string(args, "fn"), NULL);
  int rc = f ? wa_task_join(f) : WA_ERROR;
  long during = p->switches;
  p->stop = true;
  for (int i = 0; i < n; i++) {
    wa_task_join(tickers[i]);
    wa_task_release(tickers[i]);
  }
  if (f) wa_task_release(f);
  return rc < 0 ? rc : wa_return_number(self, (double)during);
}
WA_EXPORT_COROUTINE(host_while_switching, "fn:string, tickers:number")

/* ---- the user's futures (wa_future_new) ---------------------------------- */

typedef struct {
  char text[1024];
} log_t;

static void say(log_t *log, const char *fmt, const char *a, double x) {
  size_t used = strlen(log->text);
  snprintf(log->text + used, sizeof log->text - used, "%s", used ? "; " : "");
  used = strlen(log->text);
  char line[200];
  snprintf(line, sizeof line, fmt, a, x);
  snprintf(log->text + used, sizeof log->text - used, "%s", line);
}

static void on_done(wa_task *f, void *arg) { say(arg, "callback", "", 0); }

static int wait_future(wa_task *self, const wa_args *args) {
  wa_task *f = wa_arg_pointer(args, "f");
  log_t *log = wa_arg_pointer(args, "log");
  int rc = wa_task_join(f);
  wa_value v;
  if (rc == WA_OK && wa_task_result(f, &v) == WA_OK) say(log, "waiter got %s%g", "", v.number);
  else say(log, "waiter %s", wa_error_type(wa_error_current()), 0);
  wa_error_clear();
  return WA_OK;
}

/* tests/js/futures.py in C: CPython 3.13 prints the same log. */
static int future_basics(wa_task *self, const wa_args *args) {
  log_t *log = wa_task_alloc(self, sizeof *log);
  if (!log) return WA_ERROR;
  wa_task *f = wa_future_new(NULL);
  wa_args *a = wa_args_new();
  wa_args_set_pointer(a, "f", f);
  wa_args_set_pointer(a, "log", log);
  wa_task *t = wa_task_spawn(wait_future, a, NULL);
  wa_task_add_done_callback(f, on_done, log);
  wa_sleep(0);
  wa_future_set_result(f, &(wa_value){.kind = WA_NUMBER, .number = 42});
  if (wa_future_set_result(f, &(wa_value){.kind = WA_NUMBER, .number = 43}) == WA_ESTATE)
    say(log, "InvalidStateError: %s", wa_error_message(wa_error_current()), 0);
  wa_error_clear();
  wa_task_join(t);
  wa_task_release(t);
  wa_task_release(f);

  wa_task *g = wa_future_new(NULL);
  wa_future_set_exception(g, wa_error_new("ValueError", "bad"));
  if (wa_task_join(g) < 0) say(log, "g %s", wa_error_type(wa_error_current()), 0);
  wa_error_clear();
  wa_task_release(g);

  wa_task *h = wa_future_new(NULL);
  bool first = wa_task_cancel(h, "why"), second = wa_task_cancel(h, NULL);
  say(log, first ? "cancel True %s" : "cancel False %s", second ? "True" : "False", 0);
  if (wa_task_join(h) == WA_ECANCELLED) say(log, "h CancelledError %s", wa_error_message(wa_error_current()), 0);
  wa_error_clear();
  if (wa_future_set_result(h, NULL) == WA_ESTATE)
    say(log, "InvalidStateError: %s", wa_error_message(wa_error_current()), 0);
  wa_error_clear();
  wa_task_release(h);

  wa_task *k = wa_future_new(NULL);
  wa_future_set_exception(k, wa_error_new("CancelledError", "x"));
  say(log, "k cancelled=%s", wa_task_cancelled(k) ? "True" : "False", 0);
  if (wa_task_join(k) == WA_ECANCELLED) say(log, "k %s", wa_error_type(wa_error_current()), 0);
  wa_error_clear();
  wa_task_release(k);

  /* A task is not a future a user may end. */
  if (wa_future_set_result(self, NULL) == WA_ESTATE) say(log, "task: %s", wa_error_type(wa_error_current()), 0);
  wa_error_clear();
  return wa_return_string(self, log->text);
}
WA_EXPORT_COROUTINE(future_basics, "")

/* Joins the task or future JS passed ("t:task") and returns its result;
   joins `gate` first when given. */
static int await_task(wa_task *self, const wa_args *args) {
  wa_task *t = wa_arg_task(args, "t"), *gate = wa_arg_task(args, "gate");
  int rc = gate ? wa_task_join(gate) : WA_OK;
  if (rc == WA_OK) rc = wa_task_join(t);
  wa_value v;
  if (rc == WA_OK) rc = wa_task_result(t, &v);
  return rc < 0 ? rc : wa_return_value(self, &v);
}
WA_EXPORT_COROUTINE(await_task, "t:task, gate?:task")
