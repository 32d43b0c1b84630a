// rt.close(): asyncio.run's shutdown after main (_cancel_all_tasks), then a
// closed runtime. Expected lines are CPython 3.13's for the same program
// (asyncio.Runner with an exception handler printing what it gets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidStateError } from 'wasyncio';
import { testRuntime } from '../helpers.mjs';

test('close() cancels every pending task in creation order, lets them clean up, reports failures, as asyncio.run', async () => {
  const { rt, lines, errors } = await testRuntime();
  const log = (line) => lines.push(line);
  const worker = (name, ms) => async (ctx) => {
    try {
      log(`start ${name}`);
      await ctx.sleep(ms);
      log(`end ${name}`);
    } catch (error) {
      log(`cancelled ${name}`);
      await ctx.sleep(5);
      log(`cleaned ${name}`);
      throw error;
    }
  };
  const failing = async (ctx) => {
    try {
      await ctx.sleep(10000);
    } finally {
      const error = new Error('in cleanup');
      error.name = 'ValueError';
      throw error; // eslint-disable-line no-unsafe-finally
    }
  };
  await rt.createTask(async (ctx) => {
    rt.createTask(worker('a', 1000));
    rt.createTask(worker('b', 1000));
    rt.createTask(failing, { name: 'failing' });
    await ctx.sleep(10);
    log('main done');
  });
  await rt.close();
  assert.deepEqual(lines, ['start a', 'start b', 'main done', 'cancelled a', 'cancelled b', 'cleaned a', 'cleaned b']);
  assert.deepEqual(errors.map((e) => [e.message, e.error?.name, e.error?.message]), [
    ['unhandled exception during shutdown, in task failing', 'ValueError', 'in cleanup'],
  ]);
});

test('close() cancels C tasks too; afterwards every call says the runtime is closed', async () => {
  const { rt, lines } = await testRuntime();
  const sleeper = rt.createTask('worker', { label: 'c', ms: 1000 });
  await rt.sleep(1);
  const closing = rt.close();
  assert.equal(rt.close(), closing, 'close() again gives the same promise');
  await closing;
  assert.deepEqual(lines, ['start c', 'cancelled c: ']);
  assert.ok(sleeper.cancelled());
  for (const [what, call] of [
    ['createTask', () => rt.createTask('worker', { ms: 1 })],
    ['run', () => rt.createTask(async () => 1)],
    ['sleep', () => rt.sleep(1)],
    ['time', () => rt.time()],
    ['gather', () => rt.gather([])],
    ['taskGroup', () => rt.taskGroup(async () => 1)],
  ]) {
    assert.throws(call, (e) => e instanceof InvalidStateError && /the runtime is closed$/.test(e.message), what);
  }
});

test('await using closes the runtime at the end of the block', async () => {
  let outer;
  {
    const { rt } = await testRuntime();
    outer = rt;
    const dispose = rt[Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')];
    assert.equal(typeof dispose, 'function');
    rt.createTask('worker', { ms: 1000 });
    await dispose.call(rt);
  }
  assert.throws(() => outer.time(), InvalidStateError);
});

test('close() with nothing pending closes at once', async () => {
  const { rt, errors } = await testRuntime();
  assert.equal(await rt.run('greet', { who: 'x' }), 'hello, x');
  await rt.close();
  assert.throws(() => rt.createTask('greet', { who: 'y' }), InvalidStateError);
  assert.deepEqual(errors, []);
});
