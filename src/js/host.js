// host.js: the functions the C runtime imports from JavaScript (linked with
// --js-library). Each forwards to Module.waHost, which wasyncio.mjs supplies.
mergeInto(LibraryManager.library, {
  wa_host_print: function (ptr, len) {
    Module['waHost'].print(UTF8ToString(ptr, len));
  },
  wa_host_callback: function (id, task) {
    Module['waHost'].callback(id, task);
  },
  wa_host_task_step: function (id, exc) {
    Module['waHost'].taskStep(id, exc);
  },
  wa_host_task_cancel: function (id) {
    Module['waHost'].taskCancel(id);
  },
  wa_host_task_drop: function (id) {
    Module['waHost'].taskDrop(id);
  },
  wa_host_error_freed: function (id) {
    Module['waHost'].errorFreed(id);
  },
  wa_host_call_start: function (f, name, args) {
    return Module['waHost'].callStart(f, name, args);
  },
  wa_host_call_abort: function (id) {
    Module['waHost'].callAbort(id);
  },
  wa_host_report: function (ptr, len) {
    Module['waHost'].report(len < 0 ? UTF8ToString(ptr) : UTF8ToString(ptr, len));
  },
  // Built with STACK_OVERFLOW_CHECK=2, every move of the stack pointer past
  // the run stack's limit lands here before any memory is written.
  // Throwing unwinds the task's frames; wa_host_fiber_run (or, outside any
  // task, waPump in post.js) turns it into the task's failure instead of an
  // abort of the whole module.
  __handle_stack_overflow: function (requested) {
    throw Module['waHost'].stackOverflow;
  },

  // Is e the engine running out of call stack? V8 and JavaScriptCore throw
  // a RangeError, Firefox an InternalError ("too much recursion").
  $waIsEngineStackOverflow: function (e) {
    return e instanceof Error && /call stack|too much recursion/i.test(e.message) &&
           (e instanceof RangeError || e.name === 'InternalError');
  },

  // The fiber switch (fiber.c says why it is ours). It calls the wasm
  // exports raw: the glue wraps each export for Emscripten's own Asyncify
  // runtime, which this switch does not use, at twice the cost of a call.
  // The raw exports are caught on their way into that wrapping.
  $waFiber__deps: ['$Asyncify'],
  $waFiber__postset: 'waFiber.hook();',
  $waFiber: {
    raw: null,
    rewinding: false, // a resume's rewind is under way
    unwinding: false, // a suspension's unwind is
    hook: function () {
      var instrument = Asyncify.instrumentWasmExports;
      Asyncify.instrumentWasmExports = function (exports) {
        waFiber.raw = exports;
        return instrument(exports);
      };
    },
  },

  // Runs task s's fiber with the stack pointer at sp, rewinding it first
  // when rewind (its saved Asyncify data) is given; then puts the stack
  // pointer back at `back` (the scheduler's). Returns how the turn ended
  // (wa_fiber_how): 0 ended, 1 suspended, 2 C stack overflow, 3 engine
  // stack overflow. Any other exception goes on up, to waPump's caller.
  wa_host_fiber_run__deps: ['$waFiber', '$waIsEngineStackOverflow'],
  wa_host_fiber_run: function (s, sp, rewind, back) {
    var f = waFiber, raw = f.raw;
    raw.stackRestore(sp);
    if (rewind) {
      f.rewinding = true;
      raw.asyncify_start_rewind(rewind);
    }
    try {
      raw.wa_fiber_entry(s);
    } catch (e) {
      // The throw skipped the task's frames: put Asyncify and the stack
      // pointer back as if the turn had ended.
      if (f.rewinding) raw.asyncify_stop_rewind();
      if (f.unwinding) raw.asyncify_stop_unwind();
      f.rewinding = f.unwinding = false;
      raw.stackRestore(back);
      if (e === Module['waHost'].stackOverflow) return 2;
      if (waIsEngineStackOverflow(e)) return 3;
      throw e;
    }
    var how = 0;
    if (f.unwinding) {
      f.unwinding = false;
      raw.asyncify_stop_unwind();
      how = 1;
    }
    raw.stackRestore(back);
    return how;
  },

  // Where a task suspends (the one import in ASYNCIFY_IMPORTS). Called
  // normally, it starts the unwind that returns to wa_host_fiber_run;
  // called again by the rewind of a resume, it ends the rewind, and the
  // task goes on from here.
  wa_host_fiber_suspend__deps: ['$waFiber'],
  wa_host_fiber_suspend: function (unwind) {
    var f = waFiber;
    if (f.rewinding) {
      f.rewinding = false;
      f.raw.asyncify_stop_rewind();
      return;
    }
    f.unwinding = true;
    f.raw.asyncify_start_unwind(unwind);
  },
});
