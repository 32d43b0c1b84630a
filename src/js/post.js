// post.js: runs inside the Emscripten glue (--post-js), where Asyncify and
// Fibers are in scope. It makes both kinds of fiber overflow recoverable.

// An Asyncify buffer that overflowed during an unwind would trap in
// asyncify_stop_unwind ("unreachable", killing every task). Look first:
// record the excess for fiber.c and clamp, so the unwind completes and the
// scheduler can fail just that task.
(function () {
  var stopUnwind = Asyncify.maybeStopUnwind;
  Asyncify.maybeStopUnwind = function () {
    var data = Asyncify.currData;
    if (data && Asyncify.state === Asyncify.State.Unwinding &&
        Asyncify.exportCallStack.length === 0) {
      var ptr = HEAPU32[data >>> 2], end = HEAPU32[(data >>> 2) + 1];
      if (ptr > end) {
        HEAP32[Module['waOverflowSlot'] >>> 2] = ptr - end;
        HEAPU32[data >>> 2] = end;
      }
    }
    stopUnwind();
  };
})();

// Is e the engine running out of call stack? V8 and JavaScriptCore throw a
// RangeError, Firefox an InternalError ("too much recursion").
function waIsEngineStackOverflow(e) {
  return e instanceof Error && /call stack|too much recursion/i.test(e.message) &&
         (e instanceof RangeError || e.name === 'InternalError');
}

// Runs the loop (see wa_loop_run) and returns the delay to the next
// iteration: 0 now, -1 never. When a task's C stack overflowed (host.js
// throws) or the engine's own call stack did, the exception has unwound the
// task's frames: put the main context back and let C fail that task.
Module['waPump'] = function (budget) {
  var sp = stackSave();
  try {
    _wa_loop_run(budget);
  } catch (e) {
    var engine = waIsEngineStackOverflow(e);
    if (e !== Module['waHost'].stackOverflow && !engine) throw e;
    Fibers.trampolineRunning = false;
    Fibers.nextFiber = 0;
    Asyncify.state = Asyncify.State.Normal;
    Asyncify.currData = null;
    Asyncify.exportCallStack = [];
    // The stack that was running: the task's fiber, or the main one.
    var end = _emscripten_stack_get_end() >>> 0, base = _emscripten_stack_get_base() >>> 0;
    // Back to the main stack, with both sets of limits (emscripten's, and
    // the ones STACK_OVERFLOW_CHECK=2's checks compare against).
    var main = _wa_fiber_main() >>> 2;
    _emscripten_stack_set_limits(HEAPU32[main], HEAPU32[main + 1]);
    ___set_stack_limits(HEAPU32[main], HEAPU32[main + 1]);
    stackRestore(sp);
    // ASan build only (CMakeLists.txt exports this there): the throw skipped
    // the epilogues that clear the poisoned redzones of the abandoned
    // frames, and ASan reports that stale poison as a stack-buffer-overflow
    // when the memory is used again (wa_loop_recover's own locals, at once).
    // Clear it on the main stack below this call (the scheduler's frames,
    // unwound by the switch into the task, are never rewound now) and on the
    // run stack the task overflowed (the task fails; the next task runs there).
    var unpoison = Module['___asan_unpoison_memory_region'];
    if (unpoison) {
      var mainEnd = HEAPU32[main + 1];
      if (end !== mainEnd) unpoison(end, base - end);
      unpoison(mainEnd, (sp >>> 0) - mainEnd);
    }
    _wa_loop_recover(engine ? 1 : 0);
  }
  return _wa_loop_next_delay();
};

// The events trace.c recorded since the last take, each made into what the
// JS layer hands out by make(kind, time, value, task, other, what, text)
// (kind: wa_trace_kind's number); then they are cleared. Returns {events,
// dropped}. The layout is wa_trace_event's.
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
