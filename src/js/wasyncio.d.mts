// wasyncio.d.mts: the types of the JS API (src/wasyncio.mjs), written by
// hand and checked by `tsc --strict` over tests/types/usage.ts in npm test.

/** A C coroutine's declared parameter, as rt.parameters(name) gives it. */
export interface Parameter {
  name: string;
  type: 'number' | 'string' | 'json' | 'task' | 'lock' | 'event' | 'semaphore' | 'condition' | 'barrier' | 'queue';
  optional: boolean;
}

/** Arguments of a C coroutine: checked against its declared parameters. */
export type CoroutineArgs = Record<string, unknown>;

/** Where a module comes from: its Emscripten factory and its .wasm. */
export interface ModuleSource {
  factory: () => Promise<unknown>;
  wasm: URL | string | ArrayBuffer | ArrayBufferView;
}

export interface RuntimeOptions {
  /** 'real' (default): host time. 'virtual': time jumps to the next timer. */
  clock?: 'real' | 'virtual';
  /** Receives each line C prints (default: console.log). */
  print?: (line: string) => void;
  /** Receives what would otherwise be lost (a throwing done callback, a
   *  failed task whose error nobody retrieved). */
  onError?: (message: string, error?: unknown) => void;
  /** Bytes of the one C stack every C task runs on (each keeps only the
   *  part it uses while suspended): the deepest a task may go. A multiple
   *  of 16, 4096 to 2^26; 16384 by default. */
  stackSize?: number;
  /** The most Asyncify bytes one suspension may use (deeper ones fail
   *  their task): a multiple of 16, 512 to 2^26; 4096 by default. */
  asyncifySize?: number;
  /** Where the package's wasm is, when a bundler moved it: a URL, a string
   *  (Node: a path or URL; browsers: a URL against the page) or the bytes.
   *  Not with `module`, which says where its own wasm is. */
  wasm?: URL | string | ArrayBuffer | ArrayBufferView;
  /** A module built with your own coroutines (default: the package's). */
  module?: ModuleSource;
  /** Functions C calls with wa_host_call(name, args), by name (more with
   *  rt.provide). */
  host?: Record<string, HostFunction>;
}

/** What C passes (its wa_args: numbers, strings, bytes) and a signal that
 *  aborts when the call is cancelled. Its value goes back to C: undefined
 *  or null (none), a number, a string, bytes, or anything else as JSON. */
export type HostFunction = (
  args: Record<string, number | string | Uint8Array>,
  options: { signal: AbortSignal },
) => unknown;

export interface TaskOptions {
  /** The task's name (default "Task-<n>"). */
  name?: string;
  /** Aborting it cancels the task, with the abort reason as the message. */
  signal?: AbortSignal;
}

export interface RunOptions extends TaskOptions {
  /** asyncio.run: once the task has ended, close() the runtime (cancel
   *  what is still pending, wait for its cleanup), then settle. */
  close?: boolean;
}

export interface GatherOptions {
  /** Errors become results instead of rejecting the gather. */
  returnExceptions?: boolean;
  signal?: AbortSignal;
}

export interface WaitOptions {
  /** When rt.wait ends (asyncio's return_when): when an item is done,
   *  when one failed (a cancelled one does not count) or all are done, or
   *  when all are done (the default). */
  returnWhen?: 'FIRST_COMPLETED' | 'FIRST_EXCEPTION' | 'ALL_COMPLETED';
  /** ms from now after which it ends anyway, cancelling nothing (default
   *  Infinity: none). */
  timeout?: number;
  /** Aborting it cancels the wait (not the items). */
  signal?: AbortSignal;
}

/** rt.wait's result: the items (a promise as the Task standing for it),
 *  as they were when its awaiter resumed. */
export interface WaitResult<T = unknown> {
  done: Set<Task<T>>;
  pending: Set<Task<T>>;
}

export interface AsCompletedOptions {
  /** ms from now after which each next() fails with TimeoutError, once
   *  what ended before was handed out (default Infinity: none). */
  timeout?: number;
}

/** What rt.asCompleted gives: `for await (const t of it)`, or in a JS task
 *  `await ctx.wait(it.next())` to be cancellable there as in asyncio. */
export interface AsCompletedIterator<T = unknown> {
  /** The next item to end, as a Task of the step. InvalidStateError while
   *  the previous next() still waits. */
  next(): Task<IteratorResult<Task<T>, undefined>>;
  /** Ends the iteration (a `break` does); the items run on. */
  return(): Promise<IteratorResult<Task<T>, undefined>>;
  [Symbol.asyncIterator](): AsCompletedIterator<T>;
}

