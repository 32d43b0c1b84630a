/*
 * sync.h: what the synchronization primitives share.
 *
 * Each primitive is CPython's: a list of waiter futures, woken by
 * set_result, and awaited by the waiting task. What CPython writes as a
 * coroutine (`fut = create_future(); append; try: await fut ...`) is
 * written here as a machine that stops where the coroutine awaits: a
 * wa_op. C runs it with wa__op_run, which joins each future the machine
 * asks for; JavaScript runs the same machine from a JS task's steps
 * (js/sync.c), so both kinds of task take the same path through the same
 * code, at the same moments.
 */
#ifndef WA_SYNC_H
#define WA_SYNC_H

#include "internal.h"

/* ---- waiters.c: a list of waiter futures (CPython's deque) ------------- */

typedef struct wa_waiter {
  wa_task *fut; /* a reference */
  struct wa_waiter *prev, *next;
  bool linked;  /* still in its list (a queue's waker pops it) */
} wa_waiter;

typedef struct {
  wa_waiter *head, *tail;
  int count;
} wa_waiters;

/* A new future named `what` at the list's end; NULL with a MemoryError. */
wa_waiter *wa__waiter_add(wa_waiters *list, const char *what);
/* Takes w out of its list, if it is still there (deque.remove). */
void wa__waiter_unlink(wa_waiters *list, wa_waiter *w);
/* Unlinks and frees w, giving back its future. */
void wa__waiter_free(wa_waiters *list, wa_waiter *w);
/* Frees whatever is left (a primitive's end). */
void wa__waiters_clear(wa_waiters *list);
/* fut.set_result(None) / fut.done() / fut.cancelled() on a waiter. */
void wa__waiter_wake(wa_waiter *w);
bool wa__waiter_done(const wa_waiter *w);
bool wa__waiter_cancelled(const wa_waiter *w);

/* ---- ops: one blocking call as a machine ------------------------------- */

/* What step() returns besides an outcome (WA_OK or a negative code with
   the error set): await op->fut, then call step again. */
enum { OP_AWAIT = 1 };
/* The rc step() is first called with. */
enum { OP_START = 2 };

typedef struct wa_op wa_op;

/* A lock acquire in progress (Condition and Barrier nest one). */
typedef struct {
  wa_waiter *w;
} wa_acquiring;

/* A Condition.wait in progress (Barrier nests one). */
typedef struct {
  int at;
  wa_waiter *w;
  wa_error *raised; /* what the wait for a notify raised, kept for later */
  wa_error *last;   /* the last CancelledError re-acquiring raised */
  wa_acquiring acq;
} wa_cond_waiting;

struct wa_op {
  /* Runs from where it stopped; rc: OP_START, or the awaited future's
     outcome (WA_OK, or negative with the error set). */
  int (*step)(wa_op *op, int rc);
  wa_object *obj;   /* the primitive (a reference while the op runs) */
  wa_task *fut;     /* OP_AWAIT: the future to await (borrowed) */
  int at;           /* where it stopped */
  int index;        /* a barrier's arrival index */
  wa_value item;    /* a queue's item: to put (borrowed) or got (owned) */
  wa_waiter *w;
  wa_acquiring acq;
  wa_cond_waiting cw;
  void *pred_arg;   /* Condition.wait_for's predicate */
  bool (*pred)(void *arg);
};

/* Runs op on the current C task to its end (op->obj is retained for the
   time). RuntimeError outside a task. */
int wa__op_run(wa_op *op);

/* The op's first step, given op->obj: each primitive's blocking calls. */
int wa__lock_acquire_step(wa_op *op, int rc);
int wa__event_wait_step(wa_op *op, int rc);
int wa__semaphore_acquire_step(wa_op *op, int rc);
int wa__condition_acquire_step(wa_op *op, int rc);
int wa__condition_wait_step(wa_op *op, int rc);
int wa__barrier_wait_step(wa_op *op, int rc);
int wa__barrier_reset_step(wa_op *op, int rc);
int wa__barrier_abort_step(wa_op *op, int rc);
int wa__queue_put_step(wa_op *op, int rc);
int wa__queue_get_step(wa_op *op, int rc);
int wa__queue_join_step(wa_op *op, int rc);

/* The pieces the primitives reuse in each other's machines. */
int wa__lock_acquiring(wa_lock *l, wa_acquiring *s, int rc, wa_task **fut);
int wa__event_waiting(wa_event *e, wa_waiter **w, int rc, wa_task **fut);
int wa__cond_waiting(wa_condition *c, wa_cond_waiting *s, int rc, wa_task **fut);

/* Barrier's access to its own condition. */
void wa__condition_notify_all_held(wa_condition *c);
wa_lock *wa__condition_lock(wa_condition *c);

extern const wa_object_kind wa__lock_kind, wa__event_kind, wa__semaphore_kind,
    wa__condition_kind, wa__barrier_kind, wa__queue_kind;

/* ---- order.c ----------------------------------------------------------- */

/* a < b as PriorityQueue compares items: 1, 0, or -1 when they cannot be
   compared (different kinds; TypeError raised). */
int wa__value_less(const wa_value *a, const wa_value *b);
/* The same without raising: false when they cannot be compared. The heap
   uses it, so that a pair Python could not order (two dicts deep in two
   arrays, say) sits as if equal rather than breaking a get. */
bool wa__value_below(const wa_value *a, const wa_value *b);

#endif /* WA_SYNC_H */
