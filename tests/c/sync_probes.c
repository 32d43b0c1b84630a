/*
 * sync_probes.c: C coroutines that use the synchronization primitives
 * (built into the test modules only). tests/sync/mixed.test.mjs passes
 * them primitives made in JavaScript (rt.lock(), rt.queue(), ...) and runs
 * them next to JS tasks on the same primitive; each prints what it sees
 * exactly as its twin in tests/sync/sync.py (c_lock_user, ...) prints it,
 * so the lines can be compared with CPython's. The rest check the C API's
 * refusals (sync_c_api) and its behaviour when memory runs out (sync_oom).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasyncio.h"

/* The current error as sync.py's exc(e) prints one: "Type: message". */
static const char *exc(char *buf, size_t size) {
  const wa_error *e = wa_error_current();
  snprintf(buf, size, "%s: %s", e ? wa_error_type(e) : "?", e ? wa_error_message(e) : "?");
  return buf;
}

/* An item as sync.py's show() prints it: JSON, bytes as "bytes:<hex>". */
static void show(const wa_value *v, char *out, size_t size) {
  switch (v->kind) {
    case WA_NUMBER: {
      double x = v->number;
      if (x == floor(x) && fabs(x) < 1e15) { /* JSON.stringify: no ".0" */
        snprintf(out, size, "%.0f", x);
      } else {
        snprintf(out, size, "%.15g", x);
        if (strtod(out, NULL) != x) snprintf(out, size, "%.17g", x);
      }
      return;
    }
    case WA_STRING: { /* quoted; the tests' strings need no escapes but these */
      size_t n = 0;
      out[n++] = '"';
      for (const char *s = v->string; *s && n + 3 < size; s++) {
        if (*s == '"' || *s == '\\') out[n++] = '\\';
        out[n++] = *s;
      }
      out[n++] = '"';
      out[n] = 0;
      return;
    }
    case WA_BYTES: {
      size_t n = (size_t)snprintf(out, size, "bytes:");
      for (size_t i = 0; i < v->length && n + 3 < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%02x", ((const unsigned char *)v->bytes)[i]);
      return;
    }
    case WA_JSON: snprintf(out, size, "%s", v->string); return;
    default: snprintf(out, size, "null");
  }
}

/* sync.py's c_lock_user: acquires l, holds it `hold` ms, releases it. */
static int lock_user(wa_task *self, const wa_args *args) {
  wa_lock *l = wa_arg_lock(args, "l");
  const char *label = wa_arg_string(args, "label");
  char buf[160];
  int rc = wa_lock_acquire(l);
  if (rc < 0) {
    wa_print("%s acquire %s", label, exc(buf, sizeof buf));
    return rc;
  }
  wa_print("%s acquired", label);
  rc = wa_sleep(wa_arg_number(args, "hold"));
  wa_lock_release(l);
  wa_print("%s released", label);
  return rc;
}
WA_EXPORT_COROUTINE(lock_user, "l:lock, label:string, hold:number")

/* sync.py's c_sem_user, printing the value (never below 0) as it goes. */
static int sem_user(wa_task *self, const wa_args *args) {
  wa_semaphore *s = wa_arg_semaphore(args, "s");
  const char *label = wa_arg_string(args, "label");
  char buf[160];
  int rc = wa_semaphore_acquire(s);
  if (rc < 0) {
    wa_print("%s acquire %s value %d", label, exc(buf, sizeof buf), wa_semaphore_value(s));
    return rc;
  }
  wa_print("%s acquired value %d", label, wa_semaphore_value(s));
  rc = wa_sleep(wa_arg_number(args, "hold"));
  wa_semaphore_release(s);
  wa_print("%s released value %d", label, wa_semaphore_value(s));
  return rc;
}
WA_EXPORT_COROUTINE(sem_user, "s:semaphore, label:string, hold:number")

/* sync.py's c_event_waiter. */
static int event_waiter(wa_task *self, const wa_args *args) {
  const char *label = wa_arg_string(args, "label");
  char buf[160];
  int rc = wa_event_wait(wa_arg_event(args, "e"));
  if (rc < 0)
    wa_print("%s %s", label, exc(buf, sizeof buf));
  else
    wa_print("%s woke", label);
  return rc;
}
WA_EXPORT_COROUTINE(event_waiter, "e:event, label:string")

static bool event_is_set(void *e) { return wa_event_is_set(e); }

/* sync.py's c_cond_waiter: wait_for(e.is_set) under c's lock. */
static int cond_waiter(wa_task *self, const wa_args *args) {
  wa_condition *c = wa_arg_condition(args, "c");
  const char *label = wa_arg_string(args, "label");
  char buf[160];
  int rc = wa_condition_acquire(c);
  if (rc < 0) return rc;
  rc = wa_condition_wait_for(c, event_is_set, wa_arg_event(args, "e"));
  if (rc < 0)
    wa_print("%s %s locked %s", label, exc(buf, sizeof buf), wa_condition_locked(c) ? "yes" : "no");
  else
    wa_print("%s woke locked %s", label, wa_condition_locked(c) ? "yes" : "no");
  wa_condition_release(c);
  return rc;
}
WA_EXPORT_COROUTINE(cond_waiter, "c:condition, e:event, label:string")

/* sync.py's c_barrier_party. */
static int barrier_party(wa_task *self, const wa_args *args) {
  const char *label = wa_arg_string(args, "label");
  char buf[160];
  int index = -1;
  int rc = wa_barrier_wait(wa_arg_barrier(args, "b"), &index);
  if (rc < 0)
    wa_print("%s %s", label, exc(buf, sizeof buf));
  else
    wa_print("%s index %d", label, index);
  return rc < 0 ? rc : wa_return_number(self, index);
}
WA_EXPORT_COROUTINE(barrier_party, "b:barrier, label:string")

/* sync.py's c_producer: puts start, start+1, ... (n numbers). */
static int producer(wa_task *self, const wa_args *args) {
  wa_queue *q = wa_arg_queue(args, "q");
  const char *label = wa_arg_string(args, "label");
  int start = (int)wa_arg_number(args, "start"), n = (int)wa_arg_number(args, "n");
  char buf[160];
  for (int i = start; i < start + n; i++) {
    wa_value v = {.kind = WA_NUMBER, .number = i};
    int rc = wa_queue_put(q, &v);
    if (rc < 0) {
      wa_print("%s put %s", label, exc(buf, sizeof buf));
      return rc;
    }
    wa_print("%s put %d", label, i);
  }
  return WA_OK;
}
WA_EXPORT_COROUTINE(producer, "q:queue, label:string, start:number, n:number")

/* sync.py's c_consumer: gets n items, each followed by task_done. */
static int consumer(wa_task *self, const wa_args *args) {
  wa_queue *q = wa_arg_queue(args, "q");
  const char *label = wa_arg_string(args, "label");
  char buf[160], item[160];
  for (int i = 0; i < (int)wa_arg_number(args, "n"); i++) {
    wa_value v;
    int rc = wa_queue_get(q, &v);
    if (rc < 0) {
      wa_print("%s get %s", label, exc(buf, sizeof buf));
      return rc;
    }
    show(&v, item, sizeof item);
    wa_value_clear(&v);
    wa_print("%s got %s", label, item);
    wa_queue_task_done(q);
  }
  return WA_OK;
}
WA_EXPORT_COROUTINE(consumer, "q:queue, label:string, n:number")

/* ---- the C API's refusals ------------------------------------------------ */

/* Prints "<label>: ok" or "<label>: Type: message", and clears the error. */
static void say(const char *label, int rc) {
  char buf[160];
  if (rc >= 0)
    wa_print("%s: ok", label);
  else
    wa_print("%s: %s", label, exc(buf, sizeof buf));
  wa_error_clear();
}

static bool always(void *arg) { return true; }

/* The rules CPython has too (sync.py's capi_errors prints the same), then
   what only C can get wrong (NULLs, a wrong order), marked "C:". */
static int sync_c_api(wa_task *self, const wa_args *args) {
  wa_lock *l = wa_lock_new();
  say("Lock release", wa_lock_release(l));
  say("Semaphore(-1)", wa_semaphore_new(-1) ? 0 : -1);
  say("BoundedSemaphore(-1)", wa_bounded_semaphore_new(-1) ? 0 : -1);
  wa_semaphore *b = wa_bounded_semaphore_new(1);
  say("BoundedSemaphore(1) release", wa_semaphore_release(b));
  say("Barrier(0)", wa_barrier_new(0) ? 0 : -1);
  say("Barrier(-4)", wa_barrier_new(-4) ? 0 : -1);
  wa_condition *c = wa_condition_new(l);
  say("Condition wait", wa_condition_wait(c));
  say("Condition notify", wa_condition_notify(c, 1));
  say("Condition notify_all", wa_condition_notify_all(c));
  say("Condition wait_for true", wa_condition_wait_for(c, always, NULL));
  wa_queue *q = wa_queue_new(0, WA_QUEUE_FIFO);
  say("Queue get_nowait", wa_queue_get_nowait(q, NULL));
  say("Queue task_done", wa_queue_task_done(q));
  wa_queue *one = wa_queue_new(1, WA_QUEUE_FIFO);
  wa_value x = {.kind = WA_STRING, .string = "x"};
  say("Queue(1) put_nowait", wa_queue_put_nowait(one, &x));
  say("Queue(1) put_nowait", wa_queue_put_nowait(one, &x));
  wa_queue_shutdown(one, false);
  say("shut down put_nowait", wa_queue_put_nowait(one, &x));
  say("shut down get_nowait", wa_queue_get_nowait(one, NULL));
  say("shut down get_nowait", wa_queue_get_nowait(one, NULL));
  wa_semaphore *s = wa_semaphore_new(2);
  wa_semaphore_acquire(s);
  wa_semaphore_acquire(s);
  wa_print("Semaphore(2) twice: value %d locked %s", wa_semaphore_value(s), wa_semaphore_locked(s) ? "yes" : "no");

  /* C only. A priority queue keeps one kind of item: the refused one is
     not stored (CPython's heappush leaves it in the list, uncounted). */
  wa_queue *pq = wa_queue_new(0, WA_QUEUE_PRIORITY);
  wa_value one_v = {.kind = WA_NUMBER, .number = 1};
  wa_queue_put_nowait(pq, &one_v);
  say("C: PriorityQueue number then string", wa_queue_put_nowait(pq, &x));
  wa_print("C: qsize %d, task_done twice:", wa_queue_qsize(pq));
  say("C: task_done", wa_queue_task_done(pq));
  say("C: task_done", wa_queue_task_done(pq));
  say("C: wa_queue_new order 7", wa_queue_new(0, (wa_queue_order)7) ? 0 : -1);
  say("C: wa_lock_acquire(NULL)", wa_lock_acquire(NULL));
  say("C: wa_lock_release(NULL)", wa_lock_release(NULL));
  say("C: wa_event_wait(NULL)", wa_event_wait(NULL));
  say("C: wa_semaphore_acquire(NULL)", wa_semaphore_acquire(NULL));
  say("C: wa_semaphore_release(NULL)", wa_semaphore_release(NULL));
  say("C: wa_condition_wait(NULL)", wa_condition_wait(NULL));
  say("C: wa_condition_wait_for(c, NULL)", wa_condition_wait_for(c, NULL, NULL));
  say("C: wa_condition_notify(NULL)", wa_condition_notify(NULL, 1));
  say("C: wa_barrier_wait(NULL)", wa_barrier_wait(NULL, NULL));
  say("C: wa_queue_put(NULL)", wa_queue_put(NULL, &x));
  say("C: wa_queue_get(NULL)", wa_queue_get(NULL, NULL));
  say("C: wa_queue_join(NULL)", wa_queue_join(NULL));
  wa_lock_free(NULL); /* harmless, as free(NULL) */
  wa_queue_free(pq);
  wa_semaphore_free(s);
  wa_queue_free(one);
  wa_queue_free(q);
  wa_condition_free(c);
  wa_semaphore_free(b);
  wa_lock_free(l);
  return WA_OK;
}
WA_EXPORT_COROUTINE(sync_c_api, "")

/* Outside any task (a call_soon callback), a blocking call is refused at
   once, even one that would not have to wait. */
static void outside(void *arg) {
  wa_lock *l = arg;
  say("outside a task: wa_lock_acquire", wa_lock_acquire(l));
  wa_lock_free(l);
}

static int sync_outside_task(wa_task *self, const wa_args *args) {
  wa_lock *l = wa_lock_new();
  wa_handle *h = l ? wa_call_soon(outside, l) : NULL;
  if (!h) return wa_lock_free(l), WA_ERROR;
  wa_handle_release(h);
  return wa_sleep(0);
}
WA_EXPORT_COROUTINE(sync_outside_task, "")

/* ---- out of memory ------------------------------------------------------- */

/* Every byte malloc gives, as a list through each block's first word,
   smallest blocks first (the last taken). */
typedef struct block {
  struct block *next;
} block;

static block *hog_all(void) {
  block *held = NULL;
  for (size_t size = 1 << 20; size >= sizeof(block); size /= 2)
    for (block *p; (p = malloc(size));) p->next = held, held = p;
  return held;
}

static void give_back(block **held, int n) {
  for (; *held && n != 0; n--) {
    block *next = (*held)->next;
    free(*held);
    *held = next;
  }
}

/* What the sweeps work on, made while there is memory. */
typedef struct {
  wa_lock *lock;       /* held by the probe */
  wa_event *event;     /* not set */
  wa_semaphore *sem;   /* value 0 */
  wa_condition *cond;  /* over its own lock, held by the probe */
  wa_barrier *barrier; /* 2 parties */
  wa_queue *empty, *full; /* full: maxsize 1, one item */
  wa_queue *roomy;     /* LIFO, 8 items: a put must grow it */
} fixtures;

static bool memory_error(void) { return wa_error_matches("MemoryError"); }

/* The constructors, each of which allocates more than once. */
static int make_all(fixtures *f) {
  wa_lock *l = wa_lock_new();
  wa_event *e = wa_event_new();
  wa_semaphore *s = wa_semaphore_new(1);
  wa_condition *c = wa_condition_new(NULL);
  wa_barrier *b = wa_barrier_new(3);
  wa_queue *q = wa_queue_new(0, WA_QUEUE_PRIORITY);
  bool ok = l && e && s && c && b && q;
  wa_lock_free(l), wa_event_free(e), wa_semaphore_free(s);
  wa_condition_free(c), wa_barrier_free(b), wa_queue_free(q);
  return ok ? WA_OK : WA_ERROR;
}

static int put_nowait(fixtures *f) {
  wa_value v = {.kind = WA_STRING, .string = "an item long enough to need an allocation of its own, 64+"};
  int rc = wa_queue_put_nowait(f->roomy, &v);
  if (rc == WA_OK) { /* back as it was: the newest out, its task done */
    wa_queue_get_nowait(f->roomy, NULL);
    wa_queue_task_done(f->roomy);
  }
  return rc;
}

static int lock_acquire(fixtures *f) { return wa_lock_acquire(f->lock); }
static int event_wait(fixtures *f) { return wa_event_wait(f->event); }
static int sem_acquire(fixtures *f) { return wa_semaphore_acquire(f->sem); }
static int cond_wait(fixtures *f) { return wa_condition_wait(f->cond); }
static int barrier_wait(fixtures *f) { return wa_barrier_wait(f->barrier, NULL); }
static int queue_get(fixtures *f) { return wa_queue_get(f->empty, NULL); }
static int queue_put(fixtures *f) {
  wa_value v = {.kind = WA_NUMBER, .number = 2};
  return wa_queue_put(f->full, &v);
}
static int queue_join(fixtures *f) { return wa_queue_join(f->roomy); }

/* Each primitive as it must be after a failed or timed-out call: "" or
   what is wrong. */
static const char *intact(fixtures *f) {
  if (!wa_lock_locked(f->lock)) return "the lock is not held";
  if (wa_event_is_set(f->event)) return "the event is set";
  if (wa_semaphore_value(f->sem) != 0) return "the semaphore's value moved";
  if (!wa_condition_locked(f->cond)) return "the condition's lock is not held";
  if (wa_barrier_n_waiting(f->barrier) != 0 || wa_barrier_broken(f->barrier)) return "the barrier has a party or is broken";
  if (wa_queue_qsize(f->empty) != 0 || wa_queue_qsize(f->full) != 1 || wa_queue_qsize(f->roomy) != 8)
    return "a queue's size moved";
  return "";
}

/* The cases, by number: called directly, not through a pointer, since
   most suspend (the module has Asyncify ignore indirect calls). */
enum { N_CASES = 10 };
static const char *const case_names[N_CASES] = {
    "constructors", "queue put_nowait", "lock acquire", "event wait", "semaphore acquire",
    "condition wait", "barrier wait", "queue get", "queue put", "queue join"};

static int run_case(fixtures *f, int which) {
  switch (which) {
    case 0: return make_all(f);
    case 1: return put_nowait(f);
    case 2: return lock_acquire(f);
    case 3: return event_wait(f);
    case 4: return sem_acquire(f);
    case 5: return cond_wait(f);
    case 6: return barrier_wait(f);
    case 7: return queue_get(f);
    case 8: return queue_put(f);
    default: return queue_join(f);
  }
}

/* One case, swept: with no memory at all, then with a block more given
   back each time, until the call gets what it needs (and succeeds, or
   waits until its timeout). Every attempt before must fail with a
   MemoryError and leave every primitive as it was. Prints "<name>:
   MemoryError x<n>, then <how it ended>" or what went wrong. */
static void sweep(fixtures *f, int which) {
  const char *name = case_names[which];
  bool blocks = which >= 2; /* succeeds by waiting: run under a 1 ms timeout */
  char buf[160];
  int failures = 0;
  /* A blocking case waits once first, with memory: the task's suspension
     needs room to keep its C stack, which the core keeps from then on
     (the same call suspends alike). What is swept below is then only what
     the primitives allocate. (A suspension that finds no room for the
     stack ends the task, its waiter still queued: see the todo test in
     tests/sync/memory.test.mjs.) */
  if (blocks) {
    wa_timeout *to = wa_timeout_new(1);
    int rc = to ? wa_timeout_enter(to) : WA_ERROR;
    if (rc == WA_OK) rc = wa_timeout_exit(to, run_case(f, which));
    wa_timeout_free(to);
    if (!wa_error_matches("TimeoutError")) {
      wa_print("%s: the warm-up ended with %s", name, rc < 0 ? exc(buf, sizeof buf) : "ok");
      wa_error_clear();
      return;
    }
    wa_error_clear();
  }
  for (int attempt = 0; attempt < 20000; attempt++) {
    wa_timeout *to = NULL;
    if (blocks && (!(to = wa_timeout_new(1)) || wa_timeout_enter(to) < 0)) {
      wa_print("%s: no memory for the timeout (%s)", name, exc(buf, sizeof buf));
      wa_timeout_free(to);
      return;
    }
    block *held = hog_all();
    give_back(&held, attempt);
    int rc = run_case(f, which);
    give_back(&held, -1);
    if (to) {
      rc = wa_timeout_exit(to, rc);
      wa_timeout_free(to);
    }
    const char *wrong = intact(f);
    if (rc < 0 && memory_error() && !*wrong) {
      wa_error_clear();
      failures++;
      continue;
    }
    if (*wrong)
      wa_print("%s: attempt %d ended with %s and left it broken: %s", name, attempt,
               rc < 0 ? exc(buf, sizeof buf) : "ok", wrong);
    else
      wa_print("%s: MemoryError x%s, then %s", name, failures ? "some" : "none",
               rc < 0 ? exc(buf, sizeof buf) : "ok");
    wa_error_clear();
    return;
  }
  wa_print("%s: still no memory after 20000 blocks given back", name);
}

/* Every call that allocates, at the edge of memory (tests/sync/memory.test.mjs
   runs it in a module whose memory cannot grow past 64 MiB). Afterwards
   the primitives work as before. */
static int sync_oom(wa_task *self, const wa_args *args) {
  fixtures f = {wa_lock_new(), wa_event_new(), wa_semaphore_new(0), wa_condition_new(NULL),
                wa_barrier_new(2), wa_queue_new(0, WA_QUEUE_FIFO), wa_queue_new(1, WA_QUEUE_FIFO),
                wa_queue_new(0, WA_QUEUE_LIFO)};
  int rc = f.lock && f.event && f.sem && f.cond && f.barrier && f.empty && f.full && f.roomy ? WA_OK : WA_ERROR;
  if (rc == WA_OK) rc = wa_lock_acquire(f.lock);
  if (rc == WA_OK) rc = wa_condition_acquire(f.cond);
  wa_value v = {.kind = WA_NUMBER, .number = 0};
  if (rc == WA_OK) rc = wa_queue_put_nowait(f.full, &v);
  for (int i = 0; rc == WA_OK && i < 8; i++, v.number++) rc = wa_queue_put_nowait(f.roomy, &v);
  for (int i = 0; rc == WA_OK && i < N_CASES; i++) sweep(&f, i);
  /* With memory back, each works: waits are served, items flow. */
  if (rc == WA_OK) {
    wa_lock_release(f.lock);
    wa_event_set(f.event);
    wa_semaphore_release(f.sem);
    wa_value got = {0};
    char buf[160];
    rc = wa_lock_acquire(f.lock);
    if (rc == WA_OK) rc = wa_event_wait(f.event);
    if (rc == WA_OK) rc = wa_semaphore_acquire(f.sem);
    if (rc == WA_OK) rc = wa_queue_get(f.full, &got);
    if (rc == WA_OK) rc = wa_queue_put(f.full, &got);
    if (rc == WA_OK) rc = wa_barrier_abort(f.barrier) == WA_OK && wa_barrier_reset(f.barrier) == WA_OK ? WA_OK : WA_ERROR;
    if (rc == WA_OK) rc = wa_condition_notify_all(f.cond);
    wa_value_clear(&got);
    wa_print("afterwards: %s (queue sizes %d %d %d)", rc == WA_OK ? "ok" : exc(buf, sizeof buf),
             wa_queue_qsize(f.empty), wa_queue_qsize(f.full), wa_queue_qsize(f.roomy));
  }
  wa_lock_free(f.lock), wa_event_free(f.event), wa_semaphore_free(f.sem), wa_condition_free(f.cond);
  wa_barrier_free(f.barrier), wa_queue_free(f.empty), wa_queue_free(f.full), wa_queue_free(f.roomy);
  return rc;
}
WA_EXPORT_COROUTINE(sync_oom, "")

/* ---- a suspension with no room to keep the task's stack -------------------- */

/* Static, so that a task that ends holding it cannot lose it. */
static block *cold_held;

/* Waits on l (held by someone else), first with no memory at all, then
   with a block more given back each time, with no earlier suspension to
   have sized the task's stack buffer: at some point the waiter is queued
   but the task's stack cannot be kept. The acquire then fails with that
   MemoryError (the core resumes the task at once), which ends the probe;
   an earlier MemoryError (no room for the waiter) is retried. */
static int lock_wait_cold(wa_task *self, const wa_args *args) {
  wa_lock *l = wa_arg_lock(args, "l");
  char buf[160];
  for (int attempt = 0; attempt < 20000; attempt++) {
    wa_timeout *to = wa_timeout_new(1);
    if (!to || wa_timeout_enter(to) < 0) return wa_timeout_free(to), WA_ERROR;
    cold_held = hog_all();
    give_back(&cold_held, attempt);
    int rc = wa_lock_acquire(l);
    give_back(&cold_held, -1);
    rc = wa_timeout_exit(to, rc);
    wa_timeout_free(to);
    if (rc < 0 && memory_error() && !strstr(wa_error_message(wa_error_current()), "keep the task's stack")) {
      wa_error_clear();
      continue;
    }
    wa_print("lock_wait_cold: %s", rc < 0 ? exc(buf, sizeof buf) : "ok");
    return rc;
  }
  return WA_ERROR;
}
WA_EXPORT_COROUTINE(lock_wait_cold, "l:lock")

/* Waits for e, then gives back what lock_wait_cold's task held, should it
   have ended without. Started while there is memory. */
static int give_back_cold(wa_task *self, const wa_args *args) {
  int rc = wa_event_wait(wa_arg_event(args, "e"));
  give_back(&cold_held, -1);
  return rc;
}
WA_EXPORT_COROUTINE(give_back_cold, "e:event")
