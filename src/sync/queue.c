/*
 * queue.c: asyncio.Queue, LifoQueue and PriorityQueue, with 3.13's
 * shutdown.
 *
 * Unlike the locks, a waker takes the waiter it wakes out of the list
 * (CPython's popleft), and a woken getter or putter checks again in a
 * loop: it may find the queue taken by a newcomer that ran first.
 */
#include <stdlib.h>
#include <string.h>

#include "sync.h"

struct wa_queue {
  wa_object base;
  wa_queue_order order;
  int maxsize;
  wa_value *items; /* FIFO: a ring from head; LIFO: a stack; PRIORITY: a heap */
  int head, count, cap;
  int unfinished;
  bool shut;
  wa_waiters getters, putters;
  wa_event *finished;
};

static void drop_items(wa_queue *q) {
  for (int i = 0; i < q->count; i++) wa_value_clear(&q->items[(q->head + i) % q->cap]);
  q->count = q->head = 0;
}

static void destroy(wa_object *o) {
  wa_queue *q = (wa_queue *)o;
  drop_items(q);
  free(q->items);
  wa__waiters_clear(&q->getters);
  wa__waiters_clear(&q->putters);
  wa_event_free(q->finished);
  free(q);
}

const wa_object_kind wa__queue_kind = {.name = "Queue", .destroy = destroy};

wa_queue *wa_queue_new(int maxsize, wa_queue_order order) {
  if (order != WA_QUEUE_FIFO && order != WA_QUEUE_LIFO && order != WA_QUEUE_PRIORITY)
    return wa_raise("ValueError", "wa_queue_new: unknown order %d", (int)order), NULL;
  wa_queue *q = wa__alloc(sizeof *q);
  if (!q) return wa__nomem("a queue"), NULL;
  if (!(q->finished = wa_event_new())) {
    free(q);
    return NULL;
  }
  wa_event_set(q->finished);
  q->base = (wa_object){.kind = &wa__queue_kind, .refs = 1};
  q->order = order;
  q->maxsize = maxsize;
  return q;
}

void wa_queue_free(wa_queue *q) { wa__object_release(q ? &q->base : NULL); }

int wa_queue_qsize(const wa_queue *q) { return q->count; }
int wa_queue_maxsize(const wa_queue *q) { return q->maxsize; }
bool wa_queue_empty(const wa_queue *q) { return q->count == 0; }
bool wa_queue_full(const wa_queue *q) { return q->maxsize > 0 && q->count >= q->maxsize; }

/* ---- storage ---------------------------------------------------------------- */

/* Room for one more item; false when out of memory. */
static bool grow(wa_queue *q) {
  if (q->count < q->cap) return true;
  int cap = q->cap ? q->cap * 2 : 8;
  wa_value *items = wa__alloc((size_t)cap * sizeof *items);
  if (!items) return false;
  for (int i = 0; i < q->count; i++) items[i] = q->items[(q->head + i) % q->cap];
  free(q->items);
  q->items = items;
  q->cap = cap;
  q->head = 0;
  return true;
}

/* heapq's _siftdown: the item at pos moves up while smaller than its
   parent. */
static void sift_down(wa_value *heap, int start, int pos) {
  wa_value item = heap[pos];
  while (pos > start) {
    int parent = (pos - 1) >> 1;
    if (!wa__value_below(&item, &heap[parent])) break;
    heap[pos] = heap[parent];
    pos = parent;
  }
  heap[pos] = item;
}

/* heapq's _siftup: the hole at pos goes down to a leaf along the smaller
   children, then the item sifts back up (the same comparisons, so the
   same order of equal items, as CPython's). */
static void sift_up(wa_value *heap, int n, int pos) {
  int start = pos;
  wa_value item = heap[pos];
  for (int child = 2 * pos + 1; child < n; child = 2 * pos + 1) {
    int right = child + 1;
    if (right < n && !wa__value_below(&heap[child], &heap[right])) child = right;
    heap[pos] = heap[child];
    pos = child;
  }
  heap[pos] = item;
  sift_down(heap, start, pos);
}

/* Queue._put: takes v over. */
static void store(wa_queue *q, wa_value v) {
  if (q->order == WA_QUEUE_FIFO) {
    q->items[(q->head + q->count++) % q->cap] = v;
    return;
  }
  q->items[q->count++] = v;
  if (q->order == WA_QUEUE_PRIORITY) sift_down(q->items, 0, q->count - 1);
}

/* Queue._get: hands the item over. */
static wa_value take(wa_queue *q) {
  wa_value v;
  if (q->order == WA_QUEUE_FIFO) {
    v = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
  } else if (q->order == WA_QUEUE_LIFO) {
    v = q->items[--q->count];
  } else { /* heappop */
    wa_value last = q->items[--q->count];
    if (q->count == 0) return last;
    v = q->items[0];
    q->items[0] = last;
    sift_up(q->items, q->count, 0);
  }
  return v;
}

/* Queue._wakeup_next: pops waiters until one not done is woken. */
static void wakeup_next(wa_waiters *list) {
  while (list->head) {
    wa_waiter *w = list->head;
    wa__waiter_unlink(list, w);
    if (!wa__waiter_done(w)) {
      wa__waiter_wake(w);
      break;
    }
  }
}

/* Pops every waiter of list, waking those not done (shutdown's loops). */
static void wakeup_all(wa_waiters *list) {
  while (list->head) {
    wa_waiter *w = list->head;
    wa__waiter_unlink(list, w);
    wa__waiter_wake(w);
  }
}

