// jstask.mjs: what a JavaScript task's function works with.
//
// rt.createTask(async (ctx) => ...) runs the function as a task of the
// runtime, like a C coroutine: groups, gather, shield and cancel treat both
// alike. A task is cancelled at its *runtime awaits*: ctx.sleep() and
// ctx.wait(). Awaiting anything else (a fetch, a plain promise) is outside
// the runtime's sight; a cancel that arrives then is delivered at the next
// runtime await, and ctx.signal is aborted at once so that work can stop too.
import { describe } from './errors.mjs';
import { Operation, runOperation } from './sync.mjs';

/** Checks a delay in ms: a number, not NaN (Infinity: never). */
export function checkDelay(what, ms) {
  if (typeof ms !== 'number') throw new TypeError(`${what}: delay must be a number, not ${describe(ms)}`);
  if (Number.isNaN(ms)) throw new RangeError(`${what}: delay is NaN`);
}

/** Given to a JS task's function: its task, its signal, its awaits. */
export class TaskContext {
  #core;
  #record;

  constructor(core, record) {
    this.#core = core;
    this.#record = record;
  }

  /** The task this function runs as. */
  get task() {
    return this.#record.task;
  }

  /** Aborted (with a CancelledError) when the task is asked to cancel. */
  get signal() {
    return this.#record.controller.signal;
  }

  /** asyncio.sleep: resolves with value after ms of loop time; rejects
   *  with CancelledError when the task is cancelled meanwhile. */
  sleep(ms, value) {
    checkDelay('sleep', ms);
    const slept = ms > 0 ? this.#core.awaitTask(this.#record, this.#core.sleepFuture(ms))
      : this.#core.yieldOnce(this.#record); // sleep(0): exactly one loop iteration
    return slept.then(() => value);
  }

  /** `await x` in asyncio: x is a Task (C or JS), a gather, a shield, a
   *  promise, or a primitive's blocking call (lock.acquire(), q.get(), ...).
   *  Cancelling this task cancels x too, as awaiting does in asyncio (wrap
   *  a task in rt.shield() to prevent that). A task awaits one thing at a
   *  time. */
  wait(x) {
    if (x instanceof Operation) return runOperation(x, this.#core, this.#record);
    return this.#core.awaitTask(this.#record, this.#core.awaitable(x, 'wait'));
  }

  cancelling() {
    return this.task.cancelling();
  }

  uncancel() {
    return this.task.uncancel();
  }
}

/** The handle rt.taskGroup gives its body: asyncio.TaskGroup. */
export class TaskGroup {
  #core;
  #group;
  #context;
  #controller;

  constructor(core, group, context, controller) {
    this.#core = core;
    this.#group = group;
    this.#context = context;
    this.#controller = controller;
  }

  /** Starts a task in the group: a C coroutine (name, args, options) or a
   *  JS async function (fn, options). Throws a RuntimeError when the group
   *  is shutting down or finished. */
  createTask(coroutine, args, options) {
    return this.#core.spawnInto(this.#group, this.#context, coroutine, args, options);
  }

  /** Sleeps in the group's body, where the group can cancel it. */
  sleep(ms, value) {
    return this.#context.sleep(ms, value);
  }

  /** Awaits x in the group's body (see TaskContext.wait). */
  wait(x) {
    return this.#context.wait(x);
  }

  /** Aborted when the group aborts: a child failed, the body threw, or the
   *  group's task was cancelled. */
  get signal() {
    return this.#controller.signal;
  }
}
