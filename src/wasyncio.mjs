// wasyncio.mjs: the JavaScript API of the runtime, for Node 20 and browsers.
//
// The C scheduler runs inside the wasm module; this layer drives it from the
// host's event loop. Whenever the runtime may have work, one host timer is
// armed: setImmediate (Node) or a MessageChannel message (browser) for "now",
// setTimeout for the next deadline. Each firing pumps the loop, which says
// when it next needs to run. With nothing left to do no timer is armed, so
// Node exits when the work is done.

export class CancelledError extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'CancelledError';
  }
}

export class InvalidStateError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvalidStateError';
  }
}

// Longest delay a host timer takes: longer ones fire at once in browsers and
// after 1 ms in Node. Longer sleeps are chained through several timers.
const MAX_HOST_DELAY = 2 ** 31 - 1;
// Real time one pump may take before the page gets the event loop back.
const PUMP_BUDGET_MS = 8;
const STATES = ['pending', 'done', 'failed', 'cancelled'];
const RESULT_NUMBER = 1;
const RESULT_STRING = 2;
const IS_NODE = typeof process === 'object' && !!process.versions?.node;

const defaultModule = {
  factory: () => import('../build/wasyncio.mjs'),
  wasm: new URL('../build/wasyncio.wasm', import.meta.url),
};

/** Creates a runtime: one wasm module instance with its own scheduler. */
export async function createRuntime(options = {}) {
  const opts = checkOptions(options);
  const { factory, wasm } = opts.module;
  let createModule;
  try {
    createModule = (await factory()).default;
  } catch (error) {
    if (opts.module !== defaultModule) throw error;
    throw new Error('wasyncio: cannot load build/wasyncio.mjs; build it with `npm run build`', { cause: error });
  }
  const host = {
    stackOverflow: new Error('wasyncio: a task overflowed its C stack'),
    print: () => {},
    callback: () => {},
    report: () => {},
    errorFreed: () => {},
  };
  const m = await createModule({ wasmBinary: await loadBytes(wasm), waHost: host });
  return new Runtime(m, host, opts);
}

function checkOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('createRuntime: options must be an object');
  }
  const {
    clock = 'real',
    print = (line) => console.log(line),
    onError = (message, error) => console.error(`wasyncio: ${message}`, error ?? ''),
    stackSize = 16384,
    asyncifySize = 4096,
    module = defaultModule,
  } = options;
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
  return { clock, print, onError, stackSize, asyncifySize, module };
}

