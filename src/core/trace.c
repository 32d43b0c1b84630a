/*
 * trace.c: what the scheduler does, as events, and what it holds, as a
 * snapshot: the ground for rt.trace(), rt.tasks() and a printed task tree.
 *
 * Events are recorded only while the host listens (wa__tracing): each
 * transition costs one branch otherwise. They pile up in a buffer the host
 * takes after each pump. An event that finds no memory is counted as
 * dropped, never fails the task it describes.
 *
 * These functions never suspend, and module.json's link flags tell
 * Asyncify so (ASYNCIFY_REMOVE): otherwise, as they make indirect calls
 * (snprintf, a waiter's deadline), every call site in the scheduler's hot
 * paths would carry unwinding code, tracing or not (+14 % per switch).
 * noinline keeps them functions of their own for that list to name.
 */
#include <emscripten.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool wa__tracing;
static bool host_listens;   /* rt.trace(): record for the host */
static wa_trace_fn hook;    /* wa_trace_hook() */
static void *hook_arg;
static bool in_hook;

void wa_trace_hook(wa_trace_fn fn, void *arg) {
  hook = fn;
  hook_arg = arg;
  wa__tracing = host_listens || hook;
}

static wa_trace_record *events;
static int count, cap;
static unsigned dropped;

/* Beyond this many events between two takes by the host (one pump), the
   rest are dropped: a long C run cannot fill memory with its trace. */
enum { MAX_EVENTS = 1 << 20 };

static wa_trace_record *next_event(void) {
  if (count == MAX_EVENTS) {
    dropped++;
    return NULL;
  }
  if (count == cap) {
    int more = cap ? cap * 2 : 256;
    wa_trace_record *grown = wa__realloc(events, more * sizeof *events);
    if (!grown) {
      dropped++;
      return NULL;
    }
    events = grown;
    cap = more;
  }
  return &events[count++];
}

__attribute__((noinline)) void wa__trace(wa_trace_kind kind, const wa_task *t, unsigned other, double value,
               const char *what, const char *text) {
  double now = wa_time(); /* a call into JS on the real clock: once */
  const char *coroutine = kind == TRACE_CREATED && t->fn ? wa__registry_name_of(t->fn) : NULL;
  if (hook && !in_hook) {
    wa_trace_event ev = {.kind = (wa_trace_event_kind)kind, .time = now, .task = t->id, .other = other,
                   .value = value, .what = what, .text = text, .coroutine = coroutine};
    in_hook = true;
    hook(&ev, hook_arg);
    in_hook = false;
  }
  if (!host_listens) return;
  wa_trace_record *e = next_event();
  if (!e) return;
  e->time = now;
  e->kind = kind;
  e->task = t->id;
  e->other = other;
  e->value = value;
  e->what = what;
  e->coroutine = coroutine;
  /* Lost text (no memory) leaves the event without it. */
  e->text = text ? wa__strdup(text) : NULL;
}

/* A C coroutine's result for its ENDED event: its kind ("number",
   "string", "json", "bytes", "none") and, in *text, the number as %.17g,
   the string or JSON text, or "<n> bytes". */
static const char *describe_result(const wa_value *v, char *buf, size_t size, const char **text) {
  if (v->kind == WA_NUMBER) {
    snprintf(buf, size, "%.17g", v->number);
    *text = buf;
    return "number";
  }
  if (v->kind == WA_STRING || v->kind == WA_JSON) {
    *text = v->string ? v->string : "";
    return v->kind == WA_JSON ? "json" : "string";
  }
  if (v->kind == WA_BYTES) {
    snprintf(buf, size, "%zu bytes", v->length);
    *text = buf;
    return "bytes";
  }
  return "none";
}

/* The events whose fields come from the task itself. */
void wa__trace_task(wa_trace_kind kind, const wa_task *t) {
  char text[600];
  switch (kind) {
  case TRACE_CREATED:
    wa__trace(kind, t, t->parent_id, t->ops->future, t->ops->type, t->name);
    break;
  case TRACE_SUSPENDED: {
    const wa_waiter_ops *w = t->waiting;
    double until = w && w->deadline ? w->deadline(t) : NAN; /* NaN: none */
    wa__trace(kind, t, t->awaiting ? t->awaiting->id : 0, until, w ? w->what : "yield", NULL);
    break;
  }
  default: { /* TRACE_ENDED */
    const char *message = NULL, *what = NULL;
    if (t->state == TASK_FAILED && t->outcome) {
      snprintf(text, sizeof text, "%s: %s", t->outcome->type, t->outcome->message);
      message = text;
    } else if (t->state == TASK_CANCELLED && t->outcome && t->outcome->message) {
      message = t->outcome->message;
    } else if (t->state == TASK_DONE && t->fn) { /* a C coroutine's result */
      what = describe_result(&t->result, text, sizeof text, &message);
    }
    wa__trace(kind, t, 0, t->state, what, message);
  }
  }
}

/* The host turns tracing on and off, and takes what was recorded: the
   events (read by post.js's waTraceTake) and how many were dropped. */
EMSCRIPTEN_KEEPALIVE void wa_trace_enable(int on) {
  host_listens = on;
  wa__tracing = host_listens || hook;
}
EMSCRIPTEN_KEEPALIVE wa_trace_record *wa_trace_events(void) { return events; }
EMSCRIPTEN_KEEPALIVE int wa_trace_count(void) { return count; }
EMSCRIPTEN_KEEPALIVE int wa_trace_event_size(void) { return sizeof(wa_trace_record); }

EMSCRIPTEN_KEEPALIVE unsigned wa_trace_clear(void) {
  for (int i = 0; i < count; i++) free(events[i].text);
  count = 0;
  unsigned lost = dropped;
  dropped = 0;
  return lost;
}
