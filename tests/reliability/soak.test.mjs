// Leak and soak checks: every kind of task the API makes, spawned and ended
// in batches (about BATCH tasks in flight at a time) on the virtual clock,
// with forced garbage collections during the run and at the end. Afterwards
// nothing may be left: rt.stats().tasks is back at its baseline (a task is
// freed once the runtime is done with it and its JS handle is collected),
// nothing is ready or waiting on a timer, no slab is held, and wasm memory
// is at most MEMORY_SLACK above what it was after the first batch (the
// memory one batch needs is what the whole run may use; the slack covers
// garbage that waits for the next collection and the slab pool).
//
// WASYNCIO_SOAK=n spawns n tasks of each kind (default 20,000, a few
// seconds a kind; WASYNCIO_SOAK=1000000 is the full soak). A task group or a
// gather counts as the tasks it makes. Each kind prints its time and memory
// as a diagnostic (the ℹ lines of the spec reporter) for the record.
//
// The tests named 'known bug' pin down, at a small count each, failures
// the soak found.
//
// Each test runs in a child process of its own (node --expose-gc, this file
// with WASYNCIO_SOAK_CASE=<name>), two at a time unless WASYNCIO_SOAK is
// given: a runtime that corrupts its memory or stalls takes down that test
// only, not the ones after it (a broken runtime's FinalizationRegistry
// callbacks still call into its wasm when a later test collects garbage).
import assert from 'node:assert/strict';
import { ExceptionGroup } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';
import { runCases } from './cases.mjs';

const COUNT = soakCount(process.env.WASYNCIO_SOAK);
const BATCH = 1000; // tasks in flight at a time
const GC_EVERY = 2; // batches between forced collections
const MEMORY_SLACK = 16 * 2 ** 20;
const STALL_MS = 5000; // real time without progress that means the runtime stopped
const MiB = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function soakCount(text) {
  if (text === undefined || text === '') return 20000;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`WASYNCIO_SOAK must be a positive integer, not ${JSON.stringify(text)}`);
  return n;
}

// ---- helpers for the cases (run in the child) --------------------------------

/** Collects garbage until rt's tasks are back at baseline or stop going
 *  down for several rounds: FinalizationRegistry callbacks run on later
 *  turns of the event loop (later still on a loaded machine), and a task
 *  they free may free errors that free more. */
async function collect(rt, baseline = 0) {
  let last = Infinity;
  let stale = 0;
  for (let round = 0; round < 40 && stale < 6; round++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 2 ** stale)); // 1 ms, then up to 32 ms
    await new Promise((resolve) => setImmediate(resolve));
    const { tasks } = rt.stats();
    if (tasks <= baseline) return;
    stale = tasks < last ? 0 : stale + 1;
    last = tasks;
  }
}

/** Settles as promise does, or rejects when rt has made no progress (its
 *  stats and clock unchanged) for STALL_MS of real time: the runtime
 *  stopped without settling promise. A loaded machine makes a run slow,
 *  not stalled. */
function unlessStalled(promise, what, rt) {
  let timer;
  const stalled = new Promise((_, reject) => {
    let last = '';
    timer = setInterval(() => {
      const now = `${JSON.stringify(rt.stats())}, time ${rt.time()}`;
      if (now === last) reject(new Error(`${what}: the runtime made no progress for ${STALL_MS} ms of real time; stats ${now}`));
      last = now;
    }, STALL_MS);
  });
  return Promise.race([promise, stalled]).finally(() => clearInterval(timer));
}

/** Until promise settles, forces a collection on a turn of the event loop
 *  (the runtime pumps on those turns too) every few ms; returns how many. */