async function loadBytes(source) {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return source;
  const url = new URL(source, import.meta.url);
  if (IS_NODE && url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`wasyncio: cannot load ${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}

// "param:number, label?:string" -> [{name, type, optional}]. A declaration
// JavaScript cannot follow comes back as {error} instead.
function parseParams(coroutine, spec) {
  const params = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^([A-Za-z_]\w*)(\?)?\s*:\s*(number|string)$/.exec(part);
    if (!match) {
      return { error: `${coroutine} declares a parameter JavaScript cannot pass: '${part}' (want name:number or name:string, name? when optional)` };
    }
    params.push({ name: match[1], type: match[3], optional: !!match[2] });
  }
  return { params };
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
  #nextHostId = 1;
  #disarm = null;     // cancels the armed host timer
  #armedNow = false;  // the armed timer is a zero-delay one
  #pumping = false;
  #zeroDelay = makeZeroDelay();
  #port; // what a Task may use of its runtime

  constructor(m, host, opts) {
    this.#m = m;
    this.#opts = opts;
    host.print = (line) => this.#guard('print failed', () => opts.print(line));
    host.callback = (id, taskPtr) => this.#runHostCallback(id, taskPtr);
    host.report = (message) => this.#guard('onError failed', () => opts.onError(message));
    m.waOverflowSlot = m._wa_fiber_overflow_slot();
    m._wa_js_init(opts.clock === 'virtual' ? 1 : 0, opts.stackSize, opts.asyncifySize);
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
        m._wa_js_add_callback(ptr, id);
        this.#wake();
        return id;
      },
      drop: (id) => this.#hostCallbacks.delete(id),
      wake: () => this.#wake(),
      withCString: (s, fn) => this.#withCStrings([s], fn),
    };
  }

  /** The loop's clock in ms: 0 when the runtime started. */
  time() {
    return this.#m._wa_time();
  }

  /** Counters: tasks alive (not yet freed), stack slabs allocated and idle
   *  in the pool, handles ready to run, timers pending, wasm memory bytes. */
  stats() {
    const stat = (i) => this.#m._wa_js_stat(i);
    return {
      tasks: stat(0), slabs: stat(1), idleSlabs: stat(2), ready: stat(3), timers: stat(4), memory: stat(5),
    };
  }

  /** The parameters a coroutine declares: [{name, type, optional}]. */
  parameters(coroutine) {
    return this.#signature(coroutine, 'parameters').map((p) => ({ ...p }));
  }

  /** Creates a task running a C coroutine; it starts on a later loop step. */
  createTask(coroutine, args = {}, options = {}) {
    const params = this.#signature(coroutine, 'createTask');
    if (options === null || typeof options !== 'object') {
      throw new TypeError('createTask: options must be an object');
    }
    const { name } = options;
    if (name !== undefined && typeof name !== 'string') {
      throw new TypeError(`createTask: name must be a string, not ${describe(name)}`);
    }
    const argsPtr = this.#marshalArgs(coroutine, params, args);
    const ptr = this.#withCStrings([coroutine, name], (c, n) => this.#m._wa_js_spawn(c, argsPtr, n));
    if (!ptr) throw new Error(`createTask: the module could not start ${coroutine}`);
    this.#wake();
    return new Task(this.#port, ptr);
  }

  /** Runs a coroutine as a task and resolves with its result. */
  async run(coroutine, args, options) {
    return this.createTask(coroutine, args, options);
  }

  /** Resolves with value after ms of loop time (virtual time when virtual). */
  sleep(ms, value) {
    if (typeof ms !== 'number') throw new TypeError(`sleep: delay must be a number, not ${describe(ms)}`);
    if (Number.isNaN(ms)) throw new RangeError('sleep: delay is NaN');
    return new Promise((resolve) => {
      this.#m._wa_js_call_later(ms, this.#registerHostCallback(() => resolve(value)));
      this.#wake();
    });
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

  #marshalArgs(coroutine, params, args) {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      throw new TypeError(`${coroutine}(): arguments must be a plain object, not ${describe(args)}`);
    }
    for (const key of Object.keys(args)) {
      if (!params.some((p) => p.name === key)) {
        throw new TypeError(`${coroutine}() got an unexpected argument '${key}'`);
      }
    }
    for (const p of params) {
      const value = args[p.name];
      if (value === undefined) {
        if (!p.optional) throw new TypeError(`${coroutine}() missing required argument '${p.name}' (${p.type})`);
      } else if (typeof value !== p.type) {
        throw new TypeError(`${coroutine}(): argument '${p.name}' must be a ${p.type}, not ${describe(value)}`);
      }
    }
    const m = this.#m;
    const ptr = m._wa_args_new();
    for (const p of params) {
      const value = args[p.name];
      if (value === undefined) continue;
      if (p.type === 'number') {
        this.#withCStrings([p.name], (k) => m._wa_args_set_number(ptr, k, value));
      } else {
        this.#withCStrings([p.name, value], (k, v) => m._wa_args_set_string(ptr, k, v));
      }
    }
    return ptr;
  }

  // Calls fn with the strings copied into wasm memory (null for undefined
  // or null), then frees them.
  #withCStrings(strings, fn) {
    const m = this.#m;
    const ptrs = strings.map((s) => {
      if (s === undefined || s === null) return 0;
      const size = m.lengthBytesUTF8(s) + 1;
      const p = m._malloc(size);
      m.stringToUTF8(s, p, size);
      return p;
    });
    try {
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
    if (!this.#pumping && !this.#armedNow) this.#arm(0);
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
      delay = this.#m.waPump(PUMP_BUDGET_MS);
    } finally {
      this.#pumping = false;
    }
    this.#arm(delay);
  }
}

const releaser = new FinalizationRegistry(({ m, ptr }) => m._wa_task_release(ptr));

/** A C coroutine running on the runtime; awaiting it gives its result. */
class Task {
  #port; // its runtime's module and the few internals a task needs
  #ptr;
  #callbacks = [];   // [{id, fn}] registered and not yet run
  #promise = null;
  #error;            // the Error made from the C error, made once

  constructor(port, ptr) {
    this.#port = port;
    this.#ptr = ptr;
    const m = port.m;
    this.id = m._wa_task_id(ptr);
    this.name = m.UTF8ToString(m._wa_task_name(ptr));
    releaser.register(this, { m, ptr });
  }

  #state() {
    return STATES[this.#port.m._wa_js_state(this.#ptr)];
  }

  done() {
    return this.#state() !== 'pending';
  }

  cancelled() {
    return this.#state() === 'cancelled';
  }

  /** Requests cancellation; false when the task is already done. */
  cancel(msg) {
    if (msg !== undefined && msg !== null && typeof msg !== 'string') {
      throw new TypeError(`cancel: message must be a string, not ${describe(msg)}`);
    }
    const ok = this.#port.withCString(msg, (p) => this.#port.m._wa_task_cancel(this.#ptr, p));
    this.#port.wake();
    return !!ok;
  }

  cancelling() {
    return this.#port.m._wa_task_cancelling(this.#ptr);
  }

  uncancel() {
    return this.#port.m._wa_task_uncancel(this.#ptr);
  }

  result() {
    switch (this.#state()) {
      case 'pending':
        throw new InvalidStateError('Result is not set.');
      case 'done':
        return this.#value();
      default:
        throw this.#outcomeError();
    }
  }

  exception() {
    switch (this.#state()) {
      case 'pending':
        throw new InvalidStateError('Exception is not set.');
      case 'done':
        return null;
      case 'cancelled':
        throw this.#outcomeError();
      default:
        return this.#outcomeError();
    }
  }

  addDoneCallback(fn) {
    if (typeof fn !== 'function') throw new TypeError(`addDoneCallback: not a function: ${describe(fn)}`);
    const entry = { fn, id: 0 };
    entry.id = this.#port.onDone(this.#ptr, () => {
      this.#callbacks.splice(this.#callbacks.indexOf(entry), 1);
      fn(this);
    });
    this.#callbacks.push(entry);
  }

  /** Removes every registration of fn; returns how many. */
  removeDoneCallback(fn) {
    let removed = 0;
    this.#callbacks = this.#callbacks.filter((entry) => {
      if (entry.fn !== fn) return true;
      removed += this.#port.m._wa_js_remove_callback(this.#ptr, entry.id);
      this.#port.drop(entry.id);
      return false;
    });
    return removed;
  }

  then(onFulfilled, onRejected) {
    this.#promise ??= new Promise((resolve, reject) => {
      this.#port.onDone(this.#ptr, () => {
        try {
          resolve(this.result());
        } catch (error) {
          reject(error);
        }
      });
    });
    return this.#promise.then(onFulfilled, onRejected);
  }

  get [Symbol.toStringTag]() {
    return `Task ${this.name} ${this.#state()}`;
  }

  #value() {
    const m = this.#port.m;
    switch (m._wa_js_result_kind(this.#ptr)) {
      case RESULT_NUMBER:
        return m._wa_js_result_number(this.#ptr);
      case RESULT_STRING:
        return m.UTF8ToString(m._wa_js_result_string(this.#ptr));
      default:
        return undefined;
    }
  }

  #outcomeError() {
    if (this.#error) return this.#error;
    const m = this.#port.m;
    const type = m.UTF8ToString(m._wa_js_error_type(this.#ptr));
    const message = m.UTF8ToString(m._wa_js_error_message(this.#ptr));
    if (type === 'CancelledError') {
      this.#error = new CancelledError(message);
    } else {
      this.#error = new Error(message);
      this.#error.name = type;
    }
    return this.#error;
  }
}
