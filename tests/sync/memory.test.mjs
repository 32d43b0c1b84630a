// The primitives when memory runs out, on the test module built with a
// wasm memory that cannot grow past 64 MiB (build/wasyncio_small.*): every
// call that allocates either works or fails with MemoryError, leaving the
// primitive as it was (a waiter not queued, an item not stored, a lock
// still held), and afterwards everything works. Each case runs in a child
// process of its own (tests/reliability/cases.mjs), so that an abort fails
// only that case and leaves no broken runtime behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { testRuntime, settle } from '../helpers.mjs';
import { runCases } from '../reliability/cases.mjs';

const buildDir = process.env.WASYNCIO_BUILD ?? 'build';
const smallModule = {
  factory: () => import(new URL(`../../${buildDir}/wasyncio_small.mjs`, import.meta.url)),
  wasm: new URL(`../../${buildDir}/wasyncio_small.wasm`, import.meta.url),
};
const LIMIT = 64 * 2 ** 20; // -sMAXIMUM_MEMORY of wasyncio_small
const STALL_MS = 10000;
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

async function smallRuntime(log, clock = 'virtual') {
  const reports = [];
  const hogLines = [];
  const lines = [];
  const { rt } = await testRuntime({
    module: smallModule,
    clock,
    print: (line) => (line.startsWith('hog ') ? hogLines : lines).push(line),
    onError: (message, error) => {
      log(`onError: ${message} ${error ?? ''}`);
      reports.push(message);
    },
  });
  return { rt, reports, hogLines, lines };
}

/** Waits on turns of the event loop until ready() holds (STALL_MS at most). */
async function until(ready, what) {
  const start = performance.now();
  while (!ready()) {
    if (performance.now() - start > STALL_MS) throw new Error(`${what}: not after ${STALL_MS} ms`);
    await turn();
  }
}

function assertNoStop(reports) {
  assert.deepEqual(reports.filter((r) => /module stops|Aborted|unreachable/i.test(r)), [], 'the runtime stopped');
}

