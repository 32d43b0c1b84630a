// asyncio.wait and asyncio.as_completed (semantics sheet WT1, WT2): rt.wait
// and rt.asCompleted in JS, wa_wait and wa_as_completed_* in C
// (tests/c/wait_probes.c). Each scenario is one program in three languages:
// tests/structured/wait.py, run by CPython 3.13 on a virtual clock, prints
// the expected lines ("<ms> <text>"); the JS steps below and the C probe
// wait_scenario must print the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CancelledError, InvalidStateError, Task, TimeoutError } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';
import { findPython } from '../coroutines/scenario/harness.mjs';

let cpython;
/** What CPython 3.13 prints for wait.py's scenario `name`. */
function expected(name) {
  if (!cpython) {
    const { cmd, env } = findPython();
    const r = spawnSync(cmd, [fileURLToPath(new URL('./wait.py', import.meta.url))], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    cpython = JSON.parse(r.stdout);
  }
  assert.ok(cpython[name], `wait.py has no scenario ${name}`);
  return cpython[name];
}

/** Waits until no task is pending: what a scenario leaves running prints
 *  too (wait.py lets it end before the next scenario). */
async function drain(rt) {
  while (rt.tasks().length) await rt.sleep(10);
}

/** The C probe's lines for scenario `name`, on a fresh runtime. */
async function inC(name) {
  const { rt, lines, errors } = await testRuntime();
  await rt.run('wait_scenario', { name });
  await drain(rt);
  assert.deepEqual(errors, []);
  return lines;
}

const py = (b) => (b ? 'True' : 'False');

/** Runs body(ctx, kit) as the main JS task of a fresh runtime; kit has
 *  wait.py's helpers. Returns the lines said. */
async function inJs(body) {
  const { rt, errors } = await testRuntime();
  const out = [];
  const t0 = rt.time();
  const say = (text) => out.push(`${rt.time() - t0} ${text}`);
  const job = (name, ms, fail = false) => rt.createTask(async (ctx) => {
    await ctx.sleep(ms);
    if (fail) throw Object.assign(new Error(name), { name: 'ValueError' });
    return name;
  }, { name });
  const ticker = (n) => rt.createTask(async (ctx) => {
    for (let i = 0; i < n; i++) {
      say(`tick${i}`);
      await ctx.sleep(0);
    }
  });
  const names = (set) => `[${[...set].map((t) => t.name).sort().join(',')}]`;
  const outcome = (t) => {
    if (t.cancelled()) return 'cancelled';
    const e = t.exception();
    return e ? `${e.name}: ${e.message}` : `result ${t.result()}`;
  };
  await rt.run((ctx) => body(ctx, { rt, say, job, ticker, names, outcome }));
  await drain(rt);
  assert.deepEqual(errors, []);
  return out;
}

/** The JS steps of each wait.py scenario. */
const scenarios = {
  async return_when(ctx, { rt, say, job, names, outcome }) {
    const [a, b, c] = [job('a', 10), job('b', 20), job('c', 30)];
    let { done, pending } = await ctx.wait(rt.wait([a, b, c], { returnWhen: 'FIRST_COMPLETED' }));
    say(`FIRST_COMPLETED done=${names(done)} pending=${names(pending)}`);
    ({ done, pending } = await ctx.wait(rt.wait(pending)));
    say(`ALL_COMPLETED done=${names(done)} pending=${names(pending)}`);
    const [x, d, e, f] = [job('x', 100), job('d', 10), job('e', 20, true), job('f', 30)];
    rt.createTask(async (c2) => {
      await c2.sleep(5);
      x.cancel();
    });
    ({ done, pending } = await ctx.wait(rt.wait([x, d, e, f], { returnWhen: 'FIRST_EXCEPTION' })));
    say(`FIRST_EXCEPTION done=${names(done)} pending=${names(pending)} e: ${outcome(e)}, x: ${outcome(x)}`);
    const g = job('g', 10, true);
    ({ done, pending } = await ctx.wait(rt.wait([f], { returnWhen: 'FIRST_EXCEPTION' })));
    say(`FIRST_EXCEPTION without errors done=${names(done)} pending=${names(pending)}`);
    const h = job('h', 20);
    ({ done, pending } = await ctx.wait(rt.wait([g, h])));
    say(`ALL_COMPLETED past an error done=${names(done)} pending=${names(pending)} g: ${outcome(g)}`);
  },

  async timeout(ctx, { rt, say, job, names }) {
    const [a, b] = [job('a', 10), job('b', 50)];
    let { done, pending } = await ctx.wait(rt.wait([a, b], { timeout: 20 }));
    say(`timeout done=${names(done)} pending=${names(pending)} b cancelled=${py(b.cancelled())}`);
    say(`b ${await ctx.wait(b)}`);
    const c = job('c', 10);
    ({ done, pending } = await ctx.wait(rt.wait([c], { timeout: 0 })));
    say(`timeout 0 done=${names(done)} pending=${names(pending)}`);
    ({ done, pending } = await ctx.wait(rt.wait([c], { timeout: 30 })));
    say(`timeout not reached done=${names(done)} pending=${names(pending)}`);
  },

  async already_done(ctx, { rt, say, job, ticker, names }) {
    const a = job('a', 0);
    await ctx.sleep(0);
    await ctx.sleep(0);
    say(`a done=${py(a.done())}`);
    ticker(5);
    let { done, pending } = await ctx.wait(rt.wait([a, a], { returnWhen: 'FIRST_COMPLETED' }));
    say(`wait returned done=${names(done)} pending=${names(pending)}`);
    ({ done, pending } = await ctx.wait(rt.wait([a])));
    say(`wait returned done=${names(done)} pending=${names(pending)}`);
  },

  async done_at_resume(ctx, { rt, say, job, names }) {
    const a = job('a', 10);
    const b = rt.createTask(async (c) => {
      await c.sleep(10);
      await c.sleep(0);
      return 'b';
    }, { name: 'b' });
    const { done, pending } = await ctx.wait(rt.wait([a, b], { returnWhen: 'FIRST_COMPLETED' }));
    say(`done=${names(done)} pending=${names(pending)}`);
  },

  async duplicates(ctx, { rt, say, job, names }) {
    const [a, b] = [job('a', 10), job('b', 20)];
    const { done, pending } = await ctx.wait(rt.wait([a, a, b, a]));
    say(`done=${names(done)} (${done.size}) pending=${names(pending)}`);
  },

  async cancel_waiter(ctx, { rt, say, job }) {
    const [a, b] = [job('a', 50), job('b', 60)];
    const w = rt.createTask(async (c) => {
      try {
        await c.wait(rt.wait([a, b]));
      } catch (error) {
        if (error instanceof CancelledError) say('waiter cancelled');
        throw error;
      }
    });
    await ctx.sleep(10);
    w.cancel();
    try {
      await ctx.wait(w);
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
      say(`w cancelled=${py(w.cancelled())}; a cancelled=${py(a.cancelled())} done=${py(a.done())}`);
    }
    const ra = await ctx.wait(a);
    say(`a ${ra}, b ${await ctx.wait(b)}`);
  },

  async errors(ctx, { rt, say }) {
    try {
      rt.wait([]);
    } catch (error) {
      say(`${error.name}: ${error.message}`);
    }
  },

  async ac_order(ctx, { rt, say, job, outcome }) {
    const ts = [job('a', 30), job('b', 10), job('c', 20), job('d', 15, true)];
    for await (const t of rt.asCompleted(ts)) say(`${t.name} ${outcome(t)}`);
    say('end');
  },

  async ac_timeout(ctx, { rt, say, job }) {
    const [a, b, c] = [job('a', 10), job('b', 50), job('c', 60)];
    const it = rt.asCompleted([a, b, c], { timeout: 20 });
    for (let i = 0; i < 4; i++) {
      try {
        const step = await it.next();
        say(step.done ? 'StopAsyncIteration' : `got ${step.value.name}`);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        say('TimeoutError');
      }
    }
    say(`b cancelled=${py(b.cancelled())} done=${py(b.done())}`);
    const rb = await ctx.wait(b);
    say(`b ${rb}, c ${await ctx.wait(c)}`);
  },

  async ac_timeout_from_start(ctx, { rt, say, job }) {
    const [a, b, c] = [job('a', 10), job('b', 15), job('c', 100)];
    const it = rt.asCompleted([a, b, c], { timeout: 20 });
    await ctx.sleep(30);
    try {
      for await (const t of it) say(`got ${t.name}`);
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      say('TimeoutError');
    }
    c.cancel();
  },

  async ac_done_first(ctx, { rt, say, job, ticker }) {
    const a = job('a', 0);
    await ctx.sleep(0);
    await ctx.sleep(0);
    const b = job('b', 10);
    ticker(4);
    for await (const t of rt.asCompleted([b, a, b])) say(`got ${t.name}`);
    say('end');
  },

  async ac_empty(ctx, { rt, say }) {
    let n = 0;
    for await (const t of rt.asCompleted([])) n += t ? 1 : 1;
    say(`${n} items`);
  },

  // The consumer awaits each step with ctx.wait, so that the cancel lands
  // there, as `await anext(it)` in a task.
  async ac_cancel(ctx, { rt, say, job }) {
    const [a, b, c] = [job('a', 10), job('b', 20), job('c', 30)];
    const k = rt.createTask(async (kctx) => {
      const it = rt.asCompleted([a, b, c]);
      for (;;) {
        try {
          const step = await kctx.wait(it.next());
          if (step.done) {
            say('consumer: StopAsyncIteration');
            return;
          }
          say(`consumer got ${step.value.name}`);
        } catch (error) {
          if (!(error instanceof CancelledError)) throw error;
          say('consumer cancelled');
        }
      }
    });
    await ctx.sleep(15);
    k.cancel();
    await ctx.wait(k);
    say(`c cancelled=${py(c.cancelled())} ${await ctx.wait(c)}`);
  },
};

const rules = {
  return_when: 'WT1 return_when: FIRST_COMPLETED, ALL_COMPLETED, FIRST_EXCEPTION (a cancelled task is no exception; none: all), ALL_COMPLETED goes past errors',
  timeout: 'WT1 a timeout cancels nothing and leaves the rest pending; timeout 0 returns at once with nothing done',
  already_done: 'WT1 tasks done already: wait still suspends, two loop iterations, as in CPython; a task given twice counts once',
  done_at_resume: 'WT1 the sets are read when the waiter resumes: a task that ended after the wake-up is in done',
  duplicates: 'WT1 the same task given several times is one task of the sets',
  cancel_waiter: 'WT1 cancelling the waiting task cancels the wait, not the tasks',
  errors: 'WT1 an empty set of tasks is a ValueError with CPython\'s message',
  ac_order: 'WT2 as_completed hands out the tasks themselves in the order they end, a failed one included',
  ac_timeout: 'WT2 after the timeout each call raises TimeoutError until the n calls are made; nothing is cancelled',
  ac_timeout_from_start: 'WT2 the timeout counts from as_completed(), and what ended before it still comes first',
  ac_done_first: 'WT2 a task done already comes first, one iteration later; a task given twice comes once',
  ac_empty: 'WT2 as_completed of nothing ends at once',
  ac_cancel: 'WT2 a cancelled wait in as_completed uses up a call: the item that ended comes next, the last never (as CPython)',
};

for (const [name, rule] of Object.entries(rules)) {
  test(`${rule} [CPython 3.13: wait.py ${name}; JS; C]`, async () => {
    const want = expected(name);
    assert.deepEqual(await inJs(scenarios[name]), want, 'JS');
    assert.deepEqual(await inC(name), want, 'C');
  });
}

// ---- beyond the shared scenarios ----------------------------------------------

const sleeper = (rt, name, ms, value = name) => rt.createTask(async (ctx) => ctx.sleep(ms, value), { name });

test('JS: promises are items too: the sets (and asCompleted) hold the Tasks standing for them; a plain await works', async () => {
  const { rt } = await testRuntime();
  const t = sleeper(rt, 't', 20);
  const { done, pending } = await rt.wait([rt.sleep(10, 'p'), t], { returnWhen: 'FIRST_COMPLETED' });
  assert.equal(rt.time(), 10);
  assert.equal(done.size, 1);
  const [p] = done;
  assert.ok(p instanceof Task);
  assert.equal(p.result(), 'p');
  assert.deepEqual([...pending], [t], 'the Task given, itself');
  const order = [];
  for await (const x of rt.asCompleted([rt.sleep(15, 'late'), sleeper(rt, 'u', 5), rt.sleep(10, 'early')])) {
    assert.ok(x instanceof Task);
    order.push(x.result());
  }
  assert.deepEqual(order, ['u', 'early', 'late']);
});

test('JS: wait and asCompleted check their arguments; unknown options are refused', async () => {
  const { rt } = await testRuntime();
  const t = sleeper(rt, 't', 5);
  assert.throws(() => rt.wait(5), { name: 'TypeError', message: 'wait: items must be an iterable of Tasks or promises, not 5' });
  assert.throws(() => rt.wait([t, 5]), { name: 'TypeError', message: 'wait: item 1: expected a Task or a promise, not 5' });
  assert.throws(() => rt.wait([t], { returnWhen: 'first' }),
    { name: 'RangeError', message: "wait: returnWhen must be 'FIRST_COMPLETED', 'FIRST_EXCEPTION', 'ALL_COMPLETED', not the string \"first\"" });
  assert.throws(() => rt.wait([t], { returnWhen: 0 }), { name: 'TypeError', message: 'wait: returnWhen must be a string, not 0' });
  assert.throws(() => rt.wait([t], { timeout: NaN }), { name: 'RangeError', message: 'wait: timeout is NaN' });
  assert.throws(() => rt.wait([t], { timeout: '5' }), { name: 'TypeError', message: 'wait: timeout must be a number of ms, not the string "5"' });
  assert.throws(() => rt.wait([t], { return_when: 'FIRST_COMPLETED' }),
    { name: 'TypeError', message: "wait: unknown option 'return_when' (it takes returnWhen, timeout, signal)" });
  assert.throws(() => rt.wait([]), { name: 'ValueError', message: 'Set of Tasks/Futures is empty.' });
  assert.throws(() => rt.asCompleted(null), { name: 'TypeError', message: 'asCompleted: items must be an iterable of Tasks or promises, not null' });
  assert.throws(() => rt.asCompleted([t], { timeout: NaN }), { name: 'RangeError', message: 'asCompleted: timeout is NaN' });
  assert.throws(() => rt.asCompleted([t], { signal: new AbortController().signal }),
    { name: 'TypeError', message: "asCompleted: unknown option 'signal' (it takes timeout)" });
  await t;
  await rt.close();
  assert.throws(() => rt.wait([t]), { name: 'InvalidStateError', message: 'wait: the runtime is closed' });
  assert.throws(() => rt.asCompleted([t]), { name: 'InvalidStateError', message: 'asCompleted: the runtime is closed' });
});

test('C: wa_wait and wa_as_completed_* refuse bad arguments with Python\'s errors; freeing an iterator fails its waiter', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('wait_misuse');
  assert.deepEqual(lines, [
    'return_when 7: ValueError: Invalid return_when value: 7',
    'NaN timeout: ValueError: Invalid timeout: NaN (not a number)',
    'NULL task: TypeError: wa_wait: task 0 is NULL',
    'n -1: TypeError: wa_wait: no task array for -1 tasks',
    'as_completed of no array: TypeError: wa_as_completed_new: no task array for 2 tasks',
    'as_completed NaN timeout: ValueError: Invalid timeout: NaN (not a number)',
    'second waiter: RuntimeError: wa_as_completed_next: another task is waiting on this iterator',
    'waiting next: RuntimeError: the as_completed iterator was freed',
  ]);
});