export interface Stats {
  /** Tasks and futures in memory. */
  tasks: number;
  /** Tasks (C and JS) not yet ended: once a run stalls, those waiting for
   *  ever (on a lock nobody releases, say), which stay in memory. */
  pending: number;
  slabs: number;
  idleSlabs: number;
  ready: number;
  timers: number;
  memory: number;
  /** The earliest timer's deadline in loop time (Infinity: none). */
  nextTimer: number;
  /** Host function calls (wa_host_call) not yet settled or cancelled. */
  hostCalls: number;
}

/** What a task can await: a Task of the same runtime, or a promise. */
export type Awaitable<T = unknown> = Task<T> | PromiseLike<T>;

/** Something running on the runtime; awaiting it gives its result. */
export declare class Task<T = unknown> implements PromiseLike<T> {
  protected constructor();
  readonly id: number;
  readonly name: string;
  done(): boolean;
  cancelled(): boolean;
  /** Requests cancellation; false when the task is already done. */
  cancel(msg?: string | null): boolean;
  cancelling(): number;
  uncancel(): number;
  /** The result; throws the task's error, CancelledError, or
   *  InvalidStateError while pending. */
  result(): T;
  /** The task's error, or null when it returned. */
  exception(): unknown;
  addDoneCallback(fn: (task: this) => void): void;
  /** Removes every registration of fn; returns how many. */
  removeDoneCallback(fn: (task: this) => void): number;
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2>;
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R>;
  finally(onFinally?: (() => void) | null): Promise<T>;
}

/** asyncio.Future, made by rt.createFuture(): a Task that code ends. */
export declare class Future<T = unknown> extends Task<T> {
  private constructor();
  /** Ends it with value; InvalidStateError when it is done. */
  setResult(value: T): void;
  /** Ends it with error, which awaiting it throws; InvalidStateError when
   *  it is done. */
  setException(error: unknown): void;
}

/** A primitive's blocking call, not yet awaited: give it to ctx.wait()
 *  (once). A plain `await` rejects with a TypeError saying so. */
