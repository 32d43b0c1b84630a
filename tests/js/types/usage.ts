// Type-checked (tsc --strict, tests/js/types.test.mjs and, from the
// installed tarball, tests/package/install.test.mjs), never run: every
// export of wasyncio used as a TypeScript program would use it.
import {
  CancelledError, ExceptionGroup, MemoryError, TimeoutError, createRuntime,
  TraceRecorder, type Runtime, type Task, type TaskContext, type TaskGroup, type TimeoutScope, type TraceEvent,
  type TaskInfo, Future, type HostFunction, type WaitResult, type AsCompletedIterator,
} from 'wasyncio';

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
