// browser.mjs: the package's entry for browsers and workers (the `browser`
// and `default` export conditions): no `node:` import, so bundlers take it
// as it is. A wasm given as a string is a URL relative to the page (or the
// worker's script), as fetch() takes it.
import { fetchBytes, runtimeFactory } from './runtime.mjs';

export {
  CancelledError, ExceptionGroup, InvalidStateError, MemoryError, TimeoutError, Future, Task, TaskGroup, TaskContext,
  TraceRecorder, Barrier, BoundedSemaphore, Condition, Event, Lock, Operation, Queue, Semaphore,
  BrokenBarrierError, QueueEmpty, QueueFull, QueueShutDown,
} from './runtime.mjs';

/** Creates a runtime: one wasm module instance with its own scheduler. */
export const createRuntime = runtimeFactory({
  resolve: (text) => new URL(text, globalThis.document?.baseURI ?? globalThis.location?.href),
  read: fetchBytes,
});