async function collectWhile(promise, everyMs = 2) {
  let settled = false;
  const done = promise.then(() => { settled = true; }, () => { settled = true; });
  let rounds = 0;
  let last = 0;
  while (!settled) {
    if (performance.now() - last >= everyMs) {
      globalThis.gc();
      rounds++;
      last = performance.now();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  return rounds;
}

/** A runtime on the test module and the virtual clock that counts what it
 *  prints and reports instead of keeping it (a million lines would be
 *  memory the soak did not mean to measure). */
async function quietRuntime() {
  const counts = { printed: 0, neverRetrieved: 0, other: [] };
  const { rt } = await testRuntime({
    print: () => {
      counts.printed++;
    },
    onError: (message, error) => {
      if (message.startsWith('Task exception was never retrieved: ')) counts.neverRetrieved++;
      else if (counts.other.length < 5) counts.other.push(error ? `${message}: ${error}` : message);
    },
  });
  return { rt, counts };
}

function check(condition, message) {
  if (!condition) throw new assert.AssertionError({ message });
}

// ---- the kinds ---------------------------------------------------------------
// batch(rt, first, n) runs items first..first+n-1, all ended when it
// returns, and checks what each gave. tasks: how many tasks an item makes.
// prints: false when no C body may run (cancelled before it starts).
// unread: its failures are never read, so each is reported once as
// "never retrieved" when its task is freed.

const kinds = [
  {
    name: 'C tasks that succeed',
    async batch(rt, first, n) {
      const tasks = [];
      for (let i = first; i < first + n; i++) tasks.push(rt.createTask('worker', { ms: 1 + (i % 7), result: i }));
      const values = await Promise.all(tasks);
      values.forEach((v, k) => check(v === first + k, `worker ${first + k} gave ${v}`));
    },
  },
  {
    name: 'C tasks that fail',
    async batch(rt, first, n) {
      const outcomes = [];
      for (let i = first; i < first + n; i++) {
        outcomes.push(settle(rt.createTask('fail', { ms: 1 + (i % 5), type: 'ValueError', message: `m${i}` })));
      }
      (await Promise.all(outcomes)).forEach(({ error }, k) => {
        check(error?.name === 'ValueError' && error.message === `m${first + k}`, `fail ${first + k} gave ${error}`);
      });
    },
  },
  {
    name: 'C tasks cancelled while they sleep',
    async batch(rt, first, n) {
      const tasks = [];
      for (let i = first; i < first + n; i++) tasks.push(rt.createTask('worker', { ms: 1e6 }));
      await rt.sleep(1); // every one has started and sleeps
      const outcomes = tasks.map((t) => {
        check(t.cancel() === true, `${t.name} could not be cancelled`);
        return settle(t);
      });
      (await Promise.all(outcomes)).forEach(({ error }) => {
        check(error?.name === 'CancelledError', `a cancelled worker gave ${error}`);
      });
    },
  },
  {
    name: 'C tasks cancelled before they start',
    prints: false,
    async batch(rt, first, n) {
      const names = [];
      for (let i = first; i < first + n; i++) {
        const t = rt.createTask('job', { task_id: i, sleep_ms: 10 });
        t.cancel();
        names.push(t.catch((e) => e.name));
      }
      (await Promise.all(names)).forEach((name) => check(name === 'CancelledError', `a job cancelled before it started gave ${name}`));
    },
  },
  {
    name: 'JS tasks that succeed',
    async batch(rt, first, n) {
      const tasks = [];
      for (let i = first; i < first + n; i++) {
        tasks.push(rt.createTask(async (ctx) => {
          await ctx.sleep(1 + (i % 3));
          return i;
        }));
      }
      const values = await Promise.all(tasks);
      values.forEach((v, k) => check(v === first + k, `JS task ${first + k} gave ${v}`));
    },
  },
  {
    name: 'JS tasks that fail, awaited with .catch',
    async batch(rt, first, n) {
      const messages = [];
      for (let i = first; i < first + n; i++) {
        messages.push(rt.createTask(async (ctx) => {
          if (i % 2) await ctx.sleep(1);
          throw new Error(`boom ${i}`);
        }).catch((e) => e.message));
      }
      (await Promise.all(messages)).forEach((m, k) => check(m === `boom ${first + k}`, `JS task ${first + k} gave ${m}`));
    },
  },
  {
    name: 'JS tasks that fail, never read',
    unread: true,
    async batch(rt, first, n) {
      const tasks = [];
      for (let i = first; i < first + n; i++) {
        tasks.push(rt.createTask(async (ctx) => {
          if (i % 2) await ctx.sleep(1);
          throw new Error(`boom ${i}`);
        }));
      }
      await rt.sleep(5); // done() does not read the error
      check(tasks.every((t) => t.done()), 'JS tasks still running after 5 ms');
    },
  },
  {
    name: 'JS tasks cancelled before they start',
    async batch(rt, first, n) {
      let ran = 0;
      const outcomes = [];
      for (let i = first; i < first + n; i++) {
        const t = rt.createTask(async () => {
          ran++;
          return 1;
        });
        t.cancel();
        outcomes.push(settle(t));
      }
      (await Promise.all(outcomes)).forEach(({ error }) => {
        check(error?.name === 'CancelledError', `a JS task cancelled before it started gave ${error}`);
      });
      check(ran === 0, `${ran} JS functions ran although their task was cancelled before it started`);
    },
  },
  {
    name: 'task groups that succeed (a C and a JS child)',
    tasks: 3,
    async batch(rt, first, n) {
      const groups = [];
      for (let i = first; i < first + n; i++) {
        groups.push(rt.taskGroup(async (tg) => {
          tg.createTask('worker', { ms: 1 + (i % 5) });
          tg.createTask(async (ctx) => ctx.sleep(2, i));
          return i;
        }));
      }
      const values = await Promise.all(groups);
      values.forEach((v, k) => check(v === first + k, `group ${first + k} gave ${v}`));
    },
  },
  {
    name: 'task groups where a child fails (the others and the body cancelled)',
    tasks: 4,
    async batch(rt, first, n) {
      const outcomes = [];
      for (let i = first; i < first + n; i++) {
        outcomes.push(settle(rt.taskGroup(async (tg) => {
          tg.createTask('worker', { ms: 1e6 });
          tg.createTask('fail', { ms: 1 + (i % 3), type: 'ValueError', message: `child ${i}` });
          tg.createTask(async (ctx) => ctx.sleep(1e6));
          await tg.sleep(1e6); // cancelled by the failure
          return i;
        })));
      }
      (await Promise.all(outcomes)).forEach(({ error }, k) => {
        const ok = error instanceof ExceptionGroup && error.errors.length === 1 &&
          error.errors[0].name === 'ValueError' && error.errors[0].message === `child ${first + k}`;
        check(ok, `group ${first + k} gave ${error} ${error?.errors ?? ''}`);
      });
    },
  },
  {
    name: 'gathers of C tasks, one failing (returnExceptions false and true in turn)',
    tasks: 3,
    async batch(rt, first, n) {
      const outcomes = [];
      for (let i = first; i < first + n; i++) {
        const ok = rt.createTask('worker', { ms: 2, result: i });
        const bad = rt.createTask('fail', { ms: 1, type: 'ValueError', message: `g${i}` });
        const returnExceptions = i % 2 === 1;
        // Without returnExceptions the gather fails first and ok runs on (G2).
        outcomes.push(Promise.all([settle(rt.gather([ok, bad], { returnExceptions })), ok]).then(([{ value, error }, v]) => {
          const good = returnExceptions
            ? value?.[0] === i && value[1]?.name === 'ValueError' && value[1].message === `g${i}`
            : error?.name === 'ValueError' && error.message === `g${i}`;
          check(good && v === i, `gather ${i} (returnExceptions ${returnExceptions}) gave ${error ?? value}`);
        }));
      }
      await Promise.all(outcomes);
    },
  },
];

async function soak(kind, log) {
  const { rt, counts } = await quietRuntime();
  const perItem = kind.tasks ?? 1;
  const items = Math.ceil(COUNT / perItem);
  const batch = Math.max(1, Math.floor(BATCH / perItem));
  const base = rt.stats();
  const start = performance.now();
  let afterFirst = null;
  let peakTasks = 0;
  let collections = 0;
  for (let done = 0, b = 0; done < items; b++) {
    const n = Math.min(batch, items - done);
    await unlessStalled(kind.batch(rt, done, n), `batch ${b} (items ${done}..${done + n - 1})`, rt);
    done += n;
    peakTasks = Math.max(peakTasks, rt.stats().tasks);
    if (b === 0 || (b % GC_EVERY === 0 && done < items)) {
      await collect(rt, base.tasks);
      collections++;
      if (b === 0) afterFirst = rt.stats();
    }
  }
  const elapsed = performance.now() - start;
  const beforeLast = rt.stats().tasks;
  await collect(rt, base.tasks);
  const end = rt.stats();
  log(`${kind.name}: ${items * perItem} tasks (${items} items) in ${elapsed.toFixed(0)} ms, ` +
    `${Math.round(items * perItem / elapsed * 1000)} tasks/s, ${collections + 1} forced collections`);
  log(`  tasks alive: peak ${peakTasks}, before the last collection ${beforeLast}, after it ${end.tasks} (baseline ${base.tasks})`);
  log(`  wasm memory: ${MiB(base.memory)} at start, ${MiB(afterFirst.memory)} after the first batch, ${MiB(end.memory)} at the end; ` +
    `slabs ${end.slabs} (${end.idleSlabs} idle); JS heap ${MiB(process.memoryUsage().heapUsed)}`);
  assert.equal(end.tasks, base.tasks, `${end.tasks - base.tasks} tasks still alive after the last collection`);
  assert.equal(end.ready, 0, 'handles still ready');
  assert.equal(end.timers, 0, 'timers still pending');
  assert.equal(end.slabs - end.idleSlabs, 0, 'slabs still held by tasks');
  assert.ok(end.memory <= afterFirst.memory + MEMORY_SLACK,
    `wasm memory grew from ${MiB(afterFirst.memory)} after the first batch to ${MiB(end.memory)} (bound: + ${MiB(MEMORY_SLACK)})`);
  if (kind.prints === false) assert.equal(counts.printed, 0, 'a C coroutine ran although its task was cancelled before it started');
  assert.deepEqual(counts.other, [], 'unexpected reports to onError');
  assert.equal(counts.neverRetrieved, kind.unread ? items : 0,
    kind.unread ? 'each unread failure is reported once as never retrieved, when freed' : 'no failure went unread');
}

// ---- known bugs, one small case each -------------------------------------------

const knownBugs = {
  async 'task groups collected by the GC while they exit: each settles with its value, no wasm trap'(log) {
    const { rt, counts } = await quietRuntime();
    const N = 2000;
    const groups = [];
    for (let i = 0; i < N; i++) {
      groups.push(rt.taskGroup(async (tg) => {
        tg.createTask('job', { task_id: i, sleep_ms: 10 });
        return i; // tg is garbage from here on; the group still waits for job
      }));
    }
    const all = unlessStalled(Promise.all(groups.map((g) => settle(g))), `${N} task groups`, rt);
    groups.length = 0; // the handles go when the groups end
    const rounds = await collectWhile(all);
    log(`${rounds} collections while ${N} groups ran`);
    const wrong = (await all).map((o, i) => (o.error || o.value !== i ? `group ${i} gave ${o.error ?? o.value}` : null)).filter(Boolean);
    assert.deepEqual(wrong.slice(0, 3), [], `${wrong.length} of ${N} groups did not settle with their value`);
    await collect(rt);
    assert.equal(rt.stats().tasks, 0, 'tasks not freed');
    assert.deepEqual(counts.other, []);
  },

  async '10,000 C tasks cancelled before they start, each awaited with .catch, are freed'(log) {
    const { rt, counts } = await quietRuntime();
    const N = 10000;
    const run = async () => {
      for (let i = 0; i < N; i++) {
        const t = rt.createTask('job', { task_id: i, sleep_ms: 10 });
        t.cancel();
        const name = await t.catch((e) => e.name);
        if (name !== 'CancelledError') throw new Error(`task ${i} gave ${name}`);
        if (i % 2500 === 2499) await collect(rt);
      }
    };
    await unlessStalled(run(), `${N} cancelled tasks`, rt);
    const before = rt.stats().tasks;
    await collect(rt);
    log(`tasks alive: ${before} before the last collection, ${rt.stats().tasks} after`);
    assert.equal(rt.stats().tasks, 0, 'cancelled tasks not freed');
    assert.equal(counts.printed, 0, 'a job ran although cancelled before it started');
    assert.equal(rt.stats().ready + rt.stats().timers, 0);
  },

  async 'failed JS tasks whose error nobody reads are freed (and reported once each)'(log) {
    const { rt, counts } = await quietRuntime();
    const N = 2000;
    const run = async () => {
      for (let i = 0; i < N; i++) {
        rt.createTask(async (ctx) => {
          if (i % 2) await ctx.sleep(1);
          throw new Error(`unread ${i}`);
        });
      }
      await rt.sleep(5);
    };
    await unlessStalled(run(), `${N} failing JS tasks`, rt);
    await collect(rt);
    log(`tasks alive after collection: ${rt.stats().tasks}; reported never retrieved: ${counts.neverRetrieved}`);
    assert.equal(rt.stats().tasks, 0, 'failed JS tasks not freed');
    assert.equal(counts.neverRetrieved, N, 'each unread failure is reported when its task is freed');
  },

  async '10,000 JS tasks cancelled before they start, never awaited, are freed'(log) {
    const { rt } = await quietRuntime();
    const N = 10000;
    let ran = 0;
    const run = async () => {
      for (let i = 0; i < N; i++) {
        rt.createTask(async () => {
          ran++;
          return 1;
        }).cancel();
      }
      await rt.sleep(1);
    };
    await unlessStalled(run(), `${N} cancelled JS tasks`, rt);
    await collect(rt);
    log(`tasks alive after collection: ${rt.stats().tasks}`);
    assert.equal(ran, 0, 'a JS function ran although its task was cancelled before it started');
    assert.equal(rt.stats().tasks, 0, 'cancelled JS tasks not freed');
    assert.equal(rt.stats().ready + rt.stats().timers, 0);
  },

  async 'after 10,000 concurrent sleepers end, the slab pool is trimmed'(log) {
    const { rt } = await quietRuntime();
    const N = 10000;
    const wave = async () => {
      const sleepers = [];
      for (let i = 0; i < N; i++) sleepers.push(rt.createTask('worker', { ms: 10 }));
      await rt.sleep(1);
      const peak = rt.stats();
      await Promise.all(sleepers);
      return peak;
    };
    const peak = await unlessStalled(wave(), `${N} sleepers`, rt);
    await rt.sleep(0);
    await collect(rt);
    const end = rt.stats();
    log(`slabs ${peak.slabs} while ${N} slept (memory ${MiB(peak.memory)}); after: ${end.slabs} (${end.idleSlabs} idle)`);
    assert.equal(peak.slabs, N, 'each sleeper holds a slab');
    assert.equal(end.tasks, 0);
    assert.equal(end.slabs, end.idleSlabs, 'slabs held by tasks that ended');
    assert.ok(end.idleSlabs <= 1024, `the pool keeps ${end.idleSlabs} idle slabs (bound: 1024)`);
    // The memory the pool gave back is reused: a second wave needs no more.
    await unlessStalled(wave(), 'a second wave', rt);
    const again = rt.stats().memory;
    log(`memory after a second wave: ${MiB(again)}`);
    assert.ok(again <= peak.memory + MEMORY_SLACK, `memory grew from ${MiB(peak.memory)} to ${MiB(again)} for a second wave`);
  },
};

// ---- the tests: each case in a child process ------------------------------------

const cases = new Map([
  ...kinds.map((kind) => [`soak: ${COUNT} tasks of ${kind.name}; all freed, memory bounded`, (log) => soak(kind, log)]),
  ...Object.entries(knownBugs).map(([name, fn]) => [`known bug: ${name}`, fn]),
]);

// Two cases at a time (a core each) at the default count; one at a time
// when WASYNCIO_SOAK is given, so that the figures of a recorded soak are
// undisturbed.
await runCases(import.meta.url, 'WASYNCIO_SOAK_CASE', cases, {
  title: 'soak and leak checks',
  timeout: Math.max(180000, COUNT / 20000 * 180000),
  concurrency: process.env.WASYNCIO_SOAK ? 1 : 2,
});
