/*
 * group.c: task groups, after asyncio.TaskGroup (3.13).
 *
 * A group belongs to the task that entered it (its parent). Each child has
 * a done callback; the first child failure aborts the group: it cancels
 * the other children and the parent, whose body sees a CancelledError at
 * its current await. Exit waits for every child on a future that the last
 * child's callback ends, then decides what the parent sees:
 *   - the children's errors (finishing order) plus the body's, as one
 *     ExceptionGroup, never including cancellations;
 *   - otherwise a cancellation from outside, which must propagate;
 *   - otherwise whatever the body raised.
 * The parent's cancelling() count is kept as it was: the group uncancels
 * the cancel it requested itself, and re-requests one that came from
 * outside so that it survives the ExceptionGroup (TG8).
 *
 * Exit is split into steps (begin, next, awaited, end) so that a JS task,
 * which cannot suspend inside C, runs the same logic from JavaScript.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

typedef struct member {
  wa_group *group;
  wa_task *task;
  struct member *prev, *next;
} member;

struct wa_group {
  wa_task *parent;
  bool entered, exiting, aborting, parent_cancel_requested;
  member *first, *last; /* children not yet done, in creation order */
  int pending;
  wa_error **errors;    /* child errors, in the order they finished */
  int nerrors, cap;
  wa_task *on_completed;       /* exit: ended when the last child is done */
  wa_task *spare;              /* the first on_completed, made at enter */
  wa_error *body_exc;          /* exit: what the body raised */
  wa_error *propagate_cancel;  /* exit: a cancellation to pass on */
};

wa_group *wa_group_new(void) {
  wa_group *g = wa__alloc(sizeof(wa_group));
  if (!g) wa__nomem("a task group");
  return g;
}

static int reserve_errors(wa_group *g, int children);

int wa_group_enter(wa_group *g) {
  if (!g) return wa_raise("TypeError", "wa_group_enter: the group is NULL"), WA_EINVAL;
  if (g->entered) return wa_raise("RuntimeError", "TaskGroup has already been entered"), WA_ESTATE;
  if (!wa__current)
    return wa_raise("RuntimeError", "TaskGroup cannot determine the parent task"), WA_ESTATE;
  /* Made now, so that the exit can wait for the children even when there
     is no memory left by then. */
  if (reserve_errors(g, 0) < 0 || !(g->spare = wa__future_new("TaskGroup exit", NULL, NULL)))
    return wa__nomem("a task group");
  g->parent = wa__current;
  wa_task_retain(g->parent);
  g->entered = true;
  return WA_OK;
}

static void unlink_member(member *m) {
  wa_group *g = m->group;
  *(m->prev ? &m->prev->next : &g->first) = m->next;
  *(m->next ? &m->next->prev : &g->last) = m->prev;
  g->pending--;
}

/* Room for every error the group may collect: one per child, plus the
   body's; reserved as children join, so collecting one needs no memory. */
static int reserve_errors(wa_group *g, int children) {
  int need = g->nerrors + g->pending + children + 1;
  if (need <= g->cap) return WA_OK;
  int cap = g->cap ? 2 * g->cap : 4;
  while (cap < need) cap *= 2;
  wa_error **errors = wa__realloc(g->errors, cap * sizeof *errors);
  if (!errors) return WA_ERROR;
  g->errors = errors;
  g->cap = cap;
  return WA_OK;
}

static void add_error(wa_group *g, wa_error *e) {
  if (g->nerrors < g->cap) g->errors[g->nerrors++] = wa__error_ref(e);
}

/* TaskGroup._abort: cancel every child still running, in creation order. */
static void abort_group(wa_group *g) {
  g->aborting = true;
  for (member *m = g->first; m; m = m->next)
    if (m->task->state == TASK_PENDING) wa_task_cancel(m->task, NULL);
}

/* TaskGroup._on_task_done. */
static void on_child_done(wa_task *t, void *arg) {
  member *m = arg;
  wa_group *g = m->group;
  unlink_member(m);
  free(m);
  wa_task_release(t);
  if (g->on_completed && !g->pending)
    wa__future_set_result(g->on_completed, (wa_value){.kind = WA_NONE});
  wa_error *e = wa__task_error(t);
  if (!e) return; /* returned, or cancelled: neither is an error */
  add_error(g, e);
  if (g->parent->state != TASK_PENDING) {
    char text[600];
    int n = snprintf(text, sizeof text,
                     "Task %s has errored out but its parent task %s is already completed: %s: %s",
                     t->name, g->parent->name, e->type, e->message);
    wa_host_report(text, n < (int)sizeof text ? n : (int)sizeof text - 1);
    return;
  }
  if (!g->aborting && !g->parent_cancel_requested) {
    abort_group(g);
    g->parent_cancel_requested = true;
    wa_task_cancel(g->parent, NULL);
  }
}

/* TaskGroup.create_task's checks; sets the indicator when refused. */
static int check_open(const wa_group *g) {
  if (!g) return wa_raise("TypeError", "TaskGroup: the group is NULL"), WA_EINVAL;
  if (!g->entered) return wa_raise("RuntimeError", "TaskGroup has not been entered"), WA_ESTATE;
  if (g->exiting && !g->pending) return wa_raise("RuntimeError", "TaskGroup is finished"), WA_ESTATE;
  if (g->aborting) return wa_raise("RuntimeError", "TaskGroup is shutting down"), WA_ESTATE;
  return WA_OK;
}

/* Room for one more child: its member and its error slot. NULL with a
   MemoryError raised when there is none. */
static member *member_new(wa_group *g) {
  member *m = wa__alloc(sizeof *m);
  if (!m || reserve_errors(g, 1) < 0) {
    free(m);
    wa__nomem("a task group's child");
    return NULL;
  }
  return m;
}