export declare class Operation<T = unknown> implements PromiseLike<never> {
  private constructor();
  then<R1 = never, R2 = never>(onFulfilled?: ((value: never) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2>;
  /** Only to tell operations' value types apart. */
  private readonly __value?: T;
}

/** asyncio.Lock (rt.lock()). */
export declare class Lock {
  private constructor();
  acquire(): Operation<true>;
  release(): void;
  locked(): boolean;
}

/** asyncio.Event (rt.event()). */
export declare class Event {
  private constructor();
  wait(): Operation<true>;
  set(): void;
  clear(): void;
  isSet(): boolean;
}

/** asyncio.Semaphore (rt.semaphore(n)). */
export declare class Semaphore {
  protected constructor();
  acquire(): Operation<true>;
  release(): void;
  locked(): boolean;
}

/** asyncio.BoundedSemaphore (rt.boundedSemaphore(n)). */
export declare class BoundedSemaphore extends Semaphore {}

/** asyncio.Condition (rt.condition(lock?)). */
export declare class Condition {
  private constructor();
  acquire(): Operation<true>;
  release(): void;
  locked(): boolean;
  wait(): Operation<true>;
  waitFor<T>(predicate: () => T): Operation<T>;
  notify(n?: number): void;
  notifyAll(): void;
}

/** asyncio.Barrier (rt.barrier(parties)). */
export declare class Barrier {
  private constructor();
  /** This party's arrival index. */
  wait(): Operation<number>;
  reset(): Operation<undefined>;
  abort(): Operation<undefined>;
  readonly parties: number;
  readonly nWaiting: number;
  readonly broken: boolean;
}

export interface QueueOptions {
  /** 0 or less: no limit (the default). */
  maxsize?: number;
  order?: 'fifo' | 'lifo' | 'priority';
}

/** asyncio.Queue, LifoQueue or PriorityQueue (rt.queue(options)). Items
 *  cross into C as host-call values do: a get gives back a copy. */
export declare class Queue<T = unknown> {
  private constructor();
  put(item: T): Operation<undefined>;
  get(): Operation<T>;
  putNowait(item: T): void;
  getNowait(): T;
  taskDone(): void;
  join(): Operation<undefined>;
  shutdown(immediate?: boolean): void;
  qsize(): number;
  empty(): boolean;
  full(): boolean;
  readonly maxsize: number;
}

/** Given to a JS task's function: its task, its signal, its awaits. */
export declare class TaskContext {
  private constructor();
  /** The task this function runs as. */
  readonly task: Task;
  /** Aborted (with a CancelledError) when the task is asked to cancel. */
  readonly signal: AbortSignal;
  /** asyncio.sleep: resolves with value after ms of loop time. */
  sleep(ms: number): Promise<undefined>;
  sleep<V>(ms: number, value: V): Promise<V>;
  /** `await x` in asyncio: cancelling this task cancels x too. x may be a
   *  primitive's blocking call (lock.acquire(), queue.get(), ...). */
  wait<T>(x: Awaitable<T> | Operation<T>): Promise<T>;
  cancelling(): number;
  uncancel(): number;
}

/** The handle rt.taskGroup gives its body: asyncio.TaskGroup. */
export declare class TaskGroup {
  private constructor();
  createTask(coroutine: string, args?: CoroutineArgs, options?: TaskOptions): Task;
  createTask<T>(fn: (ctx: TaskContext) => T | PromiseLike<T>, options?: TaskOptions): Task<T>;
  sleep(ms: number): Promise<undefined>;
  sleep<V>(ms: number, value: V): Promise<V>;
  wait<T>(x: Awaitable<T> | Operation<T>): Promise<T>;
  /** Aborted when the group aborts. */
  readonly signal: AbortSignal;
}

/** asyncio.timeout's scope: its deadline in loop time. */
export interface TimeoutScope {
  expired(): boolean;
  when(): number;
  reschedule(when: number): void;
}

/** One event of rt.trace(): a transition of one task (ids as Task.id). */
export type TraceEvent =
  | { time: number; type: 'created'; task: number; name: string; taskType: 'Task' | 'Future'; parent: number | null; coroutine: string | null }
  | { time: number; type: 'member'; task: number; container: number; containerType: 'group' | 'gather' }
  | { time: number; type: 'step'; task: number; thrownIn: boolean }
  | { time: number; type: 'suspended'; task: number; waitingOn: string; awaiting: number | null; until: number | null }
  | { time: number; type: 'cancel'; task: number; message: string | null }
  | { time: number; type: 'ended'; task: number; state: 'done' | 'failed' | 'cancelled'; error: string | null;
      message: string | null;
      /** A C coroutine that returned: its result (null for None); absent for other tasks. */
      result?: number | string | null };

export interface TraceOptions {
  /** How many events to keep, the newest (default 10,000; Infinity: all). */
  limit?: number;
  /** Called with each event as it is taken (after each pump of the loop). */
  onEvent?: (event: TraceEvent) => void;
}

/** What rt.trace() gives. */
export declare class TraceRecorder {
  private constructor();
  /** Events lost for want of memory in the runtime. */
  readonly dropped: number;
  /** The events kept, oldest first, up to now. */
  events(): TraceEvent[];
  /** Stops recording; the events kept stay. */
  stop(): void;
  toJSON(): { version: 1; events: TraceEvent[]; dropped: number };
}

/** A pending task, as rt.tasks() lists it. */
export interface TaskInfo {
  id: number;
  name: string;
  /** The C coroutine it runs, or null (a JS task). */
  coroutine: string | null;
  started: boolean;
  state: 'not started' | 'waiting' | 'ready';
  /** The task whose code made it, or 0. */
  parent: number;
  children: number[];
  /** The future of the group or gather it belongs to, or 0. */
  container: number;
  containerType: 'group' | 'gather' | null;
  cancelling: number;
  /** Loop time when it was made. */
  created: number;
  /** What it is suspended on ('sleep', 'task', 'yield'), or null. */
  waiting: string | null;
  /** The task or future it awaits, or 0. */
  awaiting: number;
  /** When its sleep ends, or null. */
  until: number | null;
  /** Its state in words, as formatTaskTree() shows it. */
  text: string;
}

/** Who awaits a task, like asyncio.capture_call_graph's result. */
export interface CallGraph {
  task: TaskInfo | { id: number; name: string; container: number };
  awaitedBy: CallGraph[];
}

/** One wasm module instance with its own scheduler. */
export interface Runtime {
  /** Names of the C coroutines in the module. */
  readonly coroutines: readonly string[];
  readonly clock: 'real' | 'virtual';
  /** The loop's clock in ms: 0 when the runtime started. */
  time(): number;
  stats(): Stats;
  parameters(coroutine: string): Parameter[];
  createTask(coroutine: string, args?: CoroutineArgs, options?: TaskOptions): Task;
  createTask<T>(fn: (ctx: TaskContext) => T | PromiseLike<T>, options?: TaskOptions): Task<T>;
  run(coroutine: string, args?: CoroutineArgs, options?: RunOptions): Promise<unknown>;
  run<T>(fn: (ctx: TaskContext) => T | PromiseLike<T>, options?: RunOptions): Promise<T>;
  taskGroup<T>(body: (tg: TaskGroup) => T | PromiseLike<T>, options?: TaskOptions): Task<T>;
  gather(items: Iterable<Awaitable>, options?: GatherOptions): Task<unknown[]>;
  shield<T>(task: Awaitable<T>): Task<T>;
  timeout<T>(ms: number, fn: (ctx: TaskContext, scope: TimeoutScope) => T | PromiseLike<T>,
    options?: TaskOptions): Task<T>;
  waitFor<T>(x: Awaitable<T>, ms: number, options?: TaskOptions): Task<T>;
  /** asyncio.wait: a Task of {done, pending} once options.returnWhen holds
   *  or the timeout passed; cancels nothing, and cancelling it leaves the
   *  items running. */
  wait<T>(items: Iterable<Awaitable<T>>, options?: WaitOptions): Task<WaitResult<T>>;
  /** asyncio.as_completed (3.13): the items in the order they end. */
  asCompleted<T>(items: Iterable<Awaitable<T>>, options?: AsCompletedOptions): AsCompletedIterator<T>;
  sleep(ms: number): Promise<undefined>;
  sleep<V>(ms: number, value: V): Promise<V>;
  /** asyncio.run's shutdown: lets the loop iteration under way end,
   *  cancels every pending task, waits for their cleanup, reports failures,
   *  then closes (every later call but stats() throws). */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  /** Records the scheduler's transitions until stop(); free while off. */
  trace(options?: TraceOptions): TraceRecorder;
  /** Every pending task, C and JS. */
  tasks(): TaskInfo[];
  callGraph(task: Task): CallGraph;
  /** Cancels the pending task with that id (a C coroutine's children
   *  included), as task.cancel(msg); false when none is pending with it. */
  cancelTask(id: number, message?: string | null): boolean;
  /** The pending tasks as a tree by creator, like `python -m asyncio pstree`. */
  formatTaskTree(): string;
  /** Makes fn callable from C as wa_host_call(name, args), replacing any
   *  function of that name. */
  provide(name: string, fn: HostFunction): void;
  /** asyncio.Future: a Task with no body that code ends. */
  createFuture<T = unknown>(): Future<T>;
  lock(): Lock;
  event(): Event;
  semaphore(value?: number): Semaphore;
  boundedSemaphore(value?: number): BoundedSemaphore;
  condition(lock?: Lock): Condition;
  barrier(parties: number): Barrier;
  queue<T = unknown>(options?: QueueOptions): Queue<T>;
}

export declare function createRuntime(options?: RuntimeOptions): Promise<Runtime>;

export declare class CancelledError extends Error {
  constructor(message?: string);
}
export declare class InvalidStateError extends Error {
  constructor(message?: string);
}
export declare class TimeoutError extends Error {
  constructor(message?: string);
}
export declare class QueueEmpty extends Error {
  constructor(message?: string);
}
export declare class QueueFull extends Error {
  constructor(message?: string);
}
export declare class QueueShutDown extends Error {
  constructor(message?: string);
}
export declare class BrokenBarrierError extends Error {
  constructor(message?: string);
}
export declare class MemoryError extends Error {
  constructor(message?: string);
}

/** An error name, an Error class, or a predicate. */
export type ErrorCondition = string | (abstract new (...args: never[]) => Error) | ((error: unknown) => boolean);

/** Python's ExceptionGroup: several errors raised together. */
export declare class ExceptionGroup extends AggregateError {
  constructor(message: string, errors: Iterable<unknown>);
  /** Python's name for `errors`. */
  readonly exceptions: unknown[];
  split(condition: ErrorCondition): [ExceptionGroup | null, ExceptionGroup | null];
  subgroup(condition: ErrorCondition): ExceptionGroup | null;
  derive(errors: Iterable<unknown>): ExceptionGroup;
}
