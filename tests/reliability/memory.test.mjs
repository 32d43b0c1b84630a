// Memory limits: the test module built with a wasm memory that cannot grow
// past 64 MiB (build/wasyncio_small.*, the wasyncio_small target of
// CMakeLists.txt), filled up on purpose. What must hold at the limit:
//   - only what cannot get memory fails, with an error named MemoryError:
//     createTask throws it synchronously, or the task ends with it;
//   - the runtime never aborts: no RuntimeError ('unreachable', 'Aborted'),
//     no process exit, and onError never says that the module stops;
//   - cancelling the tasks that hold the memory works at the limit
//     (cancellation needs no memory it cannot get);
//   - afterwards the runtime works again: fresh tasks run.
// The limit is reached in two steps: C tasks that sleep, each holding a
// stack slab, until one gets none; then the 'hog' probe (tests/c/probes.c)
// takes every byte malloc still gives, and gives it back on request. At
// the limit the tests observe tasks by polling (done(), cancelled(),
// exception()), which needs no wasm memory; awaiting a task registers a
// callback, which may itself be refused there.
//
// Each test runs in a child process of its own (this file with
// WASYNCIO_MEMORY_CASE=<name>, node --expose-gc), so that an abort shows
// as that test's failure, with what the runtime printed and reported, and
// leaves no broken runtime behind for the next test.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { testRuntime, settle } from '../helpers.mjs';
import { runCases } from './cases.mjs';

const buildDir = process.env.WASYNCIO_BUILD ?? 'build';
const smallModule = {
  factory: () => import(new URL(`../../${buildDir}/wasyncio_small.mjs`, import.meta.url)),
  wasm: new URL(`../../${buildDir}/wasyncio_small.wasm`, import.meta.url),
};
const LIMIT = 64 * 2 ** 20; // -sMAXIMUM_MEMORY of wasyncio_small
const MiB = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const STALL_MS = 10000; // real time without progress that means the runtime stopped

// ---- helpers for the cases (run in the child) --------------------------------

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A runtime on the small module; onError is logged as it comes (an abort
 *  must not swallow it) and kept. On the real clock: on the virtual one a
 *  loop with nothing ready jumps to the next deadline, so the sleepers
 *  holding the memory would wake up and end whenever the test waits. */
async function smallRuntime(log) {
  const reports = [];
  const hogLines = [];
  const { rt } = await testRuntime({
    module: smallModule,
    clock: 'real',
    print: (line) => {
      if (line.startsWith('hog ')) hogLines.push(line);
    },
    onError: (message, error) => {
      const text = error ? `${message}: ${error}` : message;
      if (reports.length < 20) log(`onError: ${text}`);
      reports.push(text);
    },
  });
  return { rt, reports, hogLines };
}

/** Waits, on turns of the event loop, until ready() holds; fails when rt
 *  has made no progress (its stats unchanged) for STALL_MS of real time. */
async function until(ready, what, rt) {
  let last = '';
  let since = performance.now();
  while (!ready()) {
    const now = JSON.stringify(rt.stats());
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since > STALL_MS) {
      throw new Error(`${what}: not yet, and the runtime made no progress for ${STALL_MS} ms of real time; stats ${now}`);
    }
    await turn();
  }
}

/** Collects garbage; FinalizationRegistry callbacks run on later turns. */
async function collect() {
  for (let i = 0; i < 5; i++) {
    await turn();
    globalThis.gc();
    await turn();
  }
}

const isMemoryError = (e) => e instanceof Error && e.name === 'MemoryError';

/** Calls create(); a MemoryError it throws is a refusal (null), anything
 *  else it throws is a failure of the test. */
function tryCreate(create, what) {
  try {
    return create();
  } catch (error) {
    if (isMemoryError(error)) return null;
    throw new assert.AssertionError({ message: `${what} threw ${error?.name}: ${error?.message} (want a MemoryError or a task)` });
  }
}

/** The name of the error a done task ended with, or 'ok', or 'cancelled'. */
function outcome(t) {
  if (t.cancelled()) return 'cancelled';
  const e = t.exception();
  return e ? e.name : 'ok';
}

/** Fills memory to its very limit: C tasks sleeping 1e9 ms, each holding
 *  a stack slab, until a batch gets no slab at all; then the hog (see
 *  tests/c/probes.c, made first, while there was memory) takes every byte
 *  malloc still gives. Checks that only tasks that got no memory failed,
 *  each with a MemoryError. Returns the sleepers and release(), which makes
 *  the hog give its bytes back and end. */
