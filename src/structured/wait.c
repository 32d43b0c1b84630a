/*
 * wait.c: asyncio.wait and asyncio.as_completed (3.13).
 *
 * Both put a done callback on each distinct task and wake the waiting task
 * through a future of their own, never by awaiting the tasks: so
 * cancelling the waiting task cancels only that future, and the tasks run
 * on (WT1). Like everything CPython does there, the callbacks run one loop
 * iteration after a task ends, and the waiting task resumes one more
 * iteration later, even when every task was done before the call.
 *
 * wait's future ends when return_when holds or the timeout passes. The
 * done set is read when the waiting task resumes (_wait's last loop), so a
 * task that ended in between is in it.
 *
 * as_completed keeps a queue, as _AsCompletedIterator does: a task that
 * ends puts itself in; the timeout puts one "timed out" mark for each task
 * still running; next() takes from the head, and waits on a future of its
 * own while the queue is empty.
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

static const wa_value none = {.kind = WA_NONE};

/* The distinct tasks of tasks[0..n) into out (references), in argument
   order; returns how many. */
static int distinct(wa_task *const *tasks, int n, wa_task **out) {
  unsigned pass = ++wa__mark_pass;
  int m = 0;
  for (int i = 0; i < n; i++) {
    if (tasks[i]->gather_mark == pass) continue;
    tasks[i]->gather_mark = pass;
    wa_task_retain(tasks[i]);
    out[m++] = tasks[i];
  }
  return m;
}

/* TypeError for an array C cannot walk; WA_OK otherwise. */
static int check_tasks(const char *what, wa_task *const *tasks, int n) {
  if (n < 0 || (n > 0 && !tasks))
    return wa_raise("TypeError", "%s: no task array for %d tasks", what, n), WA_EINVAL;
  for (int i = 0; i < n; i++)
    if (!tasks[i]) return wa_raise("TypeError", "%s: task %d is NULL", what, i), WA_EINVAL;
  return WA_OK;
}

/* ---- wait ------------------------------------------------------------------ */

typedef struct {
  wa_task **tasks; /* the distinct tasks (references) until unhooked */
  int n;
  int counter;     /* _wait's counter: completions not yet seen */
  wa_return_when when;
  wa_timer *timer; /* the timeout while armed */
} waiting;

static void stop_timer(wa_timer **timer) {
  if (*timer) wa__call_cancel(*timer);
  *timer = NULL;
}

/* _wait's `finally`: our callbacks off the tasks (one already queued still
   runs, and finds the future done) and the timer stopped. Idempotent. */
static void unhook(wa_task *f);

/* _on_completion: counts the task and ends the future when return_when
   holds. As in CPython the test runs even after the future ended, and
   looking at a failed task's error counts as retrieving it. */
static void on_completion(wa_task *t, void *arg) {
  wa_task *f = arg;
  waiting *w = f->data;
  w->counter--;
  if (w->counter <= 0 || w->when == WA_FIRST_COMPLETED ||
      (w->when == WA_FIRST_EXCEPTION && t->state != TASK_CANCELLED && wa__task_error(t))) {
    stop_timer(&w->timer);
    wa__future_set_result(f, none); /* a no-op once it ended */
  }
  wa_task_release(f);
}

/* _release_waiter, at the timeout. */
static void on_timeout(void *arg) {
  wa_task *f = arg;
  ((waiting *)f->data)->timer = NULL; /* the loop frees it */
  wa__future_set_result(f, none);
}

static void unhook(wa_task *f) {
  waiting *w = f->data;
  stop_timer(&w->timer);
  for (int i = 0; i < w->n; i++) {
    if (wa_task_remove_done_callback(w->tasks[i], on_completion, f)) wa_task_release(f);
    wa_task_release(w->tasks[i]);
  }
  w->n = 0;
}

/* Cancelling the future (the waiting task was cancelled, or JS cancelled
   rt.wait's Task) cancels it alone; the tasks are let go at once. */
static bool waiting_cancel(wa_task *f, const char *msg) {
  if (f->state != TASK_PENDING) return false;
  unhook(f);
  return wa__future_cancel(f, msg);
}

static void waiting_free(void *data) {
  waiting *w = data;
  for (int i = 0; i < w->n; i++) wa_task_release(w->tasks[i]);
  free(w->tasks);
  free(w);
}

static const wa_task_ops waiting_ops = {
    .type = "Future", .future = true, .cancel = waiting_cancel, .free = waiting_free};