/* Makes t (new, not done) a child of g, in the member m. */
static int adopt(wa_group *g, member *m, wa_task *t) {
  *m = (member){.group = g, .task = t, .prev = g->last};
  int rc = wa_task_add_done_callback(t, on_child_done, m);
  if (rc < 0) {
    free(m);
    return rc;
  }
  *(g->last ? &g->last->next : &g->first) = m;
  g->last = m;
  g->pending++;
  wa_task_retain(t);
  wa_task *exit = g->on_completed ? g->on_completed : g->spare; /* stands for the group */
  if (exit && !t->container_id) t->container_id = exit->id, t->container_what = "group";
  if (exit) WA_TRACE(wa__trace(TRACE_MEMBER, t, exit->id, 0, "group", NULL));
  return WA_OK;
}

wa_task *wa_group_spawn(wa_group *g, wa_coro_fn fn, wa_args *args, const char *name) {
  member *m = check_open(g) < 0 ? NULL : member_new(g);
  if (!m) {
    wa_args_free(args);
    return NULL;
  }
  wa_task *t = wa_task_spawn(fn, args, name);
  if (!t) {
    free(m);
    return NULL;
  }
  if (adopt(g, m, t) < 0) { /* not started: cancelling it ends it unrun */
    wa_task_cancel(t, NULL);
    wa_task_release(t);
    return NULL;
  }
  return t;
}

int wa__group_adopt(wa_group *g, wa_task *t) {
  int rc = check_open(g);
  if (rc < 0 || !t) return rc;
  member *m = member_new(g);
  return m ? adopt(g, m, t) : WA_ERROR;
}

/* ---- exit ---------------------------------------------------------------- */

int wa__group_exit_begin(wa_group *g, wa_error *exc) {
  if (!g || !g->entered || g->exiting || wa__current != g->parent) {
    wa__error_unref(exc);
    const char *why = !g ? "the group is NULL" : !g->entered ? "it was not entered"
                    : g->exiting ? "it already exited" : "only the task that entered it may exit it";
    return wa_raise("RuntimeError", "TaskGroup cannot exit: %s", why), WA_ESTATE;
  }
  g->exiting = true;
  g->body_exc = exc;
  if (wa__error_is_cancel(exc)) g->propagate_cancel = wa__error_ref(exc);
  if (exc && !g->aborting) abort_group(g);
  return WA_OK;
}

/* The first wait uses the future made at enter. A later one (the parent
   was cancelled while waiting) may find no memory: then the exit cannot
   wait; it cancels the children, as a failure would, gives NULL, and the
   group raises MemoryError while the children end on their own. */
wa_task *wa__group_exit_next(wa_group *g) {
  wa_task_release(g->on_completed);
  g->on_completed = NULL;
  if (!g->pending) return NULL;
  g->on_completed = g->spare ? g->spare : wa__future_new("TaskGroup exit", NULL, NULL);
  g->spare = NULL;
  if (!g->on_completed) {
    abort_group(g);
    if (!g->body_exc) g->body_exc = wa__error_nomem();
  }
  return g->on_completed;
}

/* The wait on on_completed ended; exc is a cancellation of the parent. */
void wa__group_exit_awaited(wa_group *g, wa_error *exc) {
  if (exc && !g->aborting) {
    wa__error_unref(g->propagate_cancel);
    g->propagate_cancel = exc;
    abort_group(g);
  } else {
    wa__error_unref(exc);
  }
}

wa_error *wa__group_exit_end(wa_group *g) {
  wa_task *parent = g->parent;
  wa_error *raise = g->body_exc, *cancel = g->propagate_cancel;
  g->body_exc = g->propagate_cancel = NULL;
  if (g->parent_cancel_requested && wa_task_uncancel(parent) == 0) {
    wa__error_unref(cancel);
    cancel = NULL;
  }
  if (cancel && !g->nerrors) {
    wa__error_unref(raise);
    return cancel;
  }
  wa__error_unref(cancel);
  if (raise && !wa__error_is_cancel(raise)) add_error(g, raise);
  if (g->nerrors) {
    if (wa_task_cancelling(parent)) { /* keep an outside cancel alive */
      wa_task_uncancel(parent);
      wa_task_cancel(parent, NULL);
    }
    wa__error_unref(raise);
    raise = wa__error_group("unhandled errors in a TaskGroup", g->errors, g->nerrors);
  }
  return raise; /* NULL, or the body's own error going on */
}

int wa_group_exit(wa_group *g, int body_rc) {
  int rc = wa__group_exit_begin(g, body_rc < 0 ? wa__error_take() : NULL);
  if (rc < 0) return rc;
  for (wa_task *f; (f = wa__group_exit_next(g));)
    wa__group_exit_awaited(g, wa_task_join(f) < 0 ? wa__error_take() : NULL);
  wa_error *e = wa__group_exit_end(g);
  return e ? wa__error_set(e) : WA_OK;
}

void wa_group_free(wa_group *g) {
  if (!g) return;
  for (member *m = g->first, *next; m; m = next) { /* freed before exit */
    next = m->next;
    wa_task_remove_done_callback(m->task, on_child_done, m);
    wa_task_release(m->task);
    free(m);
  }
  for (int i = 0; i < g->nerrors; i++) wa__error_unref(g->errors[i]);
  free(g->errors);
  wa_task_release(g->on_completed);
  if (g->spare) { /* never waited on: end it, so that it is freed */
    wa__future_discard(g->spare);
  }
  wa__error_unref(g->body_exc);
  wa__error_unref(g->propagate_cancel);
  wa_task_release(g->parent);
  free(g);
}