async function fillMemory({ rt, hogLines }, log) {
  assert.ok(rt.coroutines.includes('hog'), `${buildDir}/wasyncio_small has no 'hog' probe: rebuild it (scripts/build.sh)`);
  const hog = rt.createTask('hog', { limit: LIMIT });
  await until(() => rt.stats().ready === 0, 'the hog starting', rt);
  assert.equal(hog.done(), false, 'the hog could not start');
  const sleepers = [];
  let refused = 0;
  let failed = 0;
  const seen = new Set();
  for (let round = 0; round < 800; round++) { // about 1 KB a sleeper: some 60,000 fill 64 MiB
    const batch = [];
    for (let i = 0; i < 250; i++) {
      const t = tryCreate(() => rt.createTask('worker', { ms: 1e9 }), 'createTask(worker)');
      if (t) batch.push(t);
      else refused++;
    }
    await until(() => rt.stats().ready === 0, 'the sleepers starting', rt);
    let started = 0;
    for (const t of batch) {
      if (!t.done()) {
        sleepers.push(t);
        started++;
        continue;
      }
      failed++;
      const why = outcome(t);
      seen.add(why);
      assert.equal(why, 'MemoryError', `a sleeper that could not start ended with ${why}, not a MemoryError`);
    }
    if (started === 0) break;
  }
  const s = rt.stats();
  log(`filled: ${sleepers.length} sleepers hold slabs; ${refused} createTask refused, ${failed} tasks failed (${[...seen].join(', ') || 'none'}); ` +
    `memory ${MiB(s.memory)}, slabs ${s.slabs} (${s.idleSlabs} idle), tasks ${s.tasks}`);
  assert.ok(sleepers.length >= 20000, `only ${sleepers.length} sleepers fit in ${MiB(LIMIT)}`);
  assert.ok(refused + failed > 0, 'the memory never ran out');
  assert.ok(s.memory <= LIMIT);
  // The rest, to the last byte.
  assert.equal(hog.cancel(), true, 'the hog refused its first cancel');
  await until(() => hogLines.length > 0 || hog.done(), 'the hog taking what is left', rt);
  assert.equal(hog.done(), false, `the hog ended: ${hog.done() && outcome(hog)}`);
  log(hogLines[0]);
  assert.ok(sleepers.every((t) => !t.done()), 'a sleeper holding its slab ended');
  const release = async () => {
    assert.equal(hog.cancel(), true, 'the hog refused its second cancel');
    await until(() => hog.done(), 'the hog giving its bytes back', rt);
    assert.equal(outcome(hog), 'cancelled', 'how the hog ended');
  };
  return { sleepers, release };
}

/** Cancels every sleeper (at the limit) and waits until each has ended
 *  cancelled. */
async function cancelAll(rt, sleepers) {
  for (const t of sleepers) {
    let ok;
    try {
      ok = t.cancel();
    } catch (error) {
      throw new assert.AssertionError({ message: `cancel() at the limit threw ${error?.name}: ${error?.message}` });
    }
    assert.equal(ok, true, `${t.name} refused a cancel`);
  }
  await until(() => sleepers.every((t) => t.done()), `the ${sleepers.length} cancelled sleepers ending`, rt);
  const outcomes = new Map();
  for (const t of sleepers) outcomes.set(outcome(t), (outcomes.get(outcome(t)) ?? 0) + 1);
  assert.deepEqual([...outcomes], [['cancelled', sleepers.length]], 'how the cancelled sleepers ended');
}

/** Fresh work runs: a C task and a JS task, and unless just one, a
 *  thousand of each. */
async function freshWorkRuns(rt, what, { justOne = false } = {}) {
  assert.equal(await rt.run('worker', { ms: 1, result: 7 }), 7, `${what}: a C task`);
  assert.equal(await rt.createTask(async (ctx) => ctx.sleep(1, 'js')), 'js', `${what}: a JS task`);
  if (justOne) return;
  const values = await Promise.all(Array.from({ length: 1000 }, (_, i) => rt.createTask('worker', { ms: 1 + (i % 10), result: i })));
  assert.ok(values.every((v, i) => v === i), `${what}: a thousand C tasks`);
  const js = await Promise.all(Array.from({ length: 1000 }, (_, i) => rt.createTask(async (ctx) => ctx.sleep(1, i))));
  assert.ok(js.every((v, i) => v === i), `${what}: a thousand JS tasks`);
}