int wa__wait_new(wa_task *const *tasks, int n, int return_when, double timeout_ms, wa_task **out) {
  *out = NULL;
  int rc = check_tasks("wa_wait", tasks, n);
  if (rc < 0) return rc;
  if (n == 0) return wa_raise("ValueError", "Set of Tasks/Futures is empty."), WA_EINVAL;
  if (return_when != WA_FIRST_COMPLETED && return_when != WA_FIRST_EXCEPTION && return_when != WA_ALL_COMPLETED)
    return wa_raise("ValueError", "Invalid return_when value: %d", return_when), WA_EINVAL;
  if (isnan(timeout_ms)) return wa_raise("ValueError", "Invalid timeout: NaN (not a number)"), WA_EINVAL;
  waiting *w = wa__alloc(sizeof *w);
  wa_task *f = NULL;
  if (w) w->tasks = wa__alloc(n * sizeof *w->tasks);
  if (!w || !w->tasks || !(f = wa__future_new("wait", &waiting_ops, w))) {
    if (w) free(w->tasks), free(w);
    return wa__nomem("a wait");
  }
  w->n = distinct(tasks, n, w->tasks);
  w->counter = w->n;
  w->when = (wa_return_when)return_when;
  double when = wa_time() + timeout_ms; /* call_later: <= now is due at once */
  if (when < INFINITY && !(w->timer = wa__call_at(when, on_timeout, f))) {
    rc = wa__nomem("a wait's timeout");
    goto unmade;
  }
  for (int i = 0; i < w->n; i++) {
    if ((rc = wa_task_add_done_callback(w->tasks[i], on_completion, f)) < 0) goto unmade;
    wa_task_retain(f); /* for on_completion */
  }
  *out = f;
  return WA_OK;
unmade: /* out of memory (raised): nothing stays hooked; end the future unseen */
  unhook(f);
  wa__future_discard(f);
  return rc;
}

void wa__wait_end(wa_task *f) { unhook(f); }

int wa_wait(wa_task *const *tasks, int n, wa_return_when return_when, double timeout_ms, bool *done) {
  if (!wa__current) return wa_raise("RuntimeError", "wa_wait called outside a task"), WA_ESTATE;
  wa_task *f;
  int rc = wa__wait_new(tasks, n, return_when, timeout_ms, &f);
  if (rc < 0) return rc;
  rc = wa_task_join(f); /* never done yet: the callbacks have not run */
  if (rc == WA_OK) {
    waiting *w = f->data;
    for (int i = 0; i < w->n; i++) rc += w->tasks[i]->state != TASK_PENDING;
    if (done)
      for (int i = 0; i < n; i++) done[i] = tasks[i]->state != TASK_PENDING;
  }
  unhook(f);
  wa__future_cancel(f, NULL); /* the join could not wait (no memory): end it */
  wa_task_release(f);
  return rc;
}

/* ---- as_completed ------------------------------------------------------------ */

typedef struct {
  wa_as_completed *it;
  wa_task *task; /* a reference */
  bool todo;     /* in CPython's _todo: neither queued nor timed out */
} entry;

struct wa_as_completed {
  int refs;        /* the caller's, one per callback registered or queued,
                      one per next() waiting */
  int n;           /* distinct tasks */
  int todo;        /* entries still todo */
  int left;        /* _todo_left: next() calls that still get something */
  entry *entries;  /* callbacks point into it: it never moves */
  wa_task **queue; /* a ring of n: tasks that ended, NULL for a timeout;
                      each entry goes in once, so it never fills up */
  int head, count;
  wa_timer *timer;
  wa_task *getter; /* the future a waiting next() joins */
  bool closed;     /* freed by the caller */
};

static void unref(wa_as_completed *it) {
  if (--it->refs > 0) return;
  for (int i = 0; i < it->n; i++) wa_task_release(it->entries[i].task);
  free(it->entries);
  free(it->queue);
  free(it);
}

/* Queue.put_nowait: one getter (ours, if any) is woken. */
static void put(wa_as_completed *it, wa_task *t) {
  it->queue[(it->head + it->count++) % it->n] = t;
  wa_task *g = it->getter;
  if (!g) return;
  it->getter = NULL;
  wa__future_set_result(g, none);
  wa_task_release(g);
}

/* _handle_completion */
static void on_task_done(wa_task *t, void *arg) {
  entry *e = arg;
  wa_as_completed *it = e->it;
  if (e->todo) { /* not after the timeout, nor once freed */
    e->todo = false;
    put(it, t);
    if (--it->todo == 0) stop_timer(&it->timer);
  }
  unref(it);
}

/* Takes our callbacks off the tasks still todo. */
static void unhook_todo(wa_as_completed *it, bool mark_timeout) {
  for (int i = 0; i < it->n; i++) {
    entry *e = &it->entries[i];
    if (!e->todo) continue;
    e->todo = false;
    if (wa_task_remove_done_callback(e->task, on_task_done, e)) unref(it); /* never the last */
    if (mark_timeout) put(it, NULL);
  }
  it->todo = 0;
}

