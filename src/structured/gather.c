/*
 * gather.c: asyncio.gather. The outer future ends when every child is
 * done, or at the first failure when errors are not returned as values; in
 * that case the other children run on (G2). Cancelling the outer future
 * cancels the children instead, and the outcome becomes a CancelledError
 * whatever return_exceptions says (G4). After the join, wa_gather_result
 * reads the results in argument order.
 */
#include <stdlib.h>

#include "internal.h"

unsigned wa__mark_pass;

typedef struct {
  wa_task **children; /* as given, repeats included */
  wa_error **slots;   /* at the end: each item's error, or NULL */
  bool collected;     /* slots are filled */
  int n, unique, finished;
  bool return_exceptions;
  bool cancel_requested;
} gathering;

static void gathering_free(void *data) {
  gathering *g = data;
  for (int i = 0; i < g->n; i++) {
    wa_task_release(g->children[i]); /* NULL when the gather was never made */
    wa__error_unref(g->slots[i]);
  }
  free(g->children);
  free(g->slots);
  free(g);
}

/* _GatheringFuture.cancel: cancel the children, not the future itself. */
static bool gathering_cancel(wa_task *outer, const char *msg) {
  gathering *g = outer->data;
  bool any = false;
  for (int i = 0; i < g->n; i++)
    if (wa_task_cancel(g->children[i], msg)) any = true;
  if (any) g->cancel_requested = true;
  return any;
}

static const wa_task_ops gathering_ops = {
    .type = "Future", .future = true, .cancel = gathering_cancel, .free = gathering_free};

/* The results list, as CPython builds it: a cancelled task's slot holds a
   new CancelledError without the message (the task forgot it), a
   future's with its message. */
static void collect_results(gathering *g) {
  g->collected = true;
  for (int i = 0; i < g->n; i++) {
    wa_task *c = g->children[i];
    if (c->state == TASK_CANCELLED)
      g->slots[i] = c->ops->future ? wa__error_ref(c->outcome) : wa__cancelled_error(NULL);
    else
      g->slots[i] = wa__error_ref(wa__task_error(c));
  }
}

/* gather's _done_callback, run once per distinct child. */
static void on_child_done(wa_task *child, void *arg) {
  wa_task *outer = arg;
  gathering *g = outer->data;
  g->finished++;
  if (outer->state != TASK_PENDING) {
    wa__task_error(child); /* seen: not "never retrieved" */
  } else if (!g->return_exceptions && child->state == TASK_CANCELLED) {
    wa__future_set_exception(outer, wa__task_cancelled_error(child));
  } else if (!g->return_exceptions && wa__task_error(child)) {
    wa__future_set_error(outer, wa__error_ref(child->outcome));
  } else if (g->finished == g->unique) {
    collect_results(g);
    if (g->cancel_requested) /* set_exception, as CPython: not cancelled() */
      wa__future_set_exception(outer, wa__task_cancelled_error(child));
    else
      wa__future_set_result(outer, (wa_value){.kind = WA_NONE});
  }
  wa_task_release(outer);
}

/* Out of memory after `count` items got their callback: take them back
   (the MemoryError is raised) and end the future unseen. */
static void unwind(wa_task *outer, wa_task *const *tasks, int count) {
  for (int i = 0; i < count; i++)
    if (wa_task_remove_done_callback(tasks[i], on_child_done, outer)) wa_task_release(outer);
  wa__future_discard(outer);
}

/* Marks t as an item of the gather numbered `gen`; false if it already
   was (the same task twice). A mark per task keeps this O(1). */
static bool mark_new(wa_task *t, unsigned gen) {
  if (t->gather_mark == gen) return false;
  t->gather_mark = gen;
  return true;
}

wa_task *wa_gather(wa_task *const *tasks, int n, bool return_exceptions) {
  if (n < 0 || (n > 0 && !tasks))
    return wa_raise("TypeError", "wa_gather: no task array for %d tasks", n), NULL;
  for (int i = 0; i < n; i++)
    if (!tasks[i]) return wa_raise("TypeError", "wa_gather: task %d is NULL", i), NULL;
  gathering *g = wa__alloc(sizeof *g);
  wa_task *outer = NULL;
  if (g) {
    g->n = n;
    g->return_exceptions = return_exceptions;
    g->children = wa__alloc((n ? n : 1) * sizeof *g->children);
    g->slots = wa__alloc((n ? n : 1) * sizeof *g->slots); /* filled at the end */
  }
  if (!g || !g->children || !g->slots || !(outer = wa__future_new("gather", &gathering_ops, g))) {
    if (g) free(g->children), free(g->slots), free(g);
    return wa__nomem("a gather"), NULL;
  }
  unsigned generation = ++wa__mark_pass;
  for (int i = 0; i < n; i++) {
    if (!mark_new(tasks[i], generation)) continue; /* the same task twice: one callback */
    if (wa_task_add_done_callback(tasks[i], on_child_done, outer) < 0) {
      unwind(outer, tasks, i);
      return NULL;
    }
    g->unique++;
    wa_task_retain(outer);
  }
  for (int i = 0; i < n; i++) {
    g->children[i] = tasks[i];
    wa_task_retain(tasks[i]);
    if (!tasks[i]->container_id) tasks[i]->container_id = outer->id, tasks[i]->container_what = "gather";
    WA_TRACE(wa__trace(TRACE_MEMBER, tasks[i], outer->id, 0, "gather", NULL));
  }
  if (n == 0) wa__future_set_result(outer, (wa_value){.kind = WA_NONE});
  return outer;
}

int wa_gather_result(const wa_task *gather, int i, wa_value *value, const wa_error **error) {
  if (wa_gather_count(gather) <= i || i < 0)
    return wa_raise("IndexError", "wa_gather_result: no item %d", i), WA_EINVAL;
  gathering *g = gather->data;
  if (gather->state != TASK_DONE || !g->collected)
    return wa_raise("InvalidStateError", "wa_gather_result: the gather has no results"), WA_ESTATE;
  if (error) *error = g->slots[i];
  if (value) *value = g->slots[i] ? (wa_value){.kind = WA_NONE} : g->children[i]->result;
  return WA_OK;
}

int wa_gather_count(const wa_task *gather) {
  return gather && gather->ops == &gathering_ops ? ((gathering *)gather->data)->n : -1;
}

wa_task *wa_gather_task(const wa_task *gather, int i) {
  if (wa_gather_count(gather) <= i || i < 0) return NULL;
  return ((gathering *)gather->data)->children[i];
}
