// runtime.mjs: the JavaScript API of the runtime, for Node 20 and browsers.
// The package's entries (node.mjs, browser.mjs) add how each host reads a
// wasm, so that the browser's has no `node:` import.
//
// The C scheduler runs inside the wasm module; this layer drives it from the
// host's event loop. Whenever the runtime may have work, one host timer is
// armed: setImmediate (Node) or a MessageChannel message (browser) for "now",
// setTimeout for the next deadline (in browsers, one under 4 ms away is set
// from a message's handler). Each firing pumps the loop, which says
// when it next needs to run. With nothing left to do no timer is armed, so
// Node exits when the work is done.

import {
  CancelledError, ExceptionGroup, InvalidStateError, MemoryError, TimeoutError, checkText, describe,
  errorOfType, errorParts, wellFormed,
} from './errors.mjs';
import { Future, Task, freeWhenCollected, pointerOf } from './task.mjs';
import { TaskGroup, TaskContext, checkDelay } from './jstask.mjs';
import {
  Barrier, BoundedSemaphore, Condition, Event, Lock, Operation, PARAM_CLASSES, Queue, Semaphore, primitiveOf,
} from './sync.mjs';

export {
  CancelledError, ExceptionGroup, InvalidStateError, MemoryError, TimeoutError, Future, Task, TaskGroup, TaskContext,
  Barrier, BoundedSemaphore, Condition, Event, Lock, Operation, Queue, Semaphore,
};
export { BrokenBarrierError, QueueEmpty, QueueFull, QueueShutDown } from './errors.mjs';

// Longest delay a host timer takes: longer ones fire at once in browsers and
// after 1 ms in Node. Longer sleeps are chained through several timers.
const MAX_HOST_DELAY = 2 ** 31 - 1;
// Real time one pump may take before the page gets the event loop back;
// while a trace records, half of it, as handing the pump's events to the
// recorders (after it) costs about as much again.
const PUMP_BUDGET_MS = 8;
// Browsers make a setTimeout set from a timer callback nested more than 5
// deep wait at least 4 ms. A pump that ends in a timer callback and needs
// to run again sooner than that sets its timer from a message's handler,
// where the nesting starts again (Node has no such clamp).
const NESTED_TIMER_CLAMP_MS = 4;
const HOST_CLAMPS_NESTED_TIMERS = typeof setImmediate !== 'function';

// The module the package ships; bundlers that follow `new URL(...,
// import.meta.url)` (vite, webpack) copy the wasm, others need {wasm}.
const defaultModule = {
  factory: () => import('../../build/wasyncio.mjs'),
  wasm: new URL('../../build/wasyncio.wasm', import.meta.url),
};

/**
 * createRuntime for one kind of host (node.mjs, browser.mjs). `platform`
 * says how that host reads a wasm: resolve(string) -> URL, read(URL) ->
 * bytes.
 */
export function runtimeFactory(platform) {
  return async function createRuntime(options = {}) {
    const opts = checkOptions(options);
    const { factory, wasm } = opts.module;
    let createModule;
    try {
      createModule = (await factory())?.default;
    } catch (error) {
      if (opts.module.factory !== defaultModule.factory) throw error;
      throw new Error('wasyncio: cannot load build/wasyncio.mjs, the prebuilt module: in a clone of the repository, build it with `npm run build`', { cause: error });
    }
    if (typeof createModule !== 'function') {
      throw new TypeError('createRuntime: module.factory() must give a module whose default export is the Emscripten factory');
    }
    const host = {
      stackOverflow: new Error('wasyncio: a task overflowed its C stack'),
      print: () => {},
      callback: () => {},
      report: () => {},
      errorFreed: () => {},
      taskDrop: () => {},
    };
    const bytes = await loadWasm(wasm, platform);
    const m = await createModule({ wasmBinary: bytes, waHost: host });
    return new Runtime(m, host, opts);
  };
}

// The wasm's bytes, from bytes, a URL, or a string the platform resolves
// (a path or URL in Node, a URL against the page in a browser).
async function loadWasm(source, platform) {
  if (source instanceof ArrayBuffer) return source;
  if (ArrayBuffer.isView(source)) return source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength);
  const url = typeof source === 'string' ? platform.resolve(source) : source;
  try {
    return await platform.read(url);
  } catch (error) {
    throw new Error(`wasyncio: cannot load the wasm from ${url}: ${error?.message ?? error} (say where it is with createRuntime({wasm}))`, { cause: error });
  }
}

// Fetches a URL's bytes; for browsers, and Node for what is not a file.
export async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.arrayBuffer();
}

function checkOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('createRuntime: options must be an object');
  }
  refuseUnknown(options, 'createRuntime', ['clock', 'print', 'onError', 'stackSize', 'asyncifySize', 'module', 'wasm', 'host']);
  const {
    clock = 'real',
    print = (line) => console.log(line),
    onError = (message, error) => console.error(`wasyncio: ${message}`, error ?? ''),
    stackSize = 16384,
    asyncifySize = 4096,
    module = defaultModule,
    wasm,
    host = {},
  } = options;
  if (host === null || typeof host !== 'object') {
    throw new TypeError(`createRuntime: host must be an object of functions by name, not ${describe(host)}`);
  }
  for (const [name, fn] of Object.entries(host)) checkHostFunction(name, fn, 'createRuntime: host');
  if (clock !== 'real' && clock !== 'virtual') {
    throw new TypeError(`createRuntime: clock must be 'real' or 'virtual', not ${describe(clock)}`);
  }
  for (const [name, fn] of [['print', print], ['onError', onError]]) {
    if (typeof fn !== 'function') {
      throw new TypeError(`createRuntime: ${name} must be a function, not ${describe(fn)}`);
    }
  }
  for (const [name, size, min] of [['stackSize', stackSize, 4096], ['asyncifySize', asyncifySize, 512]]) {
    if (!Number.isInteger(size) || size < min || size > 2 ** 26 || size % 16) {
      throw new RangeError(`createRuntime: ${name} must be a multiple of 16 between ${min} and 2^26, not ${describe(size)}`);
    }
  }
  if (typeof module?.factory !== 'function' || module.wasm === undefined) {
    throw new TypeError('createRuntime: module must be {factory, wasm}');
  }
  checkWasm(module.wasm, 'module.wasm');
  if (wasm !== undefined) {
    if (module !== defaultModule) {
      throw new TypeError('createRuntime: give module or wasm, not both (module.wasm says where its wasm is)');
    }
    checkWasm(wasm, 'wasm');
  }
  const chosen = wasm === undefined ? module : { factory: module.factory, wasm };
  return { clock, print, onError, stackSize, asyncifySize, module: chosen, host: { ...host } };
}

// A value for C as JSON text, or the TypeError saying why it cannot be:
// `what` names who gave it.
function jsonForC(value, what) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    return new TypeError(`${what} a value JSON cannot hold: ${error?.message}`);
  }
  return text === undefined ? new TypeError(`${what} ${describe(value)}, which C cannot take`) : text;
}

// An integer for C's int (out-of-range values within it, such as a
// negative semaphore, are C's to refuse, with asyncio's ValueError).
function checkCount(n, what) {
  if (!Number.isInteger(n)) throw new TypeError(`${what} must be an integer, not ${describe(n)}`);
  if (n > 2 ** 31 - 1 || n < -(2 ** 31)) throw new RangeError(`${what} is out of range: ${n}`);
}

function checkHostFunction(name, fn, what) {
  if (typeof name !== 'string' || !name) throw new TypeError(`${what}: a host function's name must be a non-empty string, not ${describe(name)}`);
  if (typeof fn !== 'function') throw new TypeError(`${what}: host function '${name}' must be a function, not ${describe(fn)}`);
}

function checkWasm(wasm, what) {
  if (!(wasm instanceof URL || typeof wasm === 'string' || wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm))) {
    throw new TypeError(`createRuntime: ${what} must be a URL, a string (path or URL) or bytes (ArrayBuffer or typed array), not ${describe(wasm)}`);
  }
}

// "param:number, label?:string" -> [{name, type, optional}]. A declaration
// JavaScript cannot follow comes back as {error} instead.
function parseParams(coroutine, spec) {
  const params = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^([A-Za-z_]\w*)(\?)?\s*:\s*(number|string|json|task|lock|event|semaphore|condition|barrier|queue)$/.exec(part);
    if (!match) {
      return { error: `${coroutine} declares a parameter JavaScript cannot pass: '${part}' (want name:number, name:string, name:json, name:task, or a primitive: name:lock, name:event, name:semaphore, name:condition, name:barrier, name:queue; name? when optional)` };
    }
    params.push({ name: match[1], type: match[3], optional: !!match[2] });
  }
  return { params };
}