/* _handle_timeout: a mark for each task still running. */
static void on_ac_timeout(void *arg) {
  wa_as_completed *it = arg;
  it->timer = NULL; /* the loop frees it */
  unhook_todo(it, true);
}

wa_as_completed *wa_as_completed_new(wa_task *const *tasks, int n, double timeout_ms) {
  if (check_tasks("wa_as_completed_new", tasks, n) < 0) return NULL;
  if (isnan(timeout_ms)) return wa_raise("ValueError", "Invalid timeout: NaN (not a number)"), NULL;
  wa_as_completed *it = wa__alloc(sizeof *it);
  wa_task **ts = wa__alloc((n ? n : 1) * sizeof *ts);
  if (it) {
    it->entries = wa__alloc((n ? n : 1) * sizeof *it->entries);
    it->queue = wa__alloc((n ? n : 1) * sizeof *it->queue);
  }
  if (!it || !ts || !it->entries || !it->queue) {
    if (it) free(it->entries), free(it->queue), free(it);
    free(ts);
    return wa__nomem("as_completed"), NULL;
  }
  it->refs = 1;
  it->n = it->todo = it->left = distinct(tasks, n, ts);
  for (int i = 0; i < it->n; i++) it->entries[i] = (entry){.it = it, .task = ts[i], .todo = true};
  free(ts);
  for (int i = 0; i < it->n; i++) {
    if (wa_task_add_done_callback(it->entries[i].task, on_task_done, &it->entries[i]) < 0) {
      wa_as_completed_free(it); /* the ones queued already hold it until they ran */
      return NULL;
    }
    it->refs++;
  }
  double when = wa_time() + timeout_ms;
  if (it->n && when < INFINITY && !(it->timer = wa__call_at(when, on_ac_timeout, it))) {
    wa_as_completed_free(it);
    return wa__nomem("as_completed's timeout"), NULL;
  }
  return it;
}

bool wa__as_completed_claim(wa_as_completed *it) {
  if (!it->left) return false;
  it->left--;
  return true;
}

int wa__as_completed_queued(const wa_as_completed *it) { return it->count; }

/* NULL: a timeout mark. Only when something is queued. */
wa_task *wa__as_completed_pop(wa_as_completed *it) {
  wa_task *t = it->queue[it->head];
  it->head = (it->head + 1) % it->n;
  it->count--;
  return t;
}

wa_task *wa__as_completed_getter(wa_as_completed *it) {
  if (it->getter && it->getter->state != TASK_PENDING) { /* cancelled: its waiter gave up */
    wa_task_release(it->getter);
    it->getter = NULL;
  }
  if (!it->getter && !(it->getter = wa__future_new("as_completed", NULL, NULL)))
    return wa__nomem("as_completed"), NULL;
  wa_task_retain(it->getter);
  return it->getter;
}

int wa_as_completed_next(wa_as_completed *it, wa_task **out) {
  if (out) *out = NULL;
  if (!it || !out) return wa_raise("TypeError", "wa_as_completed_next: NULL iterator or out"), WA_EINVAL;
  if (!wa__current) return wa_raise("RuntimeError", "wa_as_completed_next called outside a task"), WA_ESTATE;
  if (it->getter && it->getter->state == TASK_PENDING)
    return wa_raise("RuntimeError", "wa_as_completed_next: another task is waiting on this iterator"), WA_ESTATE;
  if (!wa__as_completed_claim(it)) return 0;
  while (!it->count) { /* Queue.get */
    wa_task *g = wa__as_completed_getter(it);
    if (!g) return WA_ERROR;
    it->refs++; /* freed meanwhile, it fails the getter and stays till here */
    int rc = wa_task_join(g);
    if (it->getter == g) { /* no put: cancelled, or the join could not wait */
      it->getter = NULL;
      wa__future_cancel(g, NULL);
      wa_task_release(g);
    }
    wa_task_release(g);
    unref(it);
    if (rc < 0) return rc; /* the task it was woken for (if any) stays queued */
  }
  wa_task *t = wa__as_completed_pop(it);
  if (!t) return wa__error_set(wa__error_new("TimeoutError", ""));
  *out = t;
  return 1;
}

void wa_as_completed_free(wa_as_completed *it) {
  if (!it || it->closed) return;
  it->closed = true;
  stop_timer(&it->timer);
  unhook_todo(it, false);
  if (it->getter) {
    wa_task *g = it->getter;
    it->getter = NULL;
    wa__future_set_error(g, wa__error_new("RuntimeError", "the as_completed iterator was freed"));
    wa_task_release(g);
  }
  unref(it);
}
