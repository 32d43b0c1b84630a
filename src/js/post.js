// post.js: runs inside the Emscripten glue (--post-js). It pumps the loop.

// Runs the loop (see wa_loop_run) and returns the delay to the next
// iteration: 0 now, -1 never. The pump runs at the top of the run stack's
// block (fiber.c), with the block's limits for the stack overflow checks;
// the stack the caller was on comes back after. A C stack or engine stack
// overflow inside a task fails that task (host.js's wa_host_fiber_run);
// one outside any task (a done callback) ends up here: the exception has
// unwound the scheduler's frames, so C reports it and the loop carries on.
var waPumping = false;
Module['waPump'] = function (budget) {
  if (waPumping) return -2; // a host callback called it: not re-entrant
  var limits = _wa_fiber_limits() >>> 2, top = HEAPU32[limits], bottom = HEAPU32[limits + 1];
  var sp = stackSave(), base = _emscripten_stack_get_base(), end = _emscripten_stack_get_end();
  waPumping = true;
  // Limits first: the checks look at every move of the stack pointer.
  _emscripten_stack_set_limits(top, bottom);
  ___set_stack_limits(top, bottom);
  stackRestore(top);
  try {
    _wa_loop_run(budget);
  } catch (e) {
    var engine = waIsEngineStackOverflow(e);
    if (e !== Module['waHost'].stackOverflow && !engine) throw e;
    stackRestore(top);
    // ASan build only (CMakeLists.txt exports this there): the throw skipped
    // the epilogues that clear the poisoned redzones of the abandoned
    // frames, and ASan reports that stale poison as a stack-buffer-overflow
    // when the memory is used again (wa_loop_recover's own locals, at once).
    var unpoison = Module['___asan_unpoison_memory_region'];
    if (unpoison) unpoison(bottom, top - bottom);
    _wa_loop_recover(engine ? 1 : 0);
  } finally {
    _emscripten_stack_set_limits(base, end);
    ___set_stack_limits(base, end);
    stackRestore(sp);
    waPumping = false;
  }
  return _wa_loop_next_delay();
};

// The events trace.c recorded since the last take, each made into what the
// JS layer hands out by make(kind, time, value, task, other, what, text)
// (kind: wa_trace_kind's number); then they are cleared. Returns {events,
// dropped}. The layout is wa_trace_record's.
Module['waTraceTake'] = function (make) {
  var n = _wa_trace_count(), base = _wa_trace_events() >>> 0, size = _wa_trace_event_size();
  var names = Module['waTraceNames'] || (Module['waTraceNames'] = new Map()); // static strings
  var events = new Array(n);
  for (var i = 0; i < n; i++) {
    var p = base + i * size;
    var what = HEAPU32[(p + 24) >>> 2], text = HEAPU32[(p + 28) >>> 2], co = HEAPU32[(p + 36) >>> 2];
    events[i] = make(HEAPU32[(p + 32) >>> 2], HEAPF64[p >>> 3], HEAPF64[(p + 8) >>> 3],
      HEAPU32[(p + 16) >>> 2], HEAPU32[(p + 20) >>> 2],
      what ? (names.get(what) || (names.set(what, UTF8ToString(what)), names.get(what))) : null,
      text ? UTF8ToString(text) : null,
      co ? (names.get(co) || (names.set(co, UTF8ToString(co)), names.get(co))) : null);
  }
  var dropped = _wa_trace_clear() >>> 0;
  return { events: events, dropped: dropped };
};

// Copies bytes (a Uint8Array) to p and a NUL after them: a long string's
// UTF-8, made by the engine's TextEncoder (runtime.mjs's #withCStrings).
Module['waPutBytes'] = function (bytes, p) {
  HEAPU8.set(bytes, p);
  HEAPU8[p + bytes.length] = 0;
};
