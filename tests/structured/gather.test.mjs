// rt.gather over C tasks, JS tasks and promises (semantics sheet, section
// 4). A promise stands for a plain future settled by a timer. Expected
// results were produced by the equivalent programs in CPython 3.13.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, Task } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';

function named(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

// A promise that rejects with error after ms of loop time.
function rejectAfter(rt, ms, error) {
  return rt.sleep(ms).then(() => {
    throw error;
  });
}

test('G1 results in argument order whatever the finishing order: C task, JS task, promise', async () => {
  const { rt, lines } = await testRuntime();
  const g = rt.gather([
    rt.createTask('worker', { label: 'c', ms: 30 }),
    rt.createTask(async (ctx) => ctx.sleep(10, 'js')),
    rt.sleep(20, 'p'),
  ]);
  assert.ok(g instanceof Task);
  assert.deepEqual(await g, [30, 'js', 'p']);
  assert.equal(rt.time(), 30);
  assert.deepEqual(lines, ['start c', 'end c']);
  assert.deepEqual(g.result(), [30, 'js', 'p']);
});

test('G1 returnExceptions: each error sits in its slot; JS errors and rejections are the objects thrown', async () => {
  const { rt } = await testRuntime();
  const jsError = named('RangeError_', 'js');
  const promiseError = named('KeyError_', 'p');
  const results = await rt.gather([
    rt.createTask('worker', { label: 'c', ms: 30 }),
    rt.createTask(async (ctx) => {
      await ctx.sleep(10);
      throw jsError;
    }),
    rt.createTask('fail', { ms: 5, type: 'ValueError', message: 'c' }),
    rejectAfter(rt, 20, promiseError),
    rt.sleep(1, 'ok'),
  ], { returnExceptions: true });
  assert.equal(results.length, 5);
  assert.equal(results[0], 30);
  assert.equal(results[1], jsError);
  assert.equal(`${results[2].name}: ${results[2].message}`, 'ValueError: c');
  assert.ok(results[2] instanceof Error);
  assert.equal(results[3], promiseError);
  assert.equal(results[4], 'ok');
  assert.equal(rt.time(), 30);
});

test('G2 the first error reaches the awaiter at once; the other children are not cancelled and run to the end', async () => {
  const { rt, lines } = await testRuntime();
  const first = named('RangeError_', 'first');
  const c = rt.createTask('worker', { label: 'w', ms: 30 });
  const seen = [];
  const j = rt.createTask(async (ctx) => {
    await ctx.sleep(50);
    seen.push(`js50 end at ${rt.time()}`);
    return 'js50';
  });
  const g = rt.gather([c, rt.createTask(async (ctx) => {
    await ctx.sleep(10);
    throw first;
  }), j]);
  const awaiter = rt.createTask(async (ctx) => {
    try {
      await ctx.wait(g);
    } catch (error) {
      return [error, rt.time(), c.done(), j.done()];
    }
  });
  const [error, time, cDone, jDone] = await awaiter;
  assert.equal(error, first);
  assert.equal(time, 10);
  assert.deepEqual([cDone, jDone], [false, false]);
  await rt.sleep(50);
  assert.deepEqual([c.result(), j.result(), c.cancelled(), j.cancelled()], [30, 'js50', false, false]);
  assert.deepEqual(lines, ['start w', 'end w']);
  assert.deepEqual(seen, ['js50 end at 50']);
  assert.equal(g.done(), true);
});

test('G3 children run and the gather completes whether or not it is awaited', async () => {
  const { rt, lines } = await testRuntime();
  const seen = [];
  const g = rt.gather([
    rt.createTask('worker', { label: 'w', ms: 20 }),
    rt.createTask(async (ctx) => {
      seen.push('js start');
      await ctx.sleep(10);
      return 'js';
    }),
  ]);
  await rt.sleep(30);
  assert.equal(g.done(), true);
  assert.deepEqual(g.result(), [20, 'js']);
  assert.deepEqual(lines, ['start w', 'end w']);
  assert.deepEqual(seen, ['js start']);
});

test('G4 cancelling the gather cancels every unfinished child with the message; the awaiter gets CancelledError even with returnExceptions', async () => {
  for (const returnExceptions of [false, true]) {
    const { rt, lines } = await testRuntime();
    const seen = [];
    const c = rt.createTask('worker', { label: 'w', ms: 100 });
    const j = rt.createTask(async (ctx) => {
      try {
        await ctx.sleep(100);
      } catch (error) {
        seen.push(`js cancelled ${JSON.stringify(error.message)}`);
        throw error;
      }
    });
    const quick = rt.createTask('worker', { label: 'quick', ms: 5 });
    const g = rt.gather([c, j, quick, rt.sleep(100, 'p')], { returnExceptions });
    const awaiter = rt.createTask(async (ctx) => {
      try {
        return await ctx.wait(g);
      } catch (error) {
        return [error, rt.time()];
      }
    });
    await rt.sleep(10);
    assert.equal(g.cancel('stop'), true, `${returnExceptions}`);
    const [error, time] = await awaiter;
    assert.ok(error instanceof CancelledError, `${returnExceptions}`);
    assert.equal(error.message, 'stop', `${returnExceptions}`);
    assert.equal(time, 10, `${returnExceptions}`);
    assert.deepEqual([c.cancelled(), j.cancelled(), quick.result()], [true, true, 5], `${returnExceptions}`);
    assert.deepEqual(lines, ['start w', 'start quick', 'end quick', 'cancelled w: stop'], `${returnExceptions}`);
    assert.deepEqual(seen, ['js cancelled "stop"'], `${returnExceptions}`);
    assert.equal(g.cancel(), false, 'cancel() after done');
  }
});

test('G4 G5 as in CPython, a gather that ends with a CancelledError has it set as its exception: cancelled() false, exception() returns it', async () => {
  const { rt } = await testRuntime();
  const g = rt.gather([rt.createTask('worker', { ms: 100 })], { returnExceptions: true });
  await rt.sleep(10);
  g.cancel('stop');
  const r = await settle(g);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'stop');
  assert.equal(g.done(), true);
  assert.equal(g.cancelled(), false);
  const e = g.exception();
  assert.ok(e instanceof CancelledError);
  assert.equal(e.message, 'stop');
  // G5: a gather ended by one child's own cancellation is the same.
  const a = rt.createTask('worker', { ms: 100 });
  const g5 = rt.gather([a]);
  await rt.sleep(10);
  a.cancel('alone');
  await settle(g5);
  assert.equal(g5.cancelled(), false);
  assert.equal(g5.exception()?.message, 'alone');
});