// A misspelt option is a TypeError naming it, not silently ignored.
function refuseUnknown(options, what, allowed) {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${what}: unknown option '${wellFormed(key)}' (it takes ${allowed.join(', ')})`);
    }
  }
}

// The options of createTask and friends, checked and each read once.
function readOptions(options, what, allowed = ['name', 'signal']) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${what}: options must be an object, not ${describe(options)}`);
  }
  refuseUnknown(options, what, allowed);
  const read = Object.fromEntries(allowed.map((key) => [key, options[key]]));
  const { name, signal } = read;
  if (name !== undefined && typeof name !== 'string') {
    throw new TypeError(`${what}: name must be a string, not ${describe(name)}`);
  }
  if (name !== undefined) checkText(name, `${what}: name`);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${what}: signal must be an AbortSignal, not ${describe(signal)}`);
  }
  return read;
}

// The cancel message for an aborted signal: its reason's message, or the
// reason itself when it is a string.
function abortMessage(signal) {
  const { reason } = signal;
  let text;
  try {
    text = typeof reason === 'string' ? reason : String(reason?.message ?? reason);
  } catch {
    text = 'aborted';
  }
  return wellFormed(text);
}

// Cancels task when signal aborts (at once when it already has), until the
// task is done.
function linkSignal(task, signal) {
  if (!signal) return task;
  if (signal.aborted) {
    task.cancel(abortMessage(signal));
    return task;
  }
  const onAbort = () => task.cancel(abortMessage(signal));
  signal.addEventListener('abort', onAbort, { once: true });
  task.addDoneCallback(() => signal.removeEventListener('abort', onAbort));
  return task;
}

// fn(arg) as a closure made out here, so that it cannot capture the object
// whose collection it is to follow.
const callLater = (fn, arg) => () => fn(arg);

const UTF8 = new TextEncoder();

// A json parameter takes a string as it is, or any value stringified.
function jsonText(p, value, what) {
  if (p.type !== 'json' || typeof value === 'string') return value;
  let json;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`${what} cannot be written as JSON: ${error?.message}`, { cause: error });
  }
  if (json === undefined) throw new TypeError(`${what} cannot be written as JSON (${describe(value)})`);
  return json;
}

// wait's returnWhen, in the order of C's wa_return_when.
const RETURN_WHEN = ['FIRST_COMPLETED', 'FIRST_EXCEPTION', 'ALL_COMPLETED'];

// A timeout in ms: a number, not NaN (Infinity: none; <= 0: due at once).
function checkTimeout(what, ms) {
  if (typeof ms !== 'number') throw new TypeError(`${what}: timeout must be a number of ms, not ${describe(ms)}`);
  if (Number.isNaN(ms)) throw new RangeError(`${what}: timeout is NaN`);
}

// A zero-delay macrotask that does not get clamped like a nested setTimeout.
function makeZeroDelay() {
  if (typeof setImmediate === 'function') {
    return (fn) => {
      const h = setImmediate(fn);
      return () => clearImmediate(h);
    };
  }
  const channel = new MessageChannel();
  let queued = null;
  channel.port1.onmessage = () => {
    const fn = queued;
    queued = null;
    fn?.();
  };
  return (fn) => {
    queued = fn;
    channel.port2.postMessage(null);
    return () => {
      if (queued === fn) queued = null;
    };
  };
}

class Runtime {
  #m;
  #opts;
  #signatures = new Map();
  #hostCallbacks = new Map();
  #recorders = new Set(); // rt.trace()s running
  #nextHostId = 1;
  #hostFns = new Map();   // name -> the functions C calls (wa_host_call)
  #hostCalls = new Map(); // id -> {ptr, controller, name}: calls not settled
  #nextCallId = 1;
  #disarm = null;     // cancels the armed host timer
  #armedNow = false;  // the armed timer is a zero-delay one
  #pumping = false;
  #zeroDelay = makeZeroDelay();
  #port; // what a Task may use of its runtime
  #core; // what TaskContext and TaskGroup may use
  #jsTasks = new Map(); // host id -> record of a running JS task
  #nextJsTask = 1;
  // host id -> the JS value a C error stands for: {value} when JS threw it
  // (it must come back as the same object while C holds the error), {weak}
  // when it was made here from the C error. A strong hold on that one would
  // pin, through the Error's captured stack, the Task whose C outcome keeps
  // the entry alive: a cycle through wasm memory no GC can see. Made again
  // when it was collected, which nobody can tell.
  #errors = new Map();
  #nextError = 1;
  #closing = null; // close()'s promise
  #closed = false;

  constructor(m, host, opts) {
    this.#m = m;
    this.#opts = opts;
    host.print = (line) => this.#guard('print failed', () => opts.print(line));
    host.callback = (id, taskPtr) => this.#runHostCallback(id, taskPtr);
    host.report = (message) => this.#guard('onError failed', () => opts.onError(message));
    host.taskStep = (id, exc) => this.#guard('a JS task step failed', () => this.#stepJsTask(id, exc));
    host.taskCancel = (id) => this.#abortJsTask(id);
    host.taskDrop = (id) => this.#jsTasks.delete(id);
    host.errorFreed = (id) => this.#errors.delete(id);
    host.callStart = (ptr, name, args) => this.#startHostCall(ptr, name, args);
    host.callAbort = (id) => this.#abortHostCall(id);
    for (const [name, fn] of Object.entries(opts.host)) this.#hostFns.set(name, fn);
    if (m._wa_js_init(opts.clock === 'virtual' ? 1 : 0, opts.stackSize, opts.asyncifySize) < 0) {
      throw new MemoryError(`createRuntime: no memory for the ${opts.stackSize}-byte run stack`);
    }
    for (let i = 0, n = m._wa_registry_count(); i < n; i++) {
      const name = m.UTF8ToString(m._wa_registry_name(i));
      this.#signatures.set(name, parseParams(name, m.UTF8ToString(m._wa_registry_params(i))));
    }
    /** Names of the C coroutines in the module. */
    this.coroutines = Object.freeze([...this.#signatures.keys()]);
    this.clock = opts.clock;
    this.#port = {
      m,
      // Calls fn once the task at ptr is done (queued like any done
      // callback); returns the id that removes it.
      onDone: (ptr, fn) => {
        const id = this.#registerHostCallback(fn);
        if (m._wa_js_add_callback(ptr, id) < 0) {
          this.#hostCallbacks.delete(id);
          throw new MemoryError('no memory for a done callback');
        }
        this.#wake();
        return id;
      },
      drop: (id) => this.#hostCallbacks.delete(id),
      wake: () => this.#wake(),
      withCString: (s, fn) => this.#withCStrings([s], fn),
      errorFromC: (e) => this.#errorFromC(e),
      // For the primitives (sync.mjs): a C call whose raised error is
      // thrown, and a JS value handed to C as settle() takes one. What
      // fails is thrown: a value C cannot take, no memory for it, or what
      // settle itself threw (a full queue) -- never settle called again
      // with none in its place, as a settle that stores the error would be.
      asTask: (ptr, fn) => this.#asTask(ptr, fn),
      valueToC: (value, what, settle) => this.#valueToC(true, value, what, (error, ...v) => {
        if (error) throw this.#takeError(error);
        return settle(...v);
      }, true),
    };
    this.#core = {
      awaitTask: (record, task) => this.#awaitTask(record, task),
      yieldOnce: (record) => this.#yieldOnce(record),
      awaitable: (x, what) => this.#awaitable(x, what),
      awaitOp: (record, make, read) => this.#awaitOp(record, make, read),
      sleepFuture: (ms) => {
        const ptr = m._wa_js_sleep_future(ms);
        if (!ptr) throw new MemoryError('sleep: no memory for a timer');
        return new Task(this.#port, ptr);
      },
      spawnInto: (g, ctx, coroutine, args, options) => this.#spawnInto(g, ctx, coroutine, args, options),
    };
  }

  /** asyncio.run's shutdown (_cancel_all_tasks), for when the work is
   *  done: cancels every pending task, C and JS, in creation order; runs
   *  the loop until they have all ended, their cleanup included; reports
   *  through onError each that failed meanwhile instead of ending
   *  cancelled; then closes the runtime: every later call throws. Tasks
   *  made by that cleanup are not cancelled, and are not driven once it
   *  is closed. Calling it again gives the same promise. Also
   *  `await using rt = await createRuntime()`. */
  close() {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')]() {
    return this.close();
  }

  async #shutdown() {
    const m = this.#m;
    // As asyncio.run stops its loop: the iteration under way ends first.
    // (No gather: no task was pending, or no memory, raised in C then.)
    const { all, error } = await this.#atIterationEnd((id) => m._wa_js_shutdown(id),
      (ptr) => (ptr ? { all: ptr } : { error: m._wa_js_task_leave(0) }));
    if (error) {
      this.#guard('onError failed', () => this.#opts.onError(
        'no memory to wait for the tasks cancelled at shutdown', this.#takeError(error)));
    }
    if (all) {
      this.#wake();
      await new Promise((resolve) => this.#port.onDone(all, resolve));
      for (let i = 0, n = m._wa_gather_count(all); i < n; i++) {
        const error = m._wa_js_gather_failure(all, i);
        if (error) {
          const name = m.UTF8ToString(m._wa_task_name(m._wa_gather_task(all, i)));
          this.#guard('onError failed', () => this.#opts.onError(
            `unhandled exception during shutdown, in task ${name}`, this.#errorFromC(error)));
        }
      }
      m._wa_task_release(all); // now, not at a GC: it holds every task it gathered
    }
    await this.#atIterationEnd((id) => m._wa_js_shutdown_finish(id));
    this.#closed = true;
    this.#arm(-1);
    // Calls no task awaits any more: nothing will read what they settle with.
    for (const id of [...this.#hostCalls.keys()]) this.#abortHostCall(id);
  }

  // Asks C (through start(id)) to call back at an iteration's end; resolves
  // with what read(pointer it passed) gives, read there and then.
  #atIterationEnd(start, read = () => undefined) {
    return new Promise((resolve) => {
      start(this.#registerHostCallback((ptr) => resolve(read(ptr))));
      this.#wake();
    });
  }

  // ---- host functions (wa_host_call) --------------------------------------

  /** Makes fn(args, {signal}) callable from C as wa_host_call(name, args),
   *  replacing any function of that name. Its promise's value becomes the
   *  call's result (undefined/null, a number, a string, bytes, or else
   *  JSON); cancelling the call aborts signal. */
  provide(name, fn) {
    this.#open('provide');
    checkHostFunction(name, fn, 'provide');
    this.#hostFns.set(name, fn);
  }

  // wa_host_call, inside the caller's step: the id of the call, or 0 with
  // the error raised in C. The function runs in a microtask, once the
  // wasm call is over, so that it never runs inside the module.
  #startHostCall(ptr, namePtr, argsPtr) {
    const m = this.#m;
    const name = m.UTF8ToString(namePtr);
    const fn = this.#hostFns.get(name);
    let args;
    try {
      if (!fn) {
        const known = [...this.#hostFns.keys()].map((n) => `'${n}'`).join(', ');
        throw errorOfType('LookupError', `no host function '${name}' (registered: ${known || 'none'})`);
      }
      args = this.#hostArgs(argsPtr, name);
    } catch (error) {
      m._wa_js_err_raise(this.#errorToC(error));
      return 0;
    }
    const id = this.#nextCallId++;
    // ptr stays good while the call is in #hostCalls: C ends the future
    // only through #endHostCall, or after #abortHostCall forgot it.
    const call = { ptr, name, controller: new AbortController() };
    this.#hostCalls.set(id, call);
    queueMicrotask(() => {
      if (!this.#hostCalls.has(id)) return; // cancelled already
      let promise;
      try {
        promise = Promise.resolve(fn(args, { signal: call.controller.signal }));
      } catch (error) {
        promise = Promise.reject(error);
      }
      promise.then((v) => this.#endHostCall(id, true, v), (e) => this.#endHostCall(id, false, e));
    });
    return id;
  }

  // The C arguments as an object: numbers, strings, bytes (a copy).
  #hostArgs(argsPtr, name) {
    const m = this.#m;
    const entries = [];
    for (let i = 0, n = argsPtr ? m._wa_js_args_count(argsPtr) : 0; i < n; i++) {
      const key = m.UTF8ToString(m._wa_js_args_entry(argsPtr, i));
      switch (m._wa_js_args_kind()) {
        case 1: entries.push([key, m._wa_js_args_number()]); break;
        case 2: entries.push([key, m.UTF8ToString(m._wa_js_args_string())]); break;
        case 3: {
          const p = m._wa_js_args_bytes() >>> 0;
          entries.push([key, m.HEAPU8.slice(p, p + (m._wa_js_args_length() >>> 0))]);
          break;
        }
        default:
          throw new TypeError(`wa_host_call('${name}'): argument '${key}' is a pointer, which JavaScript cannot take`);
      }
    }
    return Object.fromEntries(entries);
  }

  // Runs in a promise reaction: it must not throw.
  #endHostCall(id, ok, value) {
    const call = this.#hostCalls.get(id);
    if (!call) return; // cancelled: what it settled with is dropped
    this.#hostCalls.delete(id);
    this.#valueToC(ok, value, `host function '${call.name}' returned`,
      (...v) => this.#m._wa_js_settle(call.ptr, ...v));
    this.#wake();
  }

  // Hands a JS outcome to C as settle(error, kind, number, text, bytes,
  // length) takes it: an error (ok false: value is what was thrown), or
  // none, a number, a string, bytes (copied), or else JSON text. A value C
  // cannot take is a TypeError naming `what` (what gave it), which settles
  // as the error, or with throwRefused is thrown before settle is called.
  #valueToC(ok, value, what, settle, throwRefused = false) {
    const m = this.#m;
    const fail = (error) => settle(this.#errorToC(error), 0, 0, 0, 0, 0);
    if (!ok) return fail(value);
    if (value === undefined || value === null) return settle(0, 0, 0, 0, 0, 0);
    if (typeof value === 'number') return settle(0, 1, value, 0, 0, 0);
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      const bytes = value instanceof ArrayBuffer ? new Uint8Array(value)
        : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      const p = m._malloc(bytes.length || 1);
      if (!p) return fail(new MemoryError(`no memory for the ${bytes.length} bytes ${what}`));
      try {
        m.HEAPU8.set(bytes, p >>> 0);
        return settle(0, 3, 0, 0, p, bytes.length);
      } finally {
        m._free(p);
      }
    }
    const kind = typeof value === 'string' ? 2 : 4;
    const text = kind === 2 ? value : jsonForC(value, what);
    if (text instanceof TypeError) {
      if (throwRefused) throw text;
      return fail(text);
    }
    try {
      return this.#withCStrings([wellFormed(text)], (s) => settle(0, kind, 0, s, 0, 0));
    } catch (error) {
      return fail(error); // no memory for the text
    }
  }

  /** asyncio.Future: a Task with no body that code ends (setResult,
   *  setException, cancel). JS tasks await it with ctx.wait; C sees its
   *  value as a host function's (a number, a string, bytes or JSON). */
  createFuture() {
    this.#open('createFuture');
    const m = this.#m;
    const ptr = m._wa_js_user_future_new();
    if (!ptr) throw new MemoryError('createFuture: no memory for a future');
    let value;
    const settle = (ok, v, what) => {
      this.#open(what);
      if (m._wa_js_state(ptr) !== 0) throw new InvalidStateError('invalid state'); // CPython's words
      // A value C cannot take is thrown, the future still pending; what C
      // raises (no memory for the value) is thrown too.
      this.#asTask(0, () => this.#valueToC(ok, v, `${what}: got`,
        (...c) => m._wa_js_user_future_settle(ptr, ...c), true));
      if (ok) value = v;
      this.#wake();
    };
    return new Future(this.#port, ptr, settle, () => value);
  }

  // ---- synchronization primitives (sync.mjs) -------------------------------

  /** asyncio.Lock. */
  lock() {
    return this.#primitive('lock', Lock, (m) => m._wa_lock_new());
  }

  /** asyncio.Event. */
  event() {
    return this.#primitive('event', Event, (m) => m._wa_event_new());
  }

  /** asyncio.Semaphore(value). */
  semaphore(value = 1) {
    checkCount(value, 'semaphore: value');
    return this.#primitive('semaphore', Semaphore, (m) => m._wa_semaphore_new(value));
  }

  /** asyncio.BoundedSemaphore(value). */
  boundedSemaphore(value = 1) {
    checkCount(value, 'boundedSemaphore: value');
    return this.#primitive('boundedSemaphore', BoundedSemaphore, (m) => m._wa_bounded_semaphore_new(value));
  }

  /** asyncio.Condition(lock): lock undefined makes one of its own. */
  condition(lock) {
    let ptr = 0;
    if (lock !== undefined && lock !== null) {
      ptr = lock instanceof Lock ? primitiveOf(lock, this.#port) : 0;
      if (!ptr) throw new TypeError(`condition: lock must be a Lock of this runtime, not ${describe(lock)}`);
    }
    return this.#primitive('condition', Condition, (m) => m._wa_condition_new(ptr));
  }

  /** asyncio.Barrier(parties). */
  barrier(parties) {
    checkCount(parties, 'barrier: parties');
    return this.#primitive('barrier', Barrier, (m) => m._wa_barrier_new(parties));
  }

  /** asyncio.Queue, LifoQueue or PriorityQueue: {maxsize = 0 (no limit),
   *  order = 'fifo' | 'lifo' | 'priority'}. */
  queue(options = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`queue: options must be an object, not ${describe(options)}`);
    }
    refuseUnknown(options, 'queue', ['maxsize', 'order']);
    const { maxsize = 0, order = 'fifo' } = options;
    checkCount(maxsize, 'queue: maxsize');
    const orders = ['fifo', 'lifo', 'priority'];
    if (!orders.includes(order)) {
      throw new TypeError(`queue: order must be 'fifo', 'lifo' or 'priority', not ${describe(order)}`);
    }
    return this.#primitive('queue', Queue, (m) => m._wa_queue_new(maxsize, orders.indexOf(order)));
  }

  // A new primitive: make(m) gives the C object, or 0 with the error raised.
  #primitive(what, Class, make) {
    this.#open(what);
    const ptr = this.#asTask(0, () => make(this.#m));
    return new Class(this.#port, ptr);
  }

  // The call's future is being cancelled (in C, now): forget it, and abort
  // its signal once the C call is over (the listeners are user code).
  #abortHostCall(id) {
    const call = this.#hostCalls.get(id);
    if (!call) return;
    this.#hostCalls.delete(id);
    queueMicrotask(() => call.controller.abort(new CancelledError()));
  }

  // Every call of the API checks it is not closed.
  #open(what) {
    if (this.#closed) throw new InvalidStateError(`${what}: the runtime is closed`);
  }

  /** The loop's clock in ms: 0 when the runtime started. */
  time() {
    this.#open('time');
    return this.#m._wa_time();
  }

  /** Counters: tasks alive (not yet freed), C tasks' fibers allocated and
   *  idle in the pool (slabs, idleSlabs), handles ready to run, timers
   *  pending, wasm memory bytes, host function calls pending. */
  stats() { // works once closed too: what is left
    const stat = (i) => this.#m._wa_js_stat(i);
    return {
      tasks: stat(0), pending: stat(6), slabs: stat(1), idleSlabs: stat(2), ready: stat(3), timers: stat(4),
      memory: stat(5), nextTimer: stat(7), hostCalls: this.#hostCalls.size,
    };
  }

  /** The parameters a coroutine declares: [{name, type, optional}]. */
  parameters(coroutine) {
    this.#open('parameters');
    return this.#signature(coroutine, 'parameters').map((p) => ({ ...p }));
  }

  /** Creates a task: a C coroutine by name, createTask(name, args,
   *  {name, signal}), or a JS async function, createTask(async (ctx) =>
   *  ..., {name, signal}). It starts on a later loop step. Aborting signal
   *  cancels the task, with the abort reason as the message; so does
   *  taskGroup's, gather's, timeout's and waitFor's. */
  createTask(coroutine, args = {}, options = {}) {
    this.#open('createTask');
    if (typeof coroutine === 'function') return this.#createJsTask(coroutine, args, 'createTask');
    return this.#spawnC(coroutine, args, options);
  }

  /** asyncio.TaskGroup: runs body(tg) as a task and waits for every task
   *  started with tg.createTask. The first failure cancels the others and
   *  the body; the task then rejects with an ExceptionGroup of all the
   *  errors. Resolves with what body returned. */
  taskGroup(body, options = {}) {
    this.#open('taskGroup');
    if (typeof body !== 'function') throw new TypeError(`taskGroup: body must be a function, not ${describe(body)}`);
    return this.#createJsTask((ctx) => this.#runGroup(ctx, body), options, 'taskGroup');
  }

  /** asyncio.gather: a Task whose result is the items' results in order.
   *  Items are Tasks or promises. Without returnExceptions the first error
   *  rejects it and the other items run on; with it, errors are results.
   *  Its cancel(msg) cancels the items. */
  gather(items, options = {}) {
    this.#open('gather');
    if (items === null || typeof items?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`gather: items must be an iterable of Tasks or promises, not ${describe(items)}`);
    }
    const { returnExceptions = false, signal } = readOptions(options, 'gather', ['returnExceptions', 'signal']);
    if (typeof returnExceptions !== 'boolean') {
      throw new TypeError(`gather: returnExceptions must be a boolean, not ${describe(returnExceptions)}`);
    }
    const tasks = [...items].map((x, i) => this.#awaitable(x, `gather: item ${i}`));
    const m = this.#m;
    const array = m._wa_js_ptrs_new(tasks.length);
    if (!array) throw new MemoryError(`gather: no memory for ${tasks.length} items`);
    tasks.forEach((t, i) => m._wa_js_ptrs_set(array, i, pointerOf(t, this.#port)));
    let g;
    try {
      g = this.#asTask(0, () => m._wa_gather(array, tasks.length, returnExceptions ? 1 : 0));
    } finally {
      m._free(array);
    }
    this.#wake();
    return linkSignal(new Task(this.#port, g, () => tasks.map((t, i) => {
      const error = m._wa_js_gather_error(g, i);
      return error ? this.#errorFromC(error) : t.result();
    })), signal);
  }

  /** asyncio.shield: a Task with task's outcome; cancelling it (or a task
   *  waiting on it) leaves task running. */
  shield(task) {
    this.#open('shield');
    const inner = this.#awaitable(task, 'shield');
    const ptr = this.#asTask(0, () => this.#m._wa_shield(pointerOf(inner, this.#port)));
    return new Task(this.#port, ptr, () => inner.result());
  }

  /** asyncio.timeout: runs fn(ctx, scope) as a task that is cancelled after
   *  ms (Infinity: never); the task then rejects with TimeoutError. scope
   *  has expired(), when() and reschedule(when) in loop time. */
  timeout(ms, fn, options = {}) {
    this.#open('timeout');
    checkDelay('timeout', ms);
    if (typeof fn !== 'function') throw new TypeError(`timeout: fn must be a function, not ${describe(fn)}`);
    return this.#createJsTask((ctx) => this.#withTimeout(ctx, ms, (scope) => fn(ctx, scope)), options, 'timeout');
  }

  /** asyncio.wait_for: a Task with x's result, or that rejects with
   *  TimeoutError after ms, once x (cancelled then) has ended. x is a Task
   *  or a promise; ms <= 0 cancels x now, so a task not yet started never
   *  runs. */
  waitFor(x, ms, options = {}) {
    this.#open('waitFor');
    const opts = readOptions(options, 'waitFor'); // checked before x is touched
    const inner = this.#awaitable(x, 'waitFor');
    checkDelay('waitFor', ms);
    if (ms <= 0) {
      // Cancelled now, as when a coroutine awaits wait_for(x, 0) itself:
      // a task not yet started never runs.
      const ended = inner.done() ? null : this.#cancelNow(inner);
      return this.#createJsTask(async (ctx) => {
        if (ended) await ended.wait(ctx);
        try {
          return inner.result();
        } catch (error) {
          throw error instanceof CancelledError ? new TimeoutError() : error;
        }
      }, opts, 'waitFor');
    }
    return this.#createJsTask((ctx) => this.#withTimeout(ctx, ms, () => ctx.wait(inner)), opts, 'waitFor');
  }

  /** asyncio.wait: a Task that ends when returnWhen holds for the items
   *  ('FIRST_COMPLETED', 'FIRST_EXCEPTION' or 'ALL_COMPLETED', the
   *  default) or after timeout ms, and whose result is {done, pending}: Sets
   *  of the items (a promise as the Task standing for it), read when its
   *  awaiter resumes. It cancels nothing: cancelling it, or the task
   *  awaiting it with ctx.wait, leaves the items running. */
  wait(items, options = {}) {
    this.#open('wait');
    const { returnWhen = 'ALL_COMPLETED', timeout = Infinity, signal } = readOptions(options, 'wait',
      ['returnWhen', 'timeout', 'signal']);
    const mode = RETURN_WHEN.indexOf(returnWhen);
    if (mode < 0) {
      if (typeof returnWhen !== 'string') throw new TypeError(`wait: returnWhen must be a string, not ${describe(returnWhen)}`);
      throw new RangeError(`wait: returnWhen must be ${RETURN_WHEN.map((w) => `'${w}'`).join(', ')}, not ${describe(returnWhen)}`);
    }
    checkTimeout('wait', timeout);
    const tasks = this.#items(items, 'wait');
    const ptr = this.#withTaskArray(tasks, 'wait', (array) => this.#m._wa_js_wait_new(array, tasks.length, mode, timeout));
    this.#wake();
    const m = this.#m;
    let sets;
    return linkSignal(new Task(this.#port, ptr, () => {
      if (!sets) { // as _wait resumes: let go of the items, then look
        m._wa_js_wait_end(ptr);
        sets = { done: new Set(), pending: new Set() };
        for (const t of tasks) (t.done() ? sets.done : sets.pending).add(t);
      }
      return sets;
    }), signal);
  }

  /** asyncio.as_completed (3.13, async iteration): an async iterator of
   *  the items (a promise as the Task standing for it) in the order they
   *  end. Each next() gives a Task of the step's {value, done}: `for
   *  await` takes it as a promise; a JS task awaits it with ctx.wait to be
   *  cancellable there as in asyncio (the item that ended meanwhile comes
   *  out of the next call). After timeout ms (counted from now) each next()
   *  fails with TimeoutError, once what ended before it was handed out.
   *  Nothing is cancelled. */
  asCompleted(items, options = {}) {
    this.#open('asCompleted');
    const { timeout = Infinity } = readOptions(options, 'asCompleted', ['timeout']);
    checkTimeout('asCompleted', timeout);
    const tasks = this.#items(items, 'asCompleted');
    const m = this.#m;
    const it = this.#withTaskArray(tasks, 'asCompleted', (array) => m._wa_as_completed_new(array, tasks.length, timeout));
    this.#wake();
    const byPtr = new Map(tasks.map((t) => [pointerOf(t, this.#port), t]));
    const held = { it }; // 0 once freed
    const close = () => {
      if (held.it) m._wa_as_completed_free(held.it);
      held.it = 0;
    };
    // The queue's head as a step: the Task it stands for, or TimeoutError.
    const pop = () => {
      if (!held.it) return { value: undefined, done: true };
      const p = m._wa_js_as_completed_pop(held.it);
      if (!p) throw new TimeoutError();
      return { value: byPtr.get(p), done: false };
    };
    let waiting = null; // the last next() that had to wait: {task, read}
    const next = () => {
      this.#open('asCompleted: next');
      if (waiting && !waiting.task.done()) {
        throw new InvalidStateError('asCompleted: next() called while the previous next() still waits; await each first');
      }
      if (waiting && !waiting.task.cancelled()) waiting.read(); // its item before the next one's
      waiting = null;
      if (!held.it || !m._wa_js_as_completed_claim(held.it)) { // __anext__: one of the n calls
        close();
        return this.#settledTask(true, { value: undefined, done: true });
      }
      if (m._wa_js_as_completed_queued(held.it)) { // Queue.get without waiting
        try {
          return this.#settledTask(true, pop());
        } catch (error) {
          return this.#settledTask(false, error);
        }
      }
      // Queue.get's wait: a future C ends when something is put; the item
      // is taken when the step is read, as the waiter resumes.
      const getter = this.#asTask(0, () => m._wa_js_as_completed_getter(held.it));
      let step = null;
      const read = () => {
        step ??= (() => {
          try {
            return { ok: pop() };
          } catch (error) {
            return { error };
          }
        })();
        if (step.error) throw step.error;
        return step.ok;
      };
      const readQuietly = () => {
        try {
          read();
        } catch {
          // a TimeoutError: kept for whoever reads the step
        }
      };
      waiting = { task: new Task(this.#port, getter, read), read: readQuietly };
      this.#wake();
      return waiting.task;
    };
    const iterator = {
      next,
      /** Ends the iteration (a `break` does); the items run on. */
      return: async () => {
        close();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    freeWhenCollected(iterator, callLater(close));
    return iterator;
  }

  // A Task already done: with value (ok) or failed with error (the same
  // object when read back).
  #settledTask(ok, value) {
    const m = this.#m;
    const ptr = this.#withCStrings(['as_completed'], (n) => m._wa_js_future_new(n));
    if (!ptr) throw new MemoryError('asCompleted: no memory for a future');
    const task = new Task(this.#port, ptr, () => value);
    this.#settle(ptr, ok ? 0 : this.#errorToC(value));
    return task;
  }

  // The items of wait and asCompleted as Tasks: an iterable of Tasks and
  // promises.
  #items(items, what) {
    if (items === null || typeof items?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`${what}: items must be an iterable of Tasks or promises, not ${describe(items)}`);
    }
    const first = new Map(); // the same Task or promise twice counts once, as in asyncio's set
    let i = 0;
    for (const x of items) {
      if (!first.has(x)) first.set(x, i);
      i++;
    }
    return [...first].map(([x, at]) => this.#awaitable(x, `${what}: item ${at}`));
  }

  // Calls fn(array) with the tasks' pointers in a C array, as the host (its
  // errors thrown); fn gives a pointer, which NULL means it raised.
  #withTaskArray(tasks, what, fn) {
    const m = this.#m;
    const array = m._wa_js_ptrs_new(tasks.length);
    if (!array) throw new MemoryError(`${what}: no memory for ${tasks.length} items`);
    tasks.forEach((t, i) => m._wa_js_ptrs_set(array, i, pointerOf(t, this.#port)));
    try {
      return this.#asTask(0, () => fn(array));
    } finally {
      m._free(array);
    }
  }

  // wait_for's _cancel_and_wait: cancels inner, and gives a wait(ctx)
  // that waits until inner has ended on a future of its own, so that a
  // cancel of the waiting task ends the wait (CancelledError) without
  // cancelling inner a second time.
  #cancelNow(inner) {
    let release; // not resolve itself: resolving with the Task would adopt its outcome
    const ended = new Promise((resolve) => {
      release = () => resolve();
    });
    inner.addDoneCallback(release);
    inner.cancel();
    return {
      wait: async (ctx) => {
        try {
          await ctx.wait(ended);
        } finally {
          inner.removeDoneCallback(release);
        }
      },
    };
  }

  /** Runs a coroutine (or a JS function) as a task and resolves with its
   *  result. With {close: true} it is asyncio.run: once the task has
   *  ended, the runtime shuts down (close()), and only then does run
   *  settle, with the task's result or error. */
  async run(coroutine, args, options) {
    this.#open('run');
    const isFunction = typeof coroutine === 'function';
    const given = (isFunction ? args : options) ?? {};
    if (given === null || typeof given !== 'object') {
      throw new TypeError(`run: options must be an object, not ${describe(given)}`);
    }
    refuseUnknown(given, 'run', ['name', 'signal', 'close']);
    const { name, signal, close = false } = given;
    if (typeof close !== 'boolean') throw new TypeError(`run: close must be a boolean, not ${describe(close)}`);
    const rest = {};
    if (name !== undefined) rest.name = name;
    if (signal !== undefined) rest.signal = signal;
    const task = isFunction ? this.createTask(coroutine, rest) : this.createTask(coroutine, args, rest);
    if (!close) return task;
    try {
      return await task;
    } finally {
      await this.close();
    }
  }

  /** Resolves with value after ms of loop time (virtual time when virtual). */
  sleep(ms, value) {
    this.#open('sleep');
    checkDelay('sleep', ms);
    // A deadline past the largest double never comes: hold nothing for it.
    if (!(this.time() + ms < Infinity)) return new Promise(() => {});
    return new Promise((resolve) => {
      const id = this.#registerHostCallback(() => resolve(value));
      if (this.#m._wa_js_call_later(ms, id) < 0) {
        this.#hostCallbacks.delete(id);
        throw new MemoryError('sleep: no memory for a timer');
      }
      this.#wake();
    });
  }

  // ---- JS tasks ----------------------------------------------------------

  #createJsTask(fn, options, what, adopt = null) {
    const { name, signal } = readOptions(options, what);
    const m = this.#m;
    const record = {
      id: this.#nextJsTask++, fn, ptr: 0, task: null, started: false,
      pending: null, // the runtime await it is suspended on: {task, resolve, reject}
      controller: new AbortController(),
      value: undefined,
    };
    record.ptr = this.#withCStrings([name], (n) => m._wa_js_task_new(n, record.id));
    if (!record.ptr) throw new MemoryError(`${what}: no memory for a new task`);
    record.task = new Task(this.#port, record.ptr, () => record.value);
    this.#jsTasks.set(record.id, record);
    adopt?.(record.ptr);
    this.#wake();
    return linkSignal(record.task, signal);
  }

  // The C side steps a JS task: the first time, call its function; later,
  // settle the runtime await it is suspended on (exc: with that error).
  #stepJsTask(id, exc) {
    const record = this.#jsTasks.get(id);
    if (!record) return;
    if (!record.started) {
      record.started = true;
      let promise;
      try {
        // Not record.fn(...): an Error thrown there would keep the record
        // (and its Task) as the frame's receiver, for as long as it lives.
        const { fn } = record;
        promise = Promise.resolve(fn(new TaskContext(this.#core, record)));
      } catch (error) {
        promise = Promise.reject(error);
      }
      promise.then((v) => this.#finishJsTask(record, true, v), (e) => this.#finishJsTask(record, false, e));
      return;
    }
    const pending = record.pending;
    record.pending = null;
    if (record.finished) this.#jsTasks.delete(id);
    if (!pending) return;
    if (pending.step) pending.step(exc); // a primitive's machine goes on, now
    else if (exc) pending.reject(this.#errorFromC(exc));
    else pending.resolve();
  }

  // Runs in a promise reaction: it must not throw (nobody would catch it,
  // and the task would never end). An await still pending (the function
  // returned without awaiting it) keeps the record until it settles.
  #finishJsTask(record, ok, value) {
    record.finished = true;
    if (!record.pending) this.#jsTasks.delete(record.id);
    if (ok) record.value = value;
    this.#settle(record.ptr, ok ? 0 : this.#errorToC(value), value);
  }

  // Ends the JS task or host future at ptr: with error (a C error
  // reference), or else with value, which C keeps when it is a number or a
  // string (the JS side keeps every value as it is; C gets a string made
  // well-formed, or a MemoryError when it has no room for it).
  #settle(ptr, error, value) {
    const m = this.#m;
    if (error) {
      m._wa_js_settle(ptr, error, 0, 0, 0, 0, 0);
    } else if (typeof value === 'number') {
      m._wa_js_settle(ptr, 0, 1, value, 0, 0, 0);
    } else if (typeof value === 'string') {
      try {
        this.#withCStrings([wellFormed(value)], (s) => m._wa_js_settle(ptr, 0, 2, 0, s, 0, 0));
      } catch (e) {
        m._wa_js_settle(ptr, this.#errorToC(e), 0, 0, 0, 0, 0);
      }
    } else {
      m._wa_js_settle(ptr, 0, 0, 0, 0, 0, 0);
    }
    this.#wake();
  }

  // A cancel was requested: abort the signal once the loop step is over
  // (its listeners are user code and must not run inside the C call).
  #abortJsTask(id) {
    const record = this.#jsTasks.get(id);
    if (!record || record.abortQueued) return;
    record.abortQueued = true;
    queueMicrotask(() => record.controller.abort(new CancelledError()));
  }

  // Suspends record's function on task: resolves with its result, rejects
  // with its error, or with CancelledError when record is cancelled.
  #awaitTask(record, task) {
    const m = this.#m;
    const r = m._wa_js_task_await(record.ptr, pointerOf(task, this.#port));
    if (r === -2) return Promise.reject(new MemoryError('no memory to await a task'));
    if (r < 0) return Promise.reject(this.#busy(record));
    if (r === 0) { // already done: no suspension, as in asyncio
      try {
        return Promise.resolve(task.result());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.#wake();
    if (record.finished) this.#jsTasks.set(record.id, record); // an await after the end
    return new Promise((resolve, reject) => {
      record.pending = {
        task, // kept alive while awaited
        resolve: () => {
          try {
            resolve(task.result());
          } catch (error) {
            reject(error);
          }
        },
        reject,
      };
    });
  }

  // Runs a primitive's blocking call (the C machine make() gives) for the
  // JS task of record: as far as it goes now, then, each time it awaits a
  // future, on from the task's step when that future ends, as CPython's
  // coroutine goes on. Resolves with read(op) once the machine ends.
  #awaitOp(record, make, read) {
    if (record.pending) return Promise.reject(this.#busy(record));
    const m = this.#m;
    let op;
    try {
      op = this.#asTask(record.ptr, make);
    } catch (error) {
      return Promise.reject(error);
    }
    // The closures reach the task only through `held`, emptied once the
    // machine ended: an error made while run runs (a CancelledError) keeps
    // the functions on the stack in its stack trace, with the variables
    // they close over; the runtime keeps that error while the task lives,
    // and the task would then stay reachable from it, and never be freed.
    let held = { record, op };
    return new Promise((resolve, reject) => {
      const end = () => {
        m._wa_js_op_free(held.op);
        held = null;
      };
      const run = (exc, start) => {
        const task = held.record; // captured by no closure
        const machine = held.op;
        let r;
        try {
          r = this.#asTask(task.ptr, () => m._wa_js_op_run(held.op, held.record.ptr, exc, start));
        } catch (error) {
          end();
          reject(error);
          return;
        }
        if (r === 1) {
          this.#wake();
          if (task.finished) this.#jsTasks.set(task.id, task); // an await after the end
          task.pending = { step: (e) => run(e, 0) };
          return;
        }
        try {
          resolve(read(machine));
        } catch (error) {
          reject(error);
        } finally {
          end();
          this.#wake(); // what it took or woke may let others run
        }
      };
      run(0, 1);
    });
  }

  #yieldOnce(record) {
    const r = this.#m._wa_js_task_yield(record.ptr);
    if (r === -2) return Promise.reject(new MemoryError('no memory to yield'));
    if (r < 0) return Promise.reject(this.#busy(record));
    this.#wake();
    if (record.finished) this.#jsTasks.set(record.id, record);
    return new Promise((resolve, reject) => {
      record.pending = { resolve, reject };
    });
  }

  #busy(record) {
    return new InvalidStateError(
      `${record.task.name} already awaits something: a task awaits one thing at a time (use gather)`);
  }

  // Something a task can await: a Task of this runtime as it is, a promise
  // as a Task that ends when it settles.
  #awaitable(x, what) {
    if (x instanceof Operation) {
      throw new TypeError(`${what}: ${describe(x)} is not a task; run it in one: rt.createTask((ctx) => ctx.wait(op))`);
    }
    if (x instanceof Task) {
      if (!pointerOf(x, this.#port)) throw new TypeError(`${what}: the Task belongs to another runtime`);
      return x;
    }
    let then; // read once, as a promise adopting x would
    try {
      then = x?.then;
    } catch (error) {
      throw new TypeError(`${what}: reading the value's then threw: ${error?.message}`, { cause: error });
    }
    if (typeof then !== 'function') {
      throw new TypeError(`${what}: expected a Task or a promise, not ${describe(x)}`);
    }
    const m = this.#m;
    const ptr = this.#withCStrings(['promise'], (n) => m._wa_js_future_new(n));
    if (!ptr) throw new MemoryError(`${what}: no memory for a future`);
    let value;
    const adopted = new Promise((resolve, reject) => {
      queueMicrotask(() => { // when Promise.resolve(x) would call it
        try {
          Reflect.apply(then, x, [resolve, reject]);
        } catch (error) {
          reject(error);
        }
      });
    });
    adopted.then((v) => {
      value = v;
      this.#settle(ptr, 0, v);
    }, (e) => this.#settle(ptr, this.#errorToC(e)));
    return new Task(this.#port, ptr, () => value);
  }

  // Calls fn with the JS task at ptr as the runtime's current task, so
  // that groups and timeouts bind to it; throws what the calls raised.
  #asTask(ptr, fn) {
    const m = this.#m;
    const saved = m._wa_js_task_enter(ptr);
    let result;
    let error;
    try {
      result = fn();
    } finally {
      error = m._wa_js_task_leave(saved);
    }
    if (error) throw this.#takeError(error);
    return result;
  }

  // TaskGroup's __aenter__, body and __aexit__, on the group's own task.
  async #runGroup(ctx, body) {
    const m = this.#m;
    const self = pointerOf(ctx.task, this.#port);
    const g = m._wa_group_new();
    if (!g) throw new MemoryError('taskGroup: no memory for a task group');
    const controller = new AbortController();
    const tg = new TaskGroup(this.#core, g, ctx, controller);
    const abort = () => controller.signal.aborted || controller.abort(new CancelledError());
    ctx.signal.addEventListener('abort', abort);
    try {
      this.#asTask(self, () => m._wa_group_enter(g));
      let value;
      let bodyError = 0;
      try {
        value = await body(tg);
      } catch (error) {
        bodyError = this.#errorToC(error);
        abort();
      }
      this.#asTask(self, () => m._wa_js_group_exit_begin(g, bodyError));
      // On the group's task, so that a new exit future is its child.
      for (let f; (f = this.#asTask(self, () => m._wa_js_group_exit_next(g)));) {
        m._wa_task_retain(f);
        let error = 0;
        try {
          await ctx.wait(new Task(this.#port, f));
        } catch (e) {
          error = this.#errorToC(e);
        }
        m._wa_js_group_exit_awaited(g, error);
      }
      const raised = m._wa_js_group_exit_end(g);
      if (raised) throw this.#takeError(raised);
      return value;
    } finally {
      ctx.signal.removeEventListener('abort', abort);
      // This task owns the C group until its exit has ended; then tg does,
      // since tg outlives the exit (its createTask says "finished"). Held
      // by tg earlier, the group would be freed under its waiting exit once
      // the body is done with tg.
      freeWhenCollected(tg, callLater(m._wa_group_free, g));
    }
  }

  #spawnInto(g, ctx, coroutine, args, options) {
    const m = this.#m;
    const owner = pointerOf(ctx.task, this.#port);
    if (typeof coroutine === 'function') {
      this.#asTask(owner, () => m._wa_js_group_check(g));
      return this.#createJsTask(coroutine, args ?? {}, 'createTask', (ptr) => m._wa_js_group_adopt(g, ptr));
    }
    return this.#spawnC(coroutine, args ?? {}, options ?? {}, g, owner);
  }

  // Starts a C coroutine as a task; into group g when given, on behalf of
  // the task at owner (a refusal is raised in its indicator, thrown here).
  #spawnC(coroutine, args, options, g = 0, owner = 0) {
    const params = this.#signature(coroutine, 'createTask');
    const { name, signal } = readOptions(options, 'createTask');
    const argsPtr = this.#marshalArgs(coroutine, params, args);
    let taken = false; // wa_js_spawn takes argsPtr, whatever it returns
    const spawn = () => this.#withCStrings([coroutine, name], (c, n) => {
      taken = true;
      return this.#m._wa_js_spawn(c, argsPtr, n, g);
    });
    let ptr;
    try {
      ptr = this.#asTask(owner, spawn); // owner 0: the host's indicator
    } finally {
      if (!taken) this.#m._wa_args_free(argsPtr);
    }
    if (!ptr) throw new Error(`createTask: the module could not start ${coroutine}`);
    this.#wake();
    return linkSignal(new Task(this.#port, ptr), signal);
  }

  // asyncio.timeout around body, in the JS task of ctx.
  async #withTimeout(ctx, ms, body) {
    const m = this.#m;
    const self = pointerOf(ctx.task, this.#port);
    const to = m._wa_timeout_new(ms);
    if (!to) throw new MemoryError('timeout: no memory for a timeout');
    const scope = {
      expired: () => !!m._wa_timeout_expired(to),
      when: () => m._wa_timeout_when(to),
      reschedule: (when) => {
        checkDelay('reschedule', when);
        this.#asTask(self, () => m._wa_timeout_reschedule(to, when));
        this.#wake();
      },
    };
    freeWhenCollected(scope, callLater(m._wa_timeout_free, to)); // readable after exit
    this.#asTask(self, () => m._wa_timeout_enter(to));
    this.#wake();
    let value;
    let failed = false;
    let error;
    try {
      value = await body(scope);
    } catch (e) {
      failed = true;
      error = e;
    }
    this.#asTask(self, () => m._wa_timeout_exit(to, failed ? m._wa_js_err_raise(this.#errorToC(error)) : 0));
    return value;
  }

  // ---- errors across the boundary ----------------------------------------

  // The JS error for a C error: the one it was made from, or a new one
  // (kept, so the same C error always gives the same JS error).
  #errorFromC(e) {
    if (!e) return null;
    const m = this.#m;
    const id = m._wa_js_err_host(e);
    const kept = id ? this.#errors.get(id) : undefined;
    if (kept && 'value' in kept) return kept.value;
    const alive = kept?.weak.deref();
    if (alive) return alive;
    const type = m.UTF8ToString(m._wa_js_err_type(e));
    const message = m.UTF8ToString(m._wa_js_err_message(e));
    const n = m._wa_js_err_count(e);
    const error = n > 0
      ? new ExceptionGroup(message, Array.from({ length: n }, (_, i) => this.#errorFromC(m._wa_js_err_child(e, i))))
      : errorOfType(type, message);
    if (id) this.#errors.set(id, { weak: new WeakRef(error) });
    else m._wa_js_err_set_host(e, this.#keepError(error, true));
    return error;
  }

  // The JS error for a C error reference the caller owns, given up here.
  #takeError(e) {
    const error = this.#errorFromC(e);
    this.#m._wa_js_err_unref(e);
    return error;
  }

  // A new C error (a reference to give up) standing for a thrown JS value,
  // which may be anything: a Proxy whose traps throw, an object String()
  // cannot convert, a group holding itself. It never throws: with no wasm
  // memory left it gives the runtime's preallocated MemoryError.
  #errorToC(error, seen = new Set()) {
    const m = this.#m;
    const id = this.#keepError(error);
    try {
      const { type, message, children } = errorParts(error, seen);
      if (!children) {
        const e = this.#withCStrings([type, message], (t, msg) => m._wa_js_err_new(t, msg, id));
        if (m._wa_js_err_host(e) !== id) this.#errors.delete(id); // the preallocated MemoryError
        return e;
      }
      seen.add(error);
      const parts = children.map((e) => this.#errorToC(e, seen));
      const array = m._wa_js_ptrs_new(parts.length);
      if (!array) {
        parts.forEach((c) => m._wa_js_err_unref(c));
        throw new MemoryError('no memory for an ExceptionGroup');
      }
      parts.forEach((c, i) => m._wa_js_ptrs_set(array, i, c));
      let group = 0; // it takes the children's references
      try {
        group = this.#withCStrings([message], (msg) => m._wa_js_err_group(msg, array, parts.length, id));
        if (m._wa_js_err_host(group) !== id) this.#errors.delete(id);
        return group;
      } finally {
        if (!group) parts.forEach((c) => m._wa_js_err_unref(c));
        m._free(array);
      }
    } catch (e) {
      if (!(e instanceof MemoryError)) throw e;
      this.#errors.delete(id);
      return m._wa_js_err_nomem();
    }
  }

  #keepError(error, weak = false) {
    const id = this.#nextError++;
    this.#errors.set(id, weak ? { weak: new WeakRef(error) } : { value: error });
    return id;
  }

  // ---- internals ---------------------------------------------------------

  #signature(coroutine, what) {
    if (typeof coroutine !== 'string') {
      throw new TypeError(`${what}: coroutine must be a name (string), not ${describe(coroutine)}`);
    }
    const signature = this.#signatures.get(coroutine);
    if (!signature) {
      throw new TypeError(`${what}: unknown coroutine '${coroutine}'; this module has: ${this.coroutines.join(', ')}`);
    }
    if (signature.error) throw new TypeError(`${what}: ${signature.error}`);
    return signature.params;
  }

  // The C args of a call. Each value is read once (a getter or Proxy trap
  // runs once, so what was checked is what C gets), and everything is
  // checked before any wasm memory is taken, so a throw leaks nothing.
  #marshalArgs(coroutine, params, args) {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      throw new TypeError(`${coroutine}(): arguments must be a plain object, not ${describe(args)}`);
    }
    for (const key of Object.keys(args)) {
      if (!params.some((p) => p.name === key)) {
        throw new TypeError(`${coroutine}() got an unexpected argument '${checkText(key, `${coroutine}(): an argument name`)}'`);
      }
    }
    const given = [];
    for (const p of params) {
      const value = args[p.name];
      if (value === undefined) {
        if (!p.optional) throw new TypeError(`${coroutine}() missing required argument '${p.name}' (${p.type})`);
        continue;
      }
      const what = `${coroutine}(): argument '${p.name}'`;
      if (p.type === 'task') {
        const task = value instanceof Task ? pointerOf(value, this.#port) : 0;
        if (!task) throw new TypeError(`${what} must be a Task of this runtime, not ${describe(value)}`);
        given.push({ p, value: task }); // the C args hold a reference
        continue;
      }
      if (PARAM_CLASSES[p.type]) {
        const primitive = value instanceof PARAM_CLASSES[p.type] ? primitiveOf(value, this.#port) : 0;
        if (!primitive) throw new TypeError(`${what} must be a ${PARAM_CLASSES[p.type].name} of this runtime, not ${describe(value)}`);
        given.push({ p, value: primitive });
        continue;
      }
      if (p.type !== 'json' && typeof value !== p.type) {
        throw new TypeError(`${what} must be a ${p.type}, not ${describe(value)}`);
      }
      given.push({ p, value: p.type === 'number' ? value : checkText(jsonText(p, value, what), what) });
    }
    const m = this.#m;
    const ptr = m._wa_args_new();
    if (!ptr) throw new MemoryError(`${coroutine}(): no memory for the arguments`);
    try {
      for (const { p, value } of given) {
        const rc = p.type === 'number' ? this.#withCStrings([p.name], (k) => m._wa_args_set_number(ptr, k, value))
          : p.type === 'task' ? this.#withCStrings([p.name], (k) => m._wa_args_set_task(ptr, k, value))
            : PARAM_CLASSES[p.type] ? this.#withCStrings([p.name], (k) => m[`_wa_args_set_${p.type}`](ptr, k, value))
            : this.#withCStrings([p.name, value], (k, v) => m._wa_args_set_string(ptr, k, v));
        if (rc < 0) throw new MemoryError(`${coroutine}(): no memory for argument '${p.name}'`);
      }
    } catch (error) {
      m._wa_args_free(ptr);
      throw error;
    }
    return ptr;
  }

  // Calls fn with the strings copied into wasm memory (null for undefined
  // or null), then frees them. MemoryError when there is no room.
  #withCStrings(strings, fn) {
    const m = this.#m;
    const ptrs = [];
    try {
      for (const s of strings) {
        if (s === undefined || s === null) {
          ptrs.push(0);
          continue;
        }
        // Emscripten's copy is a loop in JS, a char at a time: fine for
        // names, ~10x slower than the engine's encoder for a long text.
        const bytes = s.length > 256 ? UTF8.encode(s) : null;
        const size = (bytes ? bytes.length : m.lengthBytesUTF8(s)) + 1;
        const p = m._malloc(size);
        if (!p) throw new MemoryError(`no memory for a string of ${size} bytes`);
        ptrs.push(p);
        if (bytes) m.waPutBytes(bytes, p);
        else m.stringToUTF8(s, p, size);
      }
      return fn(...ptrs);
    } finally {
      ptrs.forEach((p) => p && m._free(p));
    }
  }

  #registerHostCallback(fn) {
    const id = this.#nextHostId++;
    this.#hostCallbacks.set(id, fn);
    return id;
  }

  #runHostCallback(id, taskPtr) {
    const fn = this.#hostCallbacks.get(id);
    this.#hostCallbacks.delete(id);
    if (fn) this.#guard('a done callback failed', () => fn(taskPtr));
  }

  // A user function that throws must not unwind through the wasm module.
  #guard(what, fn) {
    try {
      fn();
    } catch (error) {
      try {
        this.#opts.onError(what, error);
      } catch {
        // Nowhere left to report to.
      }
    }
  }

  #wake() {
    if (!this.#pumping && !this.#armedNow && !this.#closed) this.#arm(0);
  }

  // Arms the one host timer: delay 0 = now, > 0 = ms, < 0 = nothing to do.
  #arm(delay) {
    this.#disarm?.();
    this.#disarm = null;
    this.#armedNow = delay === 0;
    if (delay < 0) return;
    const fire = () => this.#pump();
    if (delay === 0) {
      this.#disarm = this.#zeroDelay(fire);
    } else if (delay < NESTED_TIMER_CLAMP_MS && HOST_CLAMPS_NESTED_TIMERS) {
      const due = performance.now() + delay;
      let h = null;
      const cancelHop = this.#zeroDelay(() => {
        h = setTimeout(fire, Math.ceil(due - performance.now()));
      });
      this.#disarm = () => {
        cancelHop();
        clearTimeout(h);
      };
    } else {
      const h = setTimeout(fire, Math.min(Math.ceil(delay), MAX_HOST_DELAY));
      this.#disarm = () => clearTimeout(h);
    }
  }

  #pump() {
    this.#disarm = null;
    this.#armedNow = false;
    this.#pumping = true;
    let delay;
    try {
      delay = this.#m.waPump(this.#recorders.size ? PUMP_BUDGET_MS / 2 : PUMP_BUDGET_MS);
    } finally {
      this.#pumping = false;
    }
    if (this.#recorders.size) this.#takeTrace();
    this.#arm(delay);
  }

  // ---- introspection -----------------------------------------------------

  /** Records what the scheduler does, as events (see TraceRecorder), until
   *  the recorder is stopped. Costs nothing while no recorder runs. */
  trace(options = {}) {
    this.#open('trace');
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`trace: options must be an object, not ${describe(options)}`);
    }
    refuseUnknown(options, 'trace', ['limit', 'onEvent']);
    const { limit = 10_000, onEvent } = options;
    if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 1))) {
      throw new RangeError(`trace: limit must be a whole number of events >= 1, or Infinity, not ${describe(limit)}`);
    }
    if (onEvent !== undefined && typeof onEvent !== 'function') {
      throw new TypeError(`trace: onEvent must be a function, not ${describe(onEvent)}`);
    }
    const recorder = new TraceRecorder(limit, onEvent, {
      take: () => this.#recorders.has(recorder) && this.#takeTrace(),
      stop: () => {
        if (!this.#recorders.has(recorder)) return;
        this.#takeTrace();
        this.#recorders.delete(recorder);
        if (!this.#recorders.size) this.#m._wa_trace_enable(0);
      },
    });
    if (!this.#recorders.size) this.#m._wa_trace_enable(1);
    this.#recorders.add(recorder);
    return recorder;
  }

  #takeTrace() {
    const { events, dropped } = this.#m.waTraceTake(traceEvent);
    if (!events.length && !dropped) return;
    for (const recorder of this.#recorders) {
      recorder.receive(events, dropped, (what, fn) => this.#guard(what, fn));
    }
  }

  /** Every pending task (C and JS) now: id, name, coroutine, state,
   *  parent (the task that made it), children, container (its group's or
   *  gather's future), what it waits on, cancelling(), when it was made.
   *  Works once closed too: what the shutdown left pending. */
  tasks() {
    const list = JSON.parse(this.#takeCString(this.#m._wa_js_tasks_json(), 'tasks'));
    const state = (t) => (!t.started ? 'not started' : t.waiting ? 'waiting' : 'ready');
    const byId = new Map(list.map((t) => [t.id, Object.assign(t, { state: state(t), children: [] })]));
    for (const t of list) byId.get(t.parent)?.children.push(t.id);
    return list;
  }

  /** Who awaits `task`, and who awaits them, up to tasks nobody awaits:
   *  {task, awaitedBy: [...]} like asyncio.capture_call_graph. A task in a
   *  group or gather is awaited by those awaiting its group or gather. */
  callGraph(task) {
    if (!pointerOf(task, this.#port)) {
      throw new TypeError(`callGraph: not a task of this runtime: ${describe(task)}`);
    }
    const { id } = task;
    const list = this.tasks();
    const awaiters = (target, seen) => list
      .filter((t) => !seen.has(t.id) && t.awaiting !== 0 && (t.awaiting === target.id || t.awaiting === target.container))
      .map((t) => node(t, new Set([...seen, t.id])));
    const node = (t, seen) => ({ task: t, awaitedBy: awaiters(t, seen) });
    const self = list.find((t) => t.id === id) ?? { id, name: task.name, container: 0 };
    return node(self, new Set([id]));
  }

  /** Cancels the pending task (C or JS) with that id, as task.cancel(msg)
   *  would: for tasks JS holds no Task of, e.g. a C coroutine's children.
   *  False when no pending task has that id, or the cancel was refused. */
  cancelTask(id, message) {
    this.#open('cancelTask');
    if (!Number.isInteger(id)) {
      throw new TypeError(`cancelTask: id must be a whole number (a task id), not ${describe(id)}`);
    }
    if (message !== undefined && message !== null && typeof message !== 'string') {
      throw new TypeError(`cancelTask: message must be a string, not ${describe(message)}`);
    }
    if (typeof message === 'string') checkText(message, 'cancelTask: message');
    if (id < 1 || id > 0xffffffff) return false; // no task has it
    const cancel = (p) => this.#m._wa_js_cancel_by_id(id, p);
    let r;
    try {
      r = this.#withCStrings([message], cancel);
    } catch (error) { // no memory for the message: cancel without it, as C does
      if (error?.name !== 'MemoryError') throw error;
      r = cancel(0);
    }
    this.#wake();
    return r === 1;
  }

  /** The pending tasks as a tree by creator, with what each waits on, like
   *  `python -m asyncio pstree` (C: wa_print_task_tree()). */
  formatTaskTree() { // works once closed too
    return this.#takeCString(this.#m._wa_js_task_tree(), 'formatTaskTree');
  }

  // A string C made for us (NULL: it had no memory), freed after reading.
  #takeCString(ptr, what) {
    if (!ptr) throw new MemoryError(`${what}: no memory for the answer`);
    try {
      return this.#m.UTF8ToString(ptr);
    } finally {
      this.#m._free(ptr);
    }
  }
}

const TASK_STATES = ['pending', 'done', 'failed', 'cancelled'];

// A trace event as C recorded it (post.js reads it) -> what JS gets; kind
// is wa_trace_kind's number.
function traceEvent(kind, time, value, task, other, what, text, coroutine) {
  switch (kind) {
    case 0:
      return { time, type: 'created', task, name: text ?? '', taskType: what, parent: other || null, coroutine };
    case 1:
      return { time, type: 'member', task, container: other, containerType: what };
    case 2:
      return { time, type: 'step', task, thrownIn: value === 1 };
    case 3:
      return { time, type: 'suspended', task, waitingOn: what, awaiting: other || null,
        until: Number.isNaN(value) ? null : value };
    case 4:
      return { time, type: 'cancel', task, message: text };
    default: { // 5: ended; what: the kind of a C coroutine's result
      const e = { time, type: 'ended', task, state: TASK_STATES[value], error: value === 2 ? text : null,
        message: value === 3 ? text : null };
      if (what) e.result = traceResult(what, text);
      return e;
    }
  }
}

// A C coroutine's result as its ENDED event carries it (other tasks' events
// have none: a JS task's result stays in JS, with its Task). JSON has no
// infinities or NaN: a saved trace (toJSON) has null for those.
function traceResult(kind, text) {
  if (kind === 'string' || kind === 'bytes') return text ?? '';
  if (kind === 'json') {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (kind === 'none') return null;
  return { inf: Infinity, '-inf': -Infinity, nan: NaN, '-nan': NaN }[text] ?? Number(text);
}

/** What rt.trace() gives: the last `limit` events, and each new one to
 *  onEvent as it is taken (after each pump of the loop). */
export class TraceRecorder {
  #events = [];
  #limit;
  #onEvent;
  #hooks;
  /** Events lost: the runtime had no memory for them. */
  dropped = 0;

  constructor(limit, onEvent, hooks) {
    this.#limit = limit;
    this.#onEvent = onEvent;
    this.#hooks = hooks;
  }

  receive(events, dropped, guard) {
    this.dropped += dropped;
    const keep = Math.min(events.length, this.#limit);
    for (let i = events.length - keep; i < events.length; i++) this.#events.push(events[i]);
    if (this.#events.length > this.#limit) this.#events.splice(0, this.#events.length - this.#limit);
    if (this.#onEvent) for (const e of events) guard('trace onEvent failed', () => this.#onEvent(e));
  }

  /** The events kept, oldest first, up to now. */
  events() {
    this.#hooks.take();
    return [...this.#events];
  }

  /** Stops recording (the events kept stay). */
  stop() {
    this.#hooks.stop();
  }

  /** {version, events}: what the page's replay reads. */
  toJSON() {
    return { version: 1, events: this.events(), dropped: this.dropped };
  }
}

