// sync.mjs: asyncio's synchronization primitives for JavaScript: Lock,
// Event, Semaphore, BoundedSemaphore, Condition, Barrier and Queue, made by
// rt.lock(), rt.event(), ... Each is the C primitive of src/sync/, so C
// tasks and JS tasks share one, and a C coroutine takes one as an argument.
//
// What can block (acquire, wait, put, get, join) returns an Operation: like
// an asyncio coroutine it does nothing until it is awaited, which a JS task
// does with ctx.wait(op); cancelling the task cancels the wait, as in
// asyncio. The rest is synchronous.
import { describe, InvalidStateError } from './errors.mjs';
import { freeWhenCollected } from './task.mjs';

// The C machines (js/sync.c's table).
const OP = {
  lockAcquire: 0, eventWait: 1, semaphoreAcquire: 2, conditionAcquire: 3, conditionWait: 4,
  barrierWait: 5, barrierReset: 6, barrierAbort: 7, queuePut: 8, queueGet: 9, queueJoin: 10,
};
const RUN = Symbol('run');
const pointers = new WeakMap(); // primitive -> {port, ptr}

/** The C primitive behind a handle of port's runtime, or 0. */
export function primitiveOf(x, port) {
  const entry = pointers.get(x);
  return entry && entry.port === port ? entry.ptr : 0;
}

const releaser = (m, ptr) => () => m._wa_js_object_release(ptr);

/** A blocking call not yet awaited: hand it to ctx.wait(). Each is awaited
 *  once, as a coroutine is. */
export class Operation {
  #what;
  #run;
  // The primitive, until the operation has run: run knows it only by its
  // C address, and a primitive's C object is released when its JS handle
  // is collected, which without this could happen first
  // (`const op = rt.lock().acquire()` keeps nothing else alive). Once
  // running, the C operation holds a reference of its own.
  #owner;

  /** Made by the primitives, never directly. */
  constructor(what, run, owner = null) {
    this.#what = what;
    this.#run = run;
    this.#owner = owner;
  }

  /** ctx.wait's way in: runs it for the task of record. */
  [RUN](core, record) {
    const run = this.#run;
    if (!run) return Promise.reject(new InvalidStateError(`${this.#what}: this operation was awaited already (make a new one)`));
    this.#run = null;
    try {
      return run(core, record); // makes the C operation before it returns
    } finally {
      this.#owner = null;
    }
  }

  /** A plain `await` cannot say which task waits: it rejects, saying how. */
  then(onFulfilled, onRejected) {
    const error = new TypeError(`${this.#what} is awaited with ctx.wait(${this.#what}) inside a task, not with a plain await`);
    return Promise.reject(error).then(onFulfilled, onRejected);
  }

  get [Symbol.toStringTag]() {
    return `Operation ${this.#what}`;
  }
}

/** Runs x (an Operation) for a JS task; used by TaskContext.wait. */
export function runOperation(x, core, record) {
  return x[RUN](core, record);
}

// A JS value from a C wa_value (the item a get returns).
function valueFromC(m, v) {
  switch (m._wa_js_value_kind(v)) {
    case 1: return m._wa_js_value_number(v);
    case 2: return m.UTF8ToString(m._wa_js_value_string(v));
    case 3: {
      const p = m._wa_js_value_bytes(v) >>> 0;
      return m.HEAPU8.slice(p, p + (m._wa_js_value_length(v) >>> 0));
    }
    case 4: return JSON.parse(m.UTF8ToString(m._wa_js_value_string(v)));
    default: return undefined;
  }
}

/** What the primitives share: the C object, and running its calls. */
class Primitive {
  #port;
  #ptr;

  constructor(port, ptr) {
    this.#port = port;
    this.#ptr = ptr;
    pointers.set(this, { port, ptr });
    freeWhenCollected(this, releaser(port.m, ptr));
  }

  // A synchronous C call: throws what it raised.
  call(fn) {
    return this.#port.asTask(0, () => fn(this.#port.m, this.#ptr));
  }

  read(fn) {
    return fn(this.#port.m, this.#ptr);
  }

  // A blocking call: an Operation running C machine `which`; read(m, op)
  // gives its value once it ended.
  operation(what, which, read = () => true, item = undefined) {
    const port = this.#port;
    const ptr = this.#ptr;
    const make = () => (which === OP.queuePut
      ? port.valueToC(item, `${what}: item`, (...v) => port.m._wa_js_op_new(which, ptr, ...v))
      : port.m._wa_js_op_new(which, ptr, 0, 0, 0, 0, 0));
    // The item is checked now, as a put of a value C cannot take is a
    // mistake at the call, not at the await.
    if (which === OP.queuePut) port.valueToC(item, `${what}: item`, () => 1);
    return new Operation(what, (core, record) => core.awaitOp(record, make, (op) => read(port.m, op)), this);
  }

  get port() {
    return this.#port;
  }
}

/** asyncio.Lock (rt.lock()). */
export class Lock extends Primitive {
  acquire() {
    return this.operation('lock.acquire()', OP.lockAcquire);
  }

  release() {
    this.call((m, p) => m._wa_lock_release(p));
    this.port.wake();
  }

  locked() {
    return !!this.read((m, p) => m._wa_lock_locked(p));
  }
}

/** asyncio.Event (rt.event()). */
export class Event extends Primitive {
  wait() {
    return this.operation('event.wait()', OP.eventWait);
  }

