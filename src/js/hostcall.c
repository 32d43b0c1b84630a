/*
 * hostcall.c: C tasks await JavaScript. wa_host_call() asks the host to
 * call a function registered by name (runtime.mjs) and returns a future the
 * host ends when the function's promise settles.
 *
 * The call is a future of its own kind: cancelling it ends it at once, as
 * asyncio's Future.cancel does, and tells the host, which aborts the
 * function's AbortSignal and forgets the call; a late settlement finds
 * nothing to end. As for the runtime's other futures, the runtime holds a
 * reference until it ends, so the host's pointer stays good while the
 * call is pending, whoever dropped the future.
 */
#include <emscripten.h>
#include <stdint.h>

#include "internal.h"

/* host.js: start the call (the host's id for it, or 0 with the error
   raised), and forget one that was cancelled. */
int wa_host_call_start(wa_task *f, const char *name, const wa_args *args);
void wa_host_call_abort(int id);

/* The host forgets the call first: it must not touch f once it ended. */
static bool call_cancel(wa_task *f, const char *msg) {
  if (f->state != TASK_PENDING) return false;
  wa_host_call_abort(f->host_id);
  f->host_id = 0;
  wa__task_finish(f, TASK_CANCELLED, wa__cancelled_error(msg));
  wa_task_release(f); /* the runtime's */
  return true;
}

static const wa_task_ops call_ops = {.type = "Future", .future = true, .cancel = call_cancel};

wa_task *wa_host_call(const char *name, const wa_args *args) {
  if (!name) return wa_raise("TypeError", "wa_host_call: the name is NULL"), NULL;
  wa_task *f = wa__future_new(name, &call_ops, NULL);
  if (!f) return wa__nomem("a host call"), NULL;
  int id = wa_host_call_start(f, name, args);
  if (id <= 0) { /* unknown name, or a bad argument: raised by the host */
    wa__future_discard(f); /* ends it, so that it can be freed */
    return NULL;
  }
  f->host_id = id;
  /* The function runs in a microtask: end the pump soon, as after any
     call into JavaScript, so that it starts at once. */
  wa__loop_note_host_call();
  return f; /* the caller's reference */
}

/* ---- for the host ---------------------------------------------------------- */

/* The call's arguments, one entry at a time: its key, its kind
   (wa_kind, or -1 for a pointer, which JavaScript cannot take) and value. */
EMSCRIPTEN_KEEPALIVE int wa_js_args_count(const wa_args *a) { return wa__args_count(a); }

static wa_value entry;
EMSCRIPTEN_KEEPALIVE const char *wa_js_args_entry(const wa_args *a, int i) {
  const char *key = wa__args_entry(a, i, &entry);
  return key;
}
EMSCRIPTEN_KEEPALIVE int wa_js_args_kind(void) { return entry.kind == WA_NONE && entry.bytes ? -1 : (int)entry.kind; }
EMSCRIPTEN_KEEPALIVE double wa_js_args_number(void) { return entry.number; }
EMSCRIPTEN_KEEPALIVE const char *wa_js_args_string(void) { return entry.string; }
EMSCRIPTEN_KEEPALIVE const void *wa_js_args_bytes(void) { return entry.bytes; }
EMSCRIPTEN_KEEPALIVE size_t wa_js_args_length(void) { return entry.length; }

/* The function settled: end the call with err (a reference given up) or
   with value (copied; kind a wa_kind, text the string or JSON, bytes and
   length for WA_BYTES). Nothing when it was cancelled meanwhile. */
EMSCRIPTEN_KEEPALIVE void wa_js_call_settle(wa_task *f, wa_error *err, int kind, double number,
                                            const char *text, const void *bytes, size_t length) {
  if (f->state != TASK_PENDING) {
    wa__error_unref(err);
    return;
  }
  f->host_id = 0;
  if (!err) {
    wa_value v = {.kind = (wa_kind)kind, .number = number, .string = text, .bytes = bytes, .length = length};
    if (!wa__task_set_value(f, v)) err = wa__error_nomem();
  }
  wa__task_finish(f, err ? (wa__error_is_cancel(err) ? TASK_CANCELLED : TASK_FAILED) : TASK_DONE, err);
  wa_task_release(f); /* the runtime's */
}