test('JS: cancelling the wait\'s Task, or aborting its signal, cancels the wait alone; its timeout timer goes', async () => {
  const { rt } = await testRuntime();
  const t = sleeper(rt, 't', 50);
  await rt.sleep(1);
  const timers = rt.stats().timers; // t's sleep
  const w = rt.wait([t], { timeout: 1000 });
  assert.equal(rt.stats().timers, timers + 1);
  await rt.sleep(10);
  assert.equal(w.cancel('stop'), true);
  const r = await settle(w);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'stop');
  assert.equal(rt.stats().timers, timers, 'the timeout is stopped');
  assert.equal(t.done(), false);
  const ac = new AbortController();
  const w2 = rt.wait([t], { signal: ac.signal });
  ac.abort('why');
  assert.equal((await settle(w2)).error.message, 'why');
  assert.equal(await t, 't');
  assert.equal(t.cancelled(), false);
  assert.equal(rt.time(), 50);
});

test('asCompleted: tasks done already come out in argument order (CPython: its set\'s order)', async () => {
  const { rt } = await testRuntime();
  const [a, b, c] = [sleeper(rt, 'a', 1), sleeper(rt, 'b', 2), sleeper(rt, 'c', 3)];
  await rt.sleep(5);
  const order = [];
  for await (const t of rt.asCompleted([c, a, b, c])) order.push(t.name);
  assert.deepEqual(order, ['c', 'a', 'b']);
});