  set() {
    this.read((m, p) => m._wa_event_set(p));
    this.port.wake();
  }

  clear() {
    this.read((m, p) => m._wa_event_clear(p));
  }

  isSet() {
    return !!this.read((m, p) => m._wa_event_is_set(p));
  }
}

/** asyncio.Semaphore (rt.semaphore(n)) and, made by rt.boundedSemaphore(n),
 *  BoundedSemaphore. */
export class Semaphore extends Primitive {
  acquire() {
    return this.operation('semaphore.acquire()', OP.semaphoreAcquire);
  }

  release() {
    this.call((m, p) => m._wa_semaphore_release(p));
    this.port.wake();
  }

  locked() {
    return !!this.read((m, p) => m._wa_semaphore_locked(p));
  }
}

export class BoundedSemaphore extends Semaphore {}

/** asyncio.Condition (rt.condition(lock)). */
export class Condition extends Primitive {
  acquire() {
    return this.operation('condition.acquire()', OP.conditionAcquire);
  }

  release() {
    this.call((m, p) => m._wa_condition_release(p));
    this.port.wake();
  }

  locked() {
    return !!this.read((m, p) => m._wa_condition_locked(p));
  }

  wait() {
    return this.operation('condition.wait()', OP.conditionWait);
  }

  /** Condition.wait_for: waits until predicate() is truthy; its value. */
  waitFor(predicate) {
    if (typeof predicate !== 'function') throw new TypeError(`condition.waitFor: predicate must be a function, not ${describe(predicate)}`);
    return new Operation('condition.waitFor()', async (core, record) => {
      let result = predicate();
      while (!result) {
        await this.wait()[RUN](core, record);
        result = predicate();
      }
      return result;
    });
  }

  notify(n = 1) {
    if (!Number.isInteger(n)) throw new TypeError(`condition.notify: n must be an integer, not ${describe(n)}`);
    this.call((m, p) => m._wa_condition_notify(p, Math.max(-1, Math.min(n, 2 ** 31 - 1))));
    this.port.wake();
  }

  notifyAll() {
    this.call((m, p) => m._wa_condition_notify_all(p));
    this.port.wake();
  }
}

/** asyncio.Barrier (rt.barrier(parties)). */
export class Barrier extends Primitive {
  /** Resolves with this party's arrival index, 0 to parties - 1. */
  wait() {
    return this.operation('barrier.wait()', OP.barrierWait, (m, op) => m._wa_js_op_index(op));
  }

  reset() {
    return this.operation('barrier.reset()', OP.barrierReset, () => undefined);
  }

  abort() {
    return this.operation('barrier.abort()', OP.barrierAbort, () => undefined);
  }

  get parties() {
    return this.read((m, p) => m._wa_barrier_parties(p));
  }

  get nWaiting() {
    return this.read((m, p) => m._wa_barrier_n_waiting(p));
  }

  get broken() {
    return !!this.read((m, p) => m._wa_barrier_broken(p));
  }
}

/** asyncio.Queue, LifoQueue or PriorityQueue (rt.queue({maxsize, order})).
 *  Items cross as host-call values do: numbers, strings, bytes (copied),
 *  undefined/null (got back as undefined), and anything else as JSON (got
 *  back as a copy). A priority queue's items are numbers, strings, bytes
 *  or arrays such as [priority, item], compared as Python compares them. */
export class Queue extends Primitive {
  put(item) {
    return this.operation('queue.put()', OP.queuePut, () => undefined, item);
  }

  get() {
    return this.operation('queue.get()', OP.queueGet, (m, op) => valueFromC(m, m._wa_js_op_item(op)));
  }

  putNowait(item) {
    this.port.valueToC(item, 'queue.putNowait: item', (...v) => this.call((m, p) => m._wa_js_queue_put_nowait(p, ...v)));
    this.port.wake();
  }

  getNowait() {
    const m = this.port.m;
    const v = this.call((mm, p) => mm._wa_js_queue_get_nowait(p));
    try {
      return valueFromC(m, v);
    } finally {
      m._wa_js_value_clear(v);
      this.port.wake();
    }
  }

  taskDone() {
    this.call((m, p) => m._wa_queue_task_done(p));
    this.port.wake();
  }

  join() {
    return this.operation('queue.join()', OP.queueJoin, () => undefined);
  }

  /** Queue.shutdown: puts fail with QueueShutDown from now on, gets once
   *  the queue is empty (at once with immediate, which drops the items). */
  shutdown(immediate = false) {
    if (typeof immediate !== 'boolean') throw new TypeError(`queue.shutdown: immediate must be a boolean, not ${describe(immediate)}`);
    this.read((m, p) => m._wa_queue_shutdown(p, immediate));
    this.port.wake();
  }

  qsize() {
    return this.read((m, p) => m._wa_queue_qsize(p));
  }

  empty() {
    return !!this.read((m, p) => m._wa_queue_empty(p));
  }

  full() {
    return !!this.read((m, p) => m._wa_queue_full(p));
  }

  get maxsize() {
    return this.read((m, p) => m._wa_queue_maxsize(p));
  }
}

/** The classes a parameter type takes ("name:lock" -> Lock). */
export const PARAM_CLASSES = {
  lock: Lock, event: Event, semaphore: Semaphore, condition: Condition, barrier: Barrier, queue: Queue,
};
