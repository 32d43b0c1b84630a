/*
 * trace.c: what the scheduler does, as events, and what it holds, as a
 * snapshot: the ground for rt.trace(), rt.tasks() and a printed task tree.
 *
 * Events are recorded only while the host listens (wa__tracing): each
 * transition costs one branch otherwise. They pile up in a buffer the host
 * takes after each pump. An event that finds no memory is counted as
 * dropped, never fails the task it describes.
 */
#include <emscripten.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool wa__tracing;

static wa_trace_event *events;
static int count, cap;
static unsigned dropped;

/* Beyond this many events between two takes by the host (one pump), the
   rest are dropped: a long C run cannot fill memory with its trace. */
enum { MAX_EVENTS = 1 << 20 };

static wa_trace_event *next_event(void) {
  if (count == MAX_EVENTS) {
    dropped++;
    return NULL;
  }
  if (count == cap) {
    int more = cap ? cap * 2 : 256;
    wa_trace_event *grown = wa__realloc(events, more * sizeof *events);
    if (!grown) {
      dropped++;
      return NULL;
    }
    events = grown;
    cap = more;
  }
  wa_trace_event *e = &events[count++];
  *e = (wa_trace_event){.time = wa_time()};
  return e;
}

void wa__trace(wa_trace_kind kind, const wa_task *t, unsigned other, double value,
               const char *what, const char *text) {
  wa_trace_event *e = next_event();
  if (!e) return;
  e->kind = kind;
  e->task = t->id;
  e->other = other;
  e->value = value;
  e->what = what;
  /* Lost text (no memory) leaves the event without it. */
  e->text = text ? wa__strdup(text) : NULL;
}

void wa__trace_created(const wa_task *t) {
  wa__trace(TRACE_CREATED, t, t->parent_id, t->ops->future, t->ops->type, t->name);
}

void wa__trace_suspended(const wa_task *t) {
  const wa_waiter_ops *w = t->waiting;
  double until = w && w->deadline ? w->deadline(t) : NAN; /* NaN: none */
  wa__trace(TRACE_SUSPENDED, t, t->awaiting ? t->awaiting->id : 0, until, w ? w->what : "yield", NULL);
}

void wa__trace_ended(const wa_task *t) {
  char text[600];
  const char *message = NULL;
  if (t->state == TASK_FAILED && t->outcome) {
    snprintf(text, sizeof text, "%s: %s", t->outcome->type, t->outcome->message);
    message = text;
  } else if (t->state == TASK_CANCELLED && t->outcome && t->outcome->message) {
    message = t->outcome->message;
  }
  wa__trace(TRACE_ENDED, t, 0, t->state, NULL, message);
}

/* The host turns tracing on and off, and takes what was recorded: the
   events (read by post.js's waTraceTake) and how many were dropped. */
EMSCRIPTEN_KEEPALIVE void wa_trace_enable(int on) { wa__tracing = on; }
EMSCRIPTEN_KEEPALIVE wa_trace_event *wa_trace_events(void) { return events; }
EMSCRIPTEN_KEEPALIVE int wa_trace_count(void) { return count; }
EMSCRIPTEN_KEEPALIVE int wa_trace_event_size(void) { return sizeof(wa_trace_event); }

EMSCRIPTEN_KEEPALIVE unsigned wa_trace_clear(void) {
  for (int i = 0; i < count; i++) free(events[i].text);
  count = 0;
  unsigned lost = dropped;
  dropped = 0;
  return lost;
}
