// Type-checked (tsc --strict, tests/js/types.test.mjs and, from the
// installed tarball, tests/package/install.test.mjs), never run: every
// export of wasyncio used as a TypeScript program would use it.
import {
  CancelledError, ExceptionGroup, MemoryError, TimeoutError, createRuntime,
  TraceRecorder, type Runtime, type Task, type TaskContext, type TaskGroup, type TimeoutScope, type TraceEvent,
  type TaskInfo, Future, type HostFunction, Lock, type Event, type Semaphore, type BoundedSemaphore, type Condition,
  type Barrier, Queue, type Operation, QueueEmpty, QueueFull, QueueShutDown, BrokenBarrierError,
  type WaitResult, type AsCompletedIterator,
} from 'wasyncio';

// The synchronization primitives: blocking calls are Operations a task
// awaits with ctx.wait, typed by what they give.
export async function primitives(rt: Runtime): Promise<number> {
  const lock: Lock = rt.lock();
  const cond: Condition = rt.condition(lock);
  const ev: Event = rt.event();
  const sem: Semaphore = rt.semaphore(2);
  const bounded: BoundedSemaphore = rt.boundedSemaphore(1);
  const barrier: Barrier = rt.barrier(2);
  const jobs: Queue<[number, string]> = rt.queue<[number, string]>({ maxsize: 10, order: 'priority' });
  const take: Operation<[number, string]> = jobs.get();
  const worker: Task<string> = rt.createTask(async (ctx: TaskContext) => {
    const held: true = await ctx.wait(lock.acquire());
    try {
      const ready: boolean = await ctx.wait(cond.waitFor(() => ev.isSet()));
      const [priority, name] = await ctx.wait(take);
      return `${held} ${ready} ${priority} ${name}`;
    } finally {
      lock.release();
    }
  });
  jobs.putNowait([1, 'first']);
  const refused: string = await jobs.put([2, 'second']).then(() => 'never', (e: unknown) => String(e)); // use ctx.wait
  const index: number = await rt.run((ctx: TaskContext) => ctx.wait(barrier.wait()));
  const joined: undefined = await rt.run((ctx: TaskContext) => ctx.wait(jobs.join()));
  try {
    jobs.getNowait();
  } catch (e) {
    if (e instanceof QueueEmpty || e instanceof QueueFull || e instanceof QueueShutDown || e instanceof BrokenBarrierError) {
      console.log(e.message);
    }
  }
  cond.notifyAll();
  sem.release();
  bounded.release();
  jobs.shutdown(true);
  console.log(refused, index, joined, jobs.qsize(), jobs.maxsize, barrier.nWaiting, barrier.parties, sem.locked(),
    lock instanceof Lock, jobs instanceof Queue, await worker);
  return barrier.broken ? 0 : 1;
}

export async function main(): Promise<number> {
  const rt: Runtime = await createRuntime({ clock: 'virtual', print: (line: string) => console.log(line) });
  const c: Task = rt.createTask('some_coro', { param: 7 }, { name: 'c', signal: new AbortController().signal });
  const j: Task<number> = rt.createTask(async (ctx: TaskContext) => {
    await ctx.sleep(10);
    const s: string = await ctx.sleep(5, 'five');
    return s.length + (await ctx.wait(c) as number);
  });
  const grouped: Task<string> = rt.taskGroup(async (tg: TaskGroup) => {
    tg.createTask('job', { task_id: 1, sleep_ms: 5 });
    const child: Task<boolean> = tg.createTask(async () => true);
    await tg.wait(child);
    return 'done';
  });
  const all: unknown[] = await rt.gather([c, j, Promise.resolve(1)], { returnExceptions: true });
  const timed = rt.timeout(100, async (_ctx: TaskContext, scope: TimeoutScope) => scope.when() + (scope.expired() ? 1 : 0));
  const waited: Task<number> = rt.waitFor(j, 50);
  const shielded: Task<number> = rt.shield(j);
  const { done, pending }: WaitResult<number> = await rt.wait([j, Promise.resolve(2)],
    { returnWhen: 'FIRST_COMPLETED', timeout: 10, signal: new AbortController().signal });
  const firstDone: Task<number> | undefined = [...done][0];
  const completed: AsCompletedIterator<number> = rt.asCompleted([j, waited], { timeout: 100 });
  for await (const t of completed) console.log(t.result() + pending.size + (firstDone?.result() ?? 0));
  const step = await rt.createTask(async (ctx: TaskContext) => ctx.wait(rt.asCompleted([j]).next()));
  if (!step.done) console.log(step.value.name);
  await rt.asCompleted([shielded]).return();
  try {
    await rt.run('some_coro', { param: 1 });
  } catch (error) {
    if (error instanceof ExceptionGroup) {
      const [match, rest] = error.split(CancelledError);
      console.log(match?.exceptions.length, rest?.subgroup('ValueError'), error.derive([new TimeoutError()]));
    } else if (error instanceof MemoryError) {
      console.log(error.message);
    }
  }
  j.addDoneCallback((t) => console.log(t.name, t.done(), t.cancelled(), t.cancelling(), t.exception()));
  c.cancel('stop');
  console.log(rt.stats().tasks, rt.parameters('some_coro')[0]?.type, rt.coroutines.length, rt.time(), all.length);
  const other: Runtime = await createRuntime({ wasm: new URL('./wasyncio.wasm', 'file:///somewhere/') });
  const answer: number = await other.run(async (ctx: TaskContext) => ctx.sleep(1, 42), { name: 'main', close: true });
  const fromC: unknown = await (await createRuntime({ wasm: new Uint8Array(8) })).run('some_coro', { param: 1 }, { close: true });
  console.log(answer, fromC);
  const recorder: TraceRecorder = rt.trace({ limit: 100, onEvent: (e: TraceEvent) => e.type === 'ended' && console.log(e.state) });
  const infos: TaskInfo[] = rt.tasks();
  const tree: string = rt.formatTaskTree();
  console.log(recorder.events().length, recorder.dropped, infos[0]?.children, tree, rt.callGraph(c).awaitedBy.length,
    recorder instanceof TraceRecorder);
  recorder.stop();
  const fetchText: HostFunction = async ({ url }, { signal }) => (signal.aborted ? '' : `text of ${String(url)}`);
  rt.provide('fetchText', fetchText);
  const fut: Future<string> = rt.createFuture<string>();
  fut.setResult('done');
  if (!(fut instanceof Future)) throw new Error('not a Future');
  const read: string = await fut;
  const hostCalls: number = rt.stats().hostCalls + read.length;
  if (hostCalls < 0) fut.setException(new Error('never'));
  await rt.close();
  return (await grouped).length + (await timed) + (await waited) + (await shielded) + (await rt.sleep(1, 2));
}
