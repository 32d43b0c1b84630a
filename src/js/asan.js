// asan.js: linked (--js-library) into the ASan build only (-DWA_SANITIZE=address,
// the sanitizer block of CMakeLists.txt; npm run test:sanitize).
//
// 1. The asan_c_* helpers stay out of Asyncify's JS export wrappers.
//
// With -fsanitize=address, Emscripten rewrites every HEAP* access in the JS
// glue (post.js included) into a call of a wasm export, asan_c_load_4u(),
// asan_c_store_4() and so on, so that ASan checks the JS side's accesses too.
// Emscripten 3.1.6 keeps Asyncify's wasm instrumentation out of these helpers
// (ASYNCIFY_REMOVE, emcc.py), but its JS side still wraps them like every
// other export (Asyncify.instrumentWasmExports, src/library_async.js): each
// call pushes onto Asyncify.exportCallStack and, on its way out, calls
// Asyncify.maybeStopUnwind(). post.js's wrapper of maybeStopUnwind reads the
// Asyncify buffer exactly when an unwind ends (state Unwinding, no export on
// the stack). Under ASan each of those reads is a wrapped asan_c_load_4u()
// whose exit calls maybeStopUnwind() again, which reads again, and so on
// until the engine's stack overflows; waPump takes that RangeError for a
// task's own runaway recursion, and every task silently vanishes.
//
// The helpers are plain loads and stores that can never suspend, so the
// wrapper does nothing for them but harm. We chain onto
// Asyncify.instrumentWasmExports and hand back the raw asan_c_* functions;
// every other export stays wrapped. This runs as a library postset, before
// createWasm(), so it holds however the module is instantiated. No glue text
// is patched and no Emscripten setting changes; with an Emscripten that no
// longer wraps the helpers, it does nothing.
//
// 2. ASan's runtime options (below).
mergeInto(LibraryManager.library, {
  wa_asan_setup__deps: ['$Asyncify'],
  wa_asan_setup__postset: '_wa_asan_setup();',
  wa_asan_setup: function () {
    var instrument = Asyncify.instrumentWasmExports;
    Asyncify.instrumentWasmExports = function (exports) {
      var ret = instrument(exports);
      for (var name in exports) {
        if (name.indexOf('asan_c_') === 0) ret[name] = exports[name];
      }
      return ret;
    };
    // ASan's options, read by its init (a wasm constructor, later than
    // this) from Module.ASAN_OPTIONS. The runtime handles malloc returning
    // NULL (a task that gets no stack fails with MemoryError; the tests run
    // memory out on purpose), which ASan would otherwise turn into a fatal
    // report. Options in the environment (Node's process.env.ASAN_OPTIONS)
    // come after, so they win.
    var env = typeof process == 'object' && process.env ? process.env : {};
    Module['ASAN_OPTIONS'] = ['allocator_may_return_null=1', env.ASAN_OPTIONS, Module['ASAN_OPTIONS']]
      .filter(Boolean).join(':');
  },
});