const cases = {
  async 'each C call that allocates, with no memory and then a block more each time: MemoryError, the primitive as it was, until it works'(log) {
    const { rt, reports, lines } = await smallRuntime(log);
    await rt.run('sync_oom', {});
    lines.forEach((l) => log(l));
    assert.deepEqual(lines, [
      'constructors: MemoryError xsome, then ok',
      'queue put_nowait: MemoryError xsome, then ok',
      'lock acquire: MemoryError xsome, then TimeoutError: ',
      'event wait: MemoryError xsome, then TimeoutError: ',
      'semaphore acquire: MemoryError xsome, then TimeoutError: ',
      'condition wait: MemoryError xsome, then TimeoutError: ',
      'barrier wait: MemoryError xsome, then TimeoutError: ',
      'queue get: MemoryError xsome, then TimeoutError: ',
      'queue put: MemoryError xsome, then TimeoutError: ',
      'queue join: MemoryError xsome, then TimeoutError: ',
      'afterwards: ok (queue sizes 0 1 8)',
    ]);
    assertNoStop(reports);
  },

  async 'JS calls at the limit: each works or fails with MemoryError, the primitive as it was; once memory is back, all works'(log) {
    const { rt, reports, hogLines } = await smallRuntime(log, 'real'); // the hog sleeps: no virtual jumps
    const lock = rt.lock();
    const q = rt.queue({ maxsize: 2 });
    const ev = rt.event();
    const sem = rt.semaphore(0);
    const cond = rt.condition();
    const b = rt.barrier(2);
    await rt.run(async (ctx) => {
      await ctx.wait(lock.acquire());
      await ctx.wait(cond.acquire());
    });
    q.putNowait('one');
    let open;
    const gate = new Promise((resolve) => {
      open = resolve;
    });
    const results = [];
    const attempt = async (what, f) => {
      try {
        await f();
        results.push(`${what}: ok`);
      } catch (e) {
        results.push(`${what}: ${e.name}`);
      }
    };
    // Made while there is memory; runs at the limit once the gate opens.
    const soaked = [];
    const worker = rt.createTask(async (ctx) => {
      await ctx.wait(gate);
      // Waking up freed a little (what the await used): locks take it, so
      // that no block as big as a lock is left. Bigger needs (a queue, the
      // C operation every ctx.wait(op) makes) cannot be met after that.
      for (;;) {
        try {
          soaked.push(rt.lock());
        } catch (e) {
          results.push(`soaked ${soaked.length > 0 ? 'some' : 'none'}: ${e.name}`);
          break;
        }
      }
      await attempt('rt.lock()', () => rt.lock());
      await attempt('rt.queue()', () => rt.queue());
      await attempt('lock.acquire() (held)', () => ctx.wait(lock.acquire()));
      try { // 'two' may fit in what is left, smaller than a lock
        q.putNowait('two');
        log('q.putNowait at the limit: ok');
      } catch (e) {
        results.push(`q.putNowait: ${e.name}`);
      }
      await attempt('q.put', () => ctx.wait(q.put('two')));
      await attempt('ev.wait()', () => ctx.wait(ev.wait()));
      await attempt('sem.acquire()', () => ctx.wait(sem.acquire()));
      await attempt('cond.wait()', () => ctx.wait(cond.wait()));
      await attempt('b.wait()', () => ctx.wait(b.wait()));
      await attempt('ev.set()', () => ev.set()); // these allocate nothing
      await attempt('sem.release()', () => sem.release());
      results.push(`state: locked ${lock.locked()} cond ${cond.locked()} qsize ${q.qsize()} nWaiting ${b.nWaiting}`);
    });
    const hog = rt.createTask('hog', { limit: LIMIT });
    await until(() => rt.stats().ready === 0, 'the worker and the hog starting');
    assert.equal(hog.cancel(), true);
    await until(() => hogLines.length > 0, 'the hog taking every byte');
    log(hogLines[0]);
    open();
    await until(() => worker.done(), 'the worker at the limit');
    assert.equal(hog.cancel(), true);
    await until(() => hog.done(), 'the hog giving its bytes back');
    results.forEach((r) => log(r));
    if (worker.exception()) throw worker.exception();
    const putOk = !results.includes('q.putNowait: MemoryError');
    assert.deepEqual(results, [
      `soaked ${results[0].includes('some') ? 'some' : 'none'}: MemoryError`,
      'rt.lock(): MemoryError',
      'rt.queue(): MemoryError',
      'lock.acquire() (held): MemoryError',
      ...(putOk ? [] : ['q.putNowait: MemoryError']),
      'q.put: MemoryError',
      'ev.wait(): MemoryError',
      'sem.acquire(): MemoryError',
      'cond.wait(): MemoryError',
      'b.wait(): MemoryError',
      'ev.set(): ok',
      'sem.release(): ok',
      `state: locked true cond true qsize ${putOk ? 2 : 1} nWaiting 0`,
    ]);
    soaked.length = 0;
    // With memory back: every primitive serves, nothing was left queued.
    const after = await rt.run(async (ctx) => {
      const out = [];
      const waiter = rt.createTask(async (c) => {
        await c.wait(lock.acquire());
        return 'acquired';
      });
      lock.release();
      out.push(await ctx.wait(waiter));
      if (!putOk) await ctx.wait(q.put('two'));
      out.push(await ctx.wait(q.get()), await ctx.wait(q.get()), await ctx.wait(ev.wait()), await ctx.wait(sem.acquire()));
      const party = rt.createTask((c) => c.wait(b.wait()));
      out.push(await ctx.wait(b.wait()), await ctx.wait(party));
      cond.release();
      return out;
    });
    assert.deepEqual(after, ['acquired', 'one', 'two', true, true, 0, 1]); // main arrives first
    assertNoStop(reports);
  },

  async 'an item C has no room for (40 MiB) is refused with MemoryError, by putNowait and put alike, and nothing is queued in its place'(log) {
    const { rt, reports } = await smallRuntime(log);
    const q = rt.queue();
    const big = 'y'.repeat(40 * 2 ** 20);
    assert.throws(() => q.putNowait(big), { name: 'MemoryError' });
    assert.equal(q.qsize(), 0, 'not undefined in its place');
    const r = await settle(rt.run((ctx) => ctx.wait(q.put(big))));
    assert.equal(r.error?.name, 'MemoryError');
    assert.equal(q.qsize(), 0);
    assert.throws(() => q.taskDone(), { name: 'ValueError' }, 'nothing counted');
    const bytes = new Uint8Array(40 * 2 ** 20);
    assert.throws(() => q.putNowait(bytes), { name: 'MemoryError' });
    q.putNowait('small');
    assert.equal(await rt.run((ctx) => ctx.wait(q.get())), 'small');
    assertNoStop(reports);
  },
};

await runCases(import.meta.url, 'WASYNCIO_SYNC_MEMORY_CASE', cases, {
  title: 'primitives at the memory limit',
  timeout: 120000,
  before: () => assert.ok(existsSync(smallModule.wasm),
    `${fileURLToPath(smallModule.wasm)} is missing: build it with scripts/build.sh (the wasyncio_small target)`),
});

// Not in a child process: run only by the parent (runCases exits a child
// before this line).
// At a suspension with no room to keep the task's C stack, the core resumes
// the task at once with that MemoryError (src/core/coro.c, run_on_fiber), so
// the primitive's wait takes its waiter back; were the task ended there with
// its frames lost, the lock would wake that dead waiter on release and serve
// nobody after it.
test('a C task whose stack cannot be kept while it waits on a lock fails the acquire with MemoryError and leaves no waiter behind', async () => {
  assert.ok(existsSync(smallModule.wasm));
  const { rt } = await smallRuntime(() => {});
  const lock = rt.lock();
  const ev = rt.event();
  await rt.run((ctx) => ctx.wait(lock.acquire()));
  const giveBack = rt.createTask('give_back_cold', { e: ev });
  await rt.sleep(0);
  const died = await settle(rt.run('lock_wait_cold', { l: lock }));
  assert.equal(died.error?.name, 'MemoryError');
  assert.match(died.error?.message ?? '', /no memory to keep the task's stack/, 'the probe did not reach the suspension it could not keep');
  ev.set();
  await rt.run((ctx) => ctx.wait(giveBack));
  lock.release();
  const next = rt.createTask((ctx) => ctx.wait(lock.acquire()));
  await rt.sleep(10);
  assert.equal(next.done(), true, 'the lock serves the next waiter');
});
