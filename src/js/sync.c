/*
 * sync.c: the primitives' blocking calls for JavaScript tasks.
 *
 * A JS task runs the same machine a C task does (src/sync/), one stretch
 * at a time: wa_js_op_run runs it until it must await a future, makes the
 * task await that future (as ctx.wait does), and is called again from the
 * task's step when the future ends, so the code after CPython's `await
 * fut` runs at the task's step, as there, and not later in a microtask.
 */
#include <emscripten.h>
#include <stdlib.h>

#include "sync.h"

int wa_js_task_await(wa_task *t, wa_task *x); /* jstask.c */

/* Which call an op is: the numbers runtime.mjs's sync.mjs uses. */
static int (*const steps[])(wa_op *, int) = {
    wa__lock_acquire_step,  wa__event_wait_step,   wa__semaphore_acquire_step,
    wa__condition_acquire_step, wa__condition_wait_step, wa__barrier_wait_step,
    wa__barrier_reset_step, wa__barrier_abort_step, wa__queue_put_step,
    wa__queue_get_step,     wa__queue_join_step,
};
enum { OP_QUEUE_PUT = 8 };

/* A new op of kind `which` on obj; a put's item (as wa_js_settle takes
   values) is copied in and owned by the op. NULL: MemoryError raised. */
EMSCRIPTEN_KEEPALIVE wa_op *wa_js_op_new(int which, wa_object *obj, int kind, double number,
                                         const char *text, const void *bytes, size_t length) {
  if (which < 0 || which >= (int)(sizeof steps / sizeof *steps))
    return wa_raise("ValueError", "no operation %d", which), NULL;
  wa_op *op = wa__alloc(sizeof *op);
  if (!op) return wa__nomem("an operation"), NULL;
  wa_value v = {.kind = (wa_kind)kind, .number = number, .string = text, .bytes = bytes, .length = length};
  if (which == OP_QUEUE_PUT && !wa__value_copy(&op->item, v)) {
    free(op);
    return wa__nomem("a queue item"), NULL;
  }
  op->step = steps[which];
  op->obj = obj;
  wa__object_retain(obj);
  return op;
}

EMSCRIPTEN_KEEPALIVE void wa_js_op_free(wa_op *op) {
  wa_value_clear(&op->item);
  wa__object_release(op->obj);
  free(op);
}

/* Runs op for JS task t: from its start, or with what the await it
   stopped at gave (exc, borrowed: NULL when the future ended well). 1: t
   now awaits the op's future, and its step calls this again; 0: the op
   ended (wa_js_op_index, the item); negative: it failed, the error raised. */
EMSCRIPTEN_KEEPALIVE int wa_js_op_run(wa_op *op, wa_task *t, wa_error *exc, int start) {
  int rc = start ? op->step(op, OP_START) : op->step(op, exc ? wa_error_restore(wa_error_retain(exc)) : WA_OK);
  while (rc == OP_AWAIT) {
    int r = wa_js_task_await(t, op->fut);
    if (r == 1) return 1;
    if (r == 0)
      rc = wa_task_result(op->fut, NULL); /* done: its outcome, no suspension */
    else if (r == -1)
      rc = wa_raise("InvalidStateError", "%s already awaits something: a task awaits one thing at a time", t->name);
    else
      rc = wa__nomem("an await");
    rc = op->step(op, rc);
  }
  return rc;
}

EMSCRIPTEN_KEEPALIVE int wa_js_op_index(const wa_op *op) { return op->index; }
EMSCRIPTEN_KEEPALIVE const wa_value *wa_js_op_item(const wa_op *op) { return &op->item; }

/* The non-blocking calls that take an item, as wa_js_settle takes one. */
EMSCRIPTEN_KEEPALIVE int wa_js_queue_put_nowait(wa_queue *q, int kind, double number, const char *text,
                                                const void *bytes, size_t length) {
  wa_value v = {.kind = (wa_kind)kind, .number = number, .string = text, .bytes = bytes, .length = length};
  return wa_queue_put_nowait(q, &v);
}

/* get_nowait into a value the host reads, then clears. */
static wa_value got;
EMSCRIPTEN_KEEPALIVE const wa_value *wa_js_queue_get_nowait(wa_queue *q) {
  wa_value_clear(&got);
  return wa_queue_get_nowait(q, &got) < 0 ? NULL : &got;
}
EMSCRIPTEN_KEEPALIVE void wa_js_value_clear(wa_value *v) { wa_value_clear(v); }

/* Reading a wa_value from JS. */
EMSCRIPTEN_KEEPALIVE int wa_js_value_kind(const wa_value *v) { return v->kind; }
EMSCRIPTEN_KEEPALIVE double wa_js_value_number(const wa_value *v) { return v->number; }
EMSCRIPTEN_KEEPALIVE const char *wa_js_value_string(const wa_value *v) { return v->string; }
EMSCRIPTEN_KEEPALIVE const void *wa_js_value_bytes(const wa_value *v) { return v->bytes; }
EMSCRIPTEN_KEEPALIVE size_t wa_js_value_length(const wa_value *v) { return v->length; }

/* Retaining and releasing from JS (a primitive's JS handle holds one). */
EMSCRIPTEN_KEEPALIVE void wa_js_object_release(wa_object *o) { wa__object_release(o); }
EMSCRIPTEN_KEEPALIVE const char *wa_js_object_kind(const wa_object *o) { return o->kind->name; }