function assertNoStop(reports) {
  const bad = reports.filter((r) => /module stops|Aborted|unreachable/i.test(r));
  assert.deepEqual(bad, [], 'onError reported that the runtime stopped');
}

// ---- the cases ------------------------------------------------------------------

const cases = {
  async 'sleeping tasks fill memory: only those that cannot get a stack fail, with MemoryError; cancelling them all at the limit works; then fresh tasks run'(log) {
    const runtime = await smallRuntime(log);
    const { rt, reports } = runtime;
    const { sleepers, release } = await fillMemory(runtime, log);
    // At the limit: a C task with a 1 MiB argument is refused, or fails.
    const big = tryCreate(() => rt.createTask('greet', { who: 'x'.repeat(2 ** 20) }), 'createTask(greet, 1 MiB)');
    if (big) await until(() => big.done(), 'greet with 1 MiB at the limit', rt);
    log(`a 1 MiB argument at the limit: ${big ? outcome(big) : 'createTask threw MemoryError'}`);
    if (big) assert.equal(outcome(big), 'MemoryError', 'greet with 1 MiB at the limit');
    // Cancelling needs no memory: every sleeper ends, cancelled.
    await cancelAll(rt, sleepers);
    const s = rt.stats();
    log(`after the cancels: tasks ${s.tasks}, slabs ${s.slabs} (${s.idleSlabs} idle), memory ${MiB(s.memory)}`);
    await release();
    // Memory is fragmented now (the freed slabs are holes between what is
    // still held), so only small things are asked of it.
    await freshWorkRuns(rt, 'with the cancelled handles still held', { justOne: true });
    sleepers.length = 0;
    await collect();
    await freshWorkRuns(rt, 'after the handles were collected');
    assertNoStop(reports);
  },

  async 'at the limit, cancel(msg) still cancels (the message may be lost): a cancel needs no memory'(log) {
    const runtime = await smallRuntime(log);
    const { rt, reports } = runtime;
    const { sleepers, release } = await fillMemory(runtime, log);
    const msg = 'stop now, please';
    const thrown = [];
    for (const t of sleepers) {
      try {
        assert.equal(t.cancel(msg), true, `${t.name} refused a cancel`);
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        thrown.push(`${error?.name}: ${error?.message}`);
      }
    }
    log(`cancel(msg) threw for ${thrown.length} of ${sleepers.length}${thrown.length ? `: ${thrown[0]}` : ''}`);
    assert.deepEqual(thrown.slice(0, 1), [], `cancel(msg) at the limit threw for ${thrown.length} of ${sleepers.length} sleepers`);
    await until(() => sleepers.every((t) => t.done()), `the ${sleepers.length} cancelled sleepers ending`, rt);
    const messages = new Map();
    for (const t of sleepers) {
      assert.equal(t.cancelled(), true, `${t.name} ended with ${outcome(t)}`);
      let message;
      try {
        t.result();
      } catch (error) {
        message = error.message;
      }
      messages.set(message, (messages.get(message) ?? 0) + 1);
    }
    log(`their CancelledError messages: ${JSON.stringify([...messages])}`);
    assert.deepEqual([...messages.keys()].filter((m) => m !== msg && m !== ''), [], 'a CancelledError with another message');
    await release();
    sleepers.length = 0;
    await collect();
    await freshWorkRuns(rt, 'after the cancels');
    assertNoStop(reports);
  },

  async 'at the limit, every call works or fails with MemoryError: tasks, groups, gathers, sleeps, timeouts; nothing aborts'(log) {
    const runtime = await smallRuntime(log);
    const { rt, reports } = runtime;
    const { sleepers, release } = await fillMemory(runtime, log);
    const attempts = {
      'createTask(worker)': () => rt.createTask('worker', { ms: 1, result: 1 }),
      'createTask(async fn)': () => rt.createTask(async () => 2),
      taskGroup: () => rt.taskGroup(async (tg) => {
        tg.createTask('worker', { ms: 1 });
        return 3;
      }),
      gather: () => rt.gather([rt.createTask('worker', { ms: 1, result: 4 })]),
      sleep: () => rt.sleep(1, 5),
      timeout: () => rt.timeout(10, async (ctx) => ctx.sleep(1, 6)),
      // Its nested lists are built as they are reached: memory running out
      // then is a MemoryError, never a ScenarioError about the steps.
      'createTask(scenario)': () => rt.createTask('scenario', { steps: [
        ['try', [['group', Array.from({ length: 50 }, (_, i) => ['spawn', `t${i}`, [['sleep', 1], ['log', `t${i}`]]])],
          ['gather', [['a', [['sleep', 1]]], ['b', [['return', 1]]]], false]], { finally: [['sleep', 1]] }],
        ['return', 7],
      ] }),
    };
    for (const [what, make] of Object.entries(attempts)) {
      let result;
      try {
        const x = make();
        let timer;
        const never = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not settled after ${STALL_MS} ms of real time`)), STALL_MS);
        });
        result = await settle(Promise.race([x, never]).finally(() => clearTimeout(timer)));
      } catch (error) {
        result = { error };
      }
      const shown = result.error ? `${result.error.name}: ${result.error.message}` : `value ${JSON.stringify(result.value)}`;
      log(`${what} at the limit: ${shown}`);
      assert.ok(!result.error || isMemoryError(result.error), `${what} at the limit gave ${shown}, not a value or a MemoryError`);
    }
    // Awaiting a sleeper at the limit: it waits, or is refused at once.
    const awaited = settle(sleepers[0]);
    const early = await Promise.race([awaited, new Promise((resolve) => setTimeout(() => resolve('waiting'), 100))]);
    log(`await a sleeper at the limit: ${early === 'waiting' ? early : early.error ?? early.value}`);
    assert.ok(early === 'waiting' || isMemoryError(early.error), `awaiting a sleeper at the limit gave ${early.error ?? early.value}`);
    await cancelAll(rt, sleepers);
    if (early === 'waiting') assert.equal((await awaited).error?.name, 'CancelledError', 'the await of a cancelled sleeper');
    await release();
    sleepers.length = 0;
    await collect();
    await freshWorkRuns(rt, 'after the limit');
    assertNoStop(reports);
  },

  async 'big string arguments: 40 MiB and 100 MiB to a C coroutine fail with MemoryError (or work), the memory comes back, the runtime goes on'(log) {
    const { rt, reports } = await smallRuntime(log);
    const hello = (n) => `hello, ${'x'.repeat(n)}`.slice(0, 127); // greet's buffer is 128 bytes
    for (const mib of [40, 100]) {
      const who = 'x'.repeat(mib * 2 ** 20);
      const t = tryCreate(() => rt.createTask('greet', { who }), `createTask(greet, ${mib} MiB)`);
      let shown;
      if (!t) {
        shown = 'createTask threw MemoryError';
      } else {
        await until(() => t.done(), `greet with ${mib} MiB`, rt);
        shown = outcome(t) === 'ok' ? `value of ${t.result().length} characters` : outcome(t);
        if (outcome(t) === 'ok') assert.equal(t.result(), hello(who.length));
        else assert.equal(outcome(t), 'MemoryError', `greet with ${mib} MiB ended with ${outcome(t)}`);
      }
      log(`${mib} MiB argument: ${shown}; memory ${MiB(rt.stats().memory)}`);
      if (mib > 64) assert.equal(shown.startsWith('value'), false, `a ${mib} MiB argument cannot fit in ${MiB(LIMIT)}`);
      assert.equal(await rt.run('greet', { who: 'small' }), 'hello, small', `after the ${mib} MiB argument`);
    }
    // What the refusals took was given back: 10 MiB (two copies) fits.
    assert.equal(await rt.run('greet', { who: 'x'.repeat(10 * 2 ** 20) }), hello(10 * 2 ** 20), 'a 10 MiB argument after the big ones');
    await freshWorkRuns(rt, 'after the big arguments');
    assertNoStop(reports);
  },

  async 'a JS task whose result is a 40 MiB string: it resolves with it or fails with MemoryError; nothing aborts'(log) {
    const { rt, reports } = await smallRuntime(log);
    const big = 'y'.repeat(40 * 2 ** 20);
    const t = rt.createTask(async () => big);
    await until(() => t.done(), 'the JS task', rt);
    const o = outcome(t);
    log(`a JS task returning 40 MiB: ${o}; memory ${MiB(rt.stats().memory)}`);
    if (o === 'ok') assert.equal(t.result(), big);
    else assert.equal(o, 'MemoryError');
    await freshWorkRuns(rt, 'after the big result');
    assertNoStop(reports);
  },
};

// ---- the tests: each case in a child process ------------------------------------

await runCases(import.meta.url, 'WASYNCIO_MEMORY_CASE', cases, {
  title: 'memory limits',
  timeout: 120000,
  before: () => assert.ok(existsSync(smallModule.wasm),
    `${fileURLToPath(smallModule.wasm)} is missing: build it with scripts/build.sh (the wasyncio_small target)`),
});