test('G4 a JS task awaiting a gather is cancelled: the cancel reaches the children', async () => {
  const { rt, lines } = await testRuntime();
  const c = rt.createTask('worker', { label: 'w', ms: 100 });
  const outer = rt.createTask(async (ctx) => ctx.wait(rt.gather([c], { returnExceptions: true })));
  await rt.sleep(10);
  outer.cancel('from outer');
  const r = await settle(outer);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'from outer');
  assert.equal(outer.cancelled(), true);
  assert.equal(c.cancelled(), true);
  assert.deepEqual(lines, ['start w', 'cancelled w: from outer']);
});

test('G5 one child cancelled on its own, returnExceptions false: the awaiter gets CancelledError at once, the others run on', async () => {
  const { rt, lines } = await testRuntime();
  const a = rt.createTask('worker', { label: 'a', ms: 100 });
  const b = rt.createTask('worker', { label: 'b', ms: 30 });
  const j = rt.createTask(async (ctx) => ctx.sleep(40, 'js'));
  const g = rt.gather([a, b, j]);
  await rt.sleep(10);
  a.cancel('alone');
  const r = await settle(g);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'alone');
  assert.equal(rt.time(), 10);
  assert.deepEqual([b.done(), j.done()], [false, false]);
  await rt.sleep(50);
  assert.deepEqual([b.result(), j.result()], [30, 'js']);
  assert.deepEqual(lines, ['start a', 'start b', 'cancelled a: alone', 'end b']);
});

test('G5 one child cancelled on its own, returnExceptions true: a CancelledError (without the message) sits in its slot', async () => {
  const { rt, lines } = await testRuntime();
  const a = rt.createTask('worker', { label: 'a', ms: 100 });
  const b = rt.createTask('worker', { label: 'b', ms: 30 });
  const j = rt.createTask(async (ctx) => ctx.sleep(40, 'js'));
  const g = rt.gather([a, b, j], { returnExceptions: true });
  await rt.sleep(10);
  a.cancel('alone');
  const results = await g;
  assert.equal(rt.time(), 40);
  assert.equal(results.length, 3);
  assert.ok(results[0] instanceof CancelledError);
  assert.equal(results[0].message, '');
  assert.deepEqual(results.slice(1), [30, 'js']);
  assert.deepEqual(lines, ['start a', 'start b', 'cancelled a: alone', 'end b']);
  assert.equal(g.cancelled(), false);
});

test('G5 a JS child cancelled on its own, returnExceptions true: CancelledError in its slot', async () => {
  const { rt } = await testRuntime();
  const j = rt.createTask(async (ctx) => ctx.sleep(100));
  const g = rt.gather([j, rt.createTask('worker', { label: 'q', ms: 1 })], { returnExceptions: true });
  await rt.sleep(10);
  j.cancel('js alone');
  const results = await g;
  assert.ok(results[0] instanceof CancelledError);
  assert.equal(results[0].message, '');
  assert.equal(results[1], 1);
});

test('G6 gather of nothing is [] and done at once', async () => {
  const { rt } = await testRuntime();
  const g = rt.gather([]);
  assert.equal(g.done(), true);
  assert.deepEqual(g.result(), []);
  assert.deepEqual(await rt.gather([]), []);
});

test('G6 the same task twice runs once, its result repeated; cancel() after done is false', async () => {
  const { rt, lines } = await testRuntime();
  let ran = 0;
  const t = rt.createTask('worker', { label: 'once', ms: 5 });
  const j = rt.createTask(async (ctx) => {
    ran++;
    await ctx.sleep(5);
    return 'js';
  });
  const g = rt.gather([t, t, j, j]);
  assert.deepEqual(await g, [5, 5, 'js', 'js']);
  assert.equal(ran, 1);
  assert.deepEqual(lines, ['start once', 'end once']);
  assert.equal(g.cancel(), false);
  assert.equal(g.cancelled(), false);
});
