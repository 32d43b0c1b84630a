// node.mjs: the package's entry for Node (the `node` export condition).
// A wasm given as a string is a path (relative to the working directory)
// or a URL; file: URLs are read from disk, others fetched.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fetchBytes, runtimeFactory } from './runtime.mjs';

export {
  CancelledError, ExceptionGroup, InvalidStateError, MemoryError, TimeoutError, Future, Task, TaskGroup, TaskContext,
  TraceRecorder, Barrier, BoundedSemaphore, Condition, Event, Lock, Operation, Queue, Semaphore,
  BrokenBarrierError, QueueEmpty, QueueFull, QueueShutDown,
} from './runtime.mjs';

/** Creates a runtime: one wasm module instance with its own scheduler. */
export const createRuntime = runtimeFactory({
  resolve: (text) => (/^[a-z][a-z0-9+.-]+:/i.test(text) ? new URL(text) : pathToFileURL(resolve(text))),
  read: (url) => (url.protocol === 'file:' ? readFile(url) : fetchBytes(url)),
});