/* ---- the calls that do not wait -------------------------------------------- */

int wa_queue_put_nowait(wa_queue *q, const wa_value *item) {
  if (!q) return wa_raise("TypeError", "wa_queue_put_nowait: the queue is NULL"), WA_EINVAL;
  wa_value none = {.kind = WA_NONE};
  if (!item) item = &none;
  if (q->shut) return wa_raise("QueueShutDown", "%s", ""), WA_ERROR;
  if (wa_queue_full(q)) return wa_raise("QueueFull", "%s", ""), WA_ERROR;
  if (q->order == WA_QUEUE_PRIORITY && q->count > 0 && wa__value_less(item, &q->items[0]) < 0)
    return WA_EINVAL; /* TypeError: not comparable with what is queued */
  wa_value copy;
  if (!grow(q) || !wa__value_copy(&copy, *item)) return wa__nomem("a queue item");
  store(q, copy);
  q->unfinished++;
  wa_event_clear(q->finished);
  wakeup_next(&q->getters);
  return WA_OK;
}

int wa_queue_get_nowait(wa_queue *q, wa_value *item) {
  if (!q) return wa_raise("TypeError", "wa_queue_get_nowait: the queue is NULL"), WA_EINVAL;
  if (q->count == 0)
    return wa_raise(q->shut ? "QueueShutDown" : "QueueEmpty", "%s", ""), WA_ERROR;
  wa_value v = take(q);
  if (item)
    *item = v;
  else
    wa_value_clear(&v);
  wakeup_next(&q->putters);
  return WA_OK;
}

int wa_queue_task_done(wa_queue *q) {
  if (!q) return wa_raise("TypeError", "wa_queue_task_done: the queue is NULL"), WA_EINVAL;
  if (q->unfinished <= 0) return wa_raise("ValueError", "task_done() called too many times"), WA_EINVAL;
  if (--q->unfinished == 0) wa_event_set(q->finished);
  return WA_OK;
}

void wa_queue_shutdown(wa_queue *q, bool immediate) {
  q->shut = true;
  if (immediate) {
    while (q->count > 0) {
      wa_value v = take(q);
      wa_value_clear(&v);
      if (q->unfinished > 0) q->unfinished--;
    }
    if (q->unfinished == 0) wa_event_set(q->finished);
  }
  wakeup_all(&q->getters);
  wakeup_all(&q->putters);
}

/* ---- put, get and join -------------------------------------------------------- */

/* One pass of put's or get's loop: while blocked(q), wait on a new waiter
   in list; on the way out of a failed wait, pass a wake-up on when the
   queue could serve another. OP_AWAIT, WA_OK once not blocked, or the
   error. */
static int wait_while(wa_queue *q, wa_op *op, int rc, bool getting) {
  wa_waiters *list = getting ? &q->getters : &q->putters;
  if (rc != OP_START) {
    if (rc < 0) wa_task_cancel(op->w->fut, NULL); /* "just in case" it is pending */
    bool cancelled = wa__waiter_cancelled(op->w);
    wa__waiter_free(list, op->w);
    op->w = NULL;
    if (rc < 0) {
      bool can_serve = getting ? q->count > 0 : !wa_queue_full(q);
      if (can_serve && !cancelled) wakeup_next(list);
      return rc;
    }
  }
  if (!(getting ? q->count == 0 : wa_queue_full(q))) return WA_OK;
  if (q->shut) return wa_raise("QueueShutDown", "%s", ""), WA_ERROR;
  if (!(op->w = wa__waiter_add(list, getting ? "Queue.get" : "Queue.put"))) return WA_ERROR;
  op->fut = op->w->fut;
  return OP_AWAIT;
}

int wa__queue_put_step(wa_op *op, int rc) {
  wa_queue *q = (wa_queue *)op->obj;
  rc = wait_while(q, op, rc, false);
  return rc == WA_OK ? wa_queue_put_nowait(q, &op->item) : rc;
}

int wa__queue_get_step(wa_op *op, int rc) {
  wa_queue *q = (wa_queue *)op->obj;
  rc = wait_while(q, op, rc, true);
  return rc == WA_OK ? wa_queue_get_nowait(q, &op->item) : rc;
}

int wa__queue_join_step(wa_op *op, int rc) {
  wa_queue *q = (wa_queue *)op->obj;
  if (rc == OP_START && q->unfinished <= 0) return WA_OK;
  return wa__event_waiting(q->finished, &op->w, rc, &op->fut);
}

static int run(wa_queue *q, int (*step)(wa_op *, int), const char *what, wa_value *item) {
  if (!q) return wa_raise("TypeError", "%s: the queue is NULL", what), WA_EINVAL;
  wa_op op = {.step = step, .obj = &q->base};
  if (item) op.item = *item;
  int rc = wa__op_run(&op);
  if (item) *item = rc == WA_OK ? op.item : (wa_value){.kind = WA_NONE};
  return rc;
}

int wa_queue_put(wa_queue *q, const wa_value *item) {
  wa_value v = item ? *item : (wa_value){.kind = WA_NONE};
  return run(q, wa__queue_put_step, "wa_queue_put", &v);
}

int wa_queue_get(wa_queue *q, wa_value *item) {
  wa_value v = {.kind = WA_NONE};
  int rc = run(q, wa__queue_get_step, "wa_queue_get", &v);
  if (item)
    *item = v;
  else
    wa_value_clear(&v);
  return rc;
}

int wa_queue_join(wa_queue *q) { return run(q, wa__queue_join_step, "wa_queue_join", NULL); }
