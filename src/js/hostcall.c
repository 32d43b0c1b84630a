/*
 * hostcall.c: C tasks await JavaScript. wa_host_call() asks the host to
 * call a function registered by name (runtime.mjs) and returns a future the
 * host ends when the function's promise settles (wa_js_settle).
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
  if (f->state == TASK_PENDING) wa_host_call_abort(f->host_id);
  return wa__future_cancel(f, msg);
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

/* The function settled: the host ends the call with wa_js_settle (jstask.c),
   as any future it ends; nothing when the call was cancelled meanwhile. */