test('JS asCompleted: a break ends the iteration, its timeout timer with it; next() while one waits is an InvalidStateError', async () => {
  const { rt } = await testRuntime();
  const ts = [sleeper(rt, 'a', 10), sleeper(rt, 'b', 500), sleeper(rt, 'c', 600)];
  await rt.sleep(1);
  const timers = rt.stats().timers;
  const it = rt.asCompleted(ts, { timeout: 1000 });
  assert.equal(rt.stats().timers, timers + 1);
  const first = it.next();
  assert.throws(() => it.next(), { name: 'InvalidStateError', message: /^asCompleted: next\(\) called while the previous next\(\) still waits/ });
  assert.deepEqual(await first, { value: ts[0], done: false });
  for await (const t of it) {
    assert.equal(t, ts[1]);
    break;
  }
  assert.equal(rt.stats().timers, timers - 2, 'a\'s and b\'s sleeps ended, the timeout is stopped');
  assert.deepEqual(await it.next(), { value: undefined, done: true });
  assert.equal(await ts[2], 'c', 'nothing was cancelled');
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

test('after waits and iterations (timed out, cancelled, broken off) every task and future is freed and no timer is left', async () => {
  const { rt } = await testRuntime();
  const before = rt.stats();
  await (async () => {
    const ts = [sleeper(rt, 'a', 10), sleeper(rt, 'b', 30), rt.createTask('worker', { ms: 20 })];
    await rt.wait(ts, { returnWhen: 'FIRST_COMPLETED' });
    await rt.wait([...ts, rt.sleep(5)], { timeout: 5 });
    const w = rt.wait(ts);
    w.cancel();
    await settle(w);
    for await (const t of rt.asCompleted(ts, { timeout: 25 })) if (t) break;
    await settle((async () => {
      for await (const t of rt.asCompleted(ts, { timeout: 15 })) assert.ok(t);
    })());
    await rt.wait(ts);
    for (const name of Object.keys(rules)) await rt.run('wait_scenario', { name });
    await drain(rt);
  })();
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await rt.sleep(0); // the releases the collector queued
  const after = rt.stats();
  assert.equal(after.tasks, before.tasks, `${after.tasks} tasks alive, ${before.tasks} before`);
  assert.equal(after.timers, before.timers);
});

test('out of memory: when the allocations of wa_wait or of an as_completed iteration fail, from each one on, the call fails with MemoryError and leaves no callback, timer or task behind', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('wait_memory', { what: 'wait' });
  await rt.run('wait_memory', { what: 'as_completed' });
  assert.equal(lines.length, 2, lines.join('\n'));
  for (const [i, what] of ['wait', 'as_completed'].entries()) {
    const m = new RegExp(`^${what}: (\\d+) attempts failed with MemoryError, then one worked$`).exec(lines[i]);
    assert.ok(m, lines[i]);
    assert.ok(Number(m[1]) >= 6, `only ${m[1]} allocations to fail in ${what}`);
  }
});
