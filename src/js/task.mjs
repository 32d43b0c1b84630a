// task.mjs: Task, the JS handle of anything the runtime can await: a C
// coroutine's task, a JS function's task, a gather, a shield, a promise
// standing in a gather. Each wraps one C reference, given back when the
// handle is garbage-collected.
import { InvalidStateError, checkText, describe } from './errors.mjs';

const STATES = ['pending', 'done', 'failed', 'cancelled'];
const RESULT_NUMBER = 1;
const RESULT_STRING = 2;
const RESULT_BYTES = 3;
const RESULT_JSON = 4;

const pointers = new WeakMap(); // Task -> {port, ptr}, for the runtime

/** Calls free() once target is garbage-collected. One registry for every
 *  runtime, living as long as this module: Node 20's V8 stops running any
 *  FinalizationRegistry callback, process-wide, once a registry with
 *  callbacks pending is itself collected (as a per-runtime one is, with
 *  its runtime). A runtime stays alive only while something registered
 *  for it does, which needs it anyway. */
const registry = new FinalizationRegistry((free) => free());
export function freeWhenCollected(target, free) {
  registry.register(target, free);
}

// Made out here so that the closure cannot capture the Task it frees.
const releaser = (m, ptr) => () => m._wa_task_release(ptr);

/** The C task behind a handle, when it belongs to the runtime of port. */
export function pointerOf(task, port) {
  const entry = pointers.get(task);
  return entry && entry.port === port ? entry.ptr : 0;
}

/** Something running on the runtime; awaiting it gives its result. */
export class Task {
  #port; // its runtime's module and the few internals a task needs
  #ptr;
  #value;            // () => the result, when it is not the C one
  #callbacks = [];   // [{id, fn}] registered and not yet run
  #promise = null;
  #error;            // the Error made from the C error, made once

  /** Made by the runtime, never directly. value: reads a result that is a
   *  JS value (a JS task's, a gather's list). */
  constructor(port, ptr, value = null) {
    this.#port = port;
    this.#ptr = ptr;
    this.#value = value;
    const m = port.m;
    this.id = m._wa_task_id(ptr);
    this.name = m.UTF8ToString(m._wa_task_name(ptr));
    pointers.set(this, { port, ptr });
    freeWhenCollected(this, releaser(m, ptr));
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
    if (typeof msg === 'string') checkText(msg, 'cancel: message');
    const cancel = (p) => this.#port.m._wa_task_cancel(this.#ptr, p);
    let ok;
    try {
      ok = this.#port.withCString(msg, cancel);
    } catch (error) { // no memory for the message: cancel without it, as C does
      if (error?.name !== 'MemoryError') throw error;
      ok = cancel(0);
    }
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
        return this.#result();
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

  /** Removes every registration of fn; returns how many. One already
   *  queued to run (the task is done) is not removed and still runs, as
   *  in asyncio, where the done task's callbacks left its list. */
  removeDoneCallback(fn) {
    let removed = 0;
    this.#callbacks = this.#callbacks.filter((entry) => {
      if (entry.fn !== fn || !this.#port.m._wa_js_remove_callback(this.#ptr, entry.id)) return true;
      this.#port.drop(entry.id);
      removed++;
      return false;
    });
    return removed;
  }

  catch(onRejected) {
    return this.then(undefined, onRejected);
  }

  finally(onFinally) {
    return Promise.resolve(this).finally(onFinally);
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

  #result() {
    if (this.#value) return this.#value();
    const m = this.#port.m;
    switch (m._wa_js_result_kind(this.#ptr)) {
      case RESULT_NUMBER:
        return m._wa_js_result_number(this.#ptr);
      case RESULT_STRING:
        return m.UTF8ToString(m._wa_js_result_string(this.#ptr));
      case RESULT_BYTES: { // a copy: the task's memory may go
        const p = m._wa_js_result_bytes(this.#ptr) >>> 0;
        return m.HEAPU8.slice(p, p + (m._wa_js_result_length(this.#ptr) >>> 0));
      }
      case RESULT_JSON:
        return JSON.parse(m.UTF8ToString(m._wa_js_result_string(this.#ptr)));
      default:
        return undefined;
    }
  }

  #outcomeError() {
    this.#error ??= this.#port.errorFromC(this.#port.m._wa_js_task_outcome(this.#ptr));
    return this.#error;
  }
}

/** asyncio.Future, made by rt.createFuture(): a Task that code ends. */
export class Future extends Task {
  #settle;

  /** Made by the runtime, never directly. */
  constructor(port, ptr, settle, value) {
    super(port, ptr, value);
    this.#settle = settle;
  }

  /** Ends it with value (InvalidStateError when it is done). */
  setResult(value) {
    this.#settle(true, value, 'setResult');
  }

  /** Ends it with error, which awaiting it throws (InvalidStateError when
   *  it is done). */
  setException(error) {
    this.#settle(false, error, 'setException');
  }
}
