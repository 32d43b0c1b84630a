// rt.close(): asyncio.run's shutdown after main (_cancel_all_tasks), then a
// closed runtime. Expected lines are CPython 3.13's for the same program
// (asyncio.Runner with an exception handler printing what it gets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, InvalidStateError } from 'wasyncio';
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

// asyncio.run(main()) on CPython 3.13, the same program (tasks in the
// same order, sleeps in ms):
//   ['start a', 'step 0', 'main done', 'step 1', 'cancelled a', 'cleaned a', 'result 42']
//   ['start x', 'cancelled x', 'cleaned x', 'raised main failed']
// "step 1": main's done callback stops the loop, which first finishes that
// iteration, so a task already queued in it runs once more before the
// cancel reaches it.
function programs(rt, lines) {
  const worker = (name, ms) => async (ctx) => {
    lines.push(`start ${name}`);
    try {
      await ctx.sleep(ms);
      lines.push(`done ${name}`);
    } catch (error) {
      if (error instanceof CancelledError) lines.push(`cancelled ${name}`);
      throw error;
    } finally {
      lines.push(`cleaned ${name}`);
    }
  };
  const stepper = async (ctx) => {
    for (let i = 0; i < 5; i++) {
      lines.push(`step ${i}`);
      await ctx.sleep(0);
    }
  };
  return {
    main: async (ctx) => {
      rt.createTask(worker('a', 1000));
      rt.createTask(stepper);
      await ctx.sleep(0);
      lines.push('main done');
      return 42;
    },
    failingMain: async (ctx) => {
      rt.createTask(worker('x', 1000));
      await ctx.sleep(0);
      throw new RangeError('main failed');
    },
  };
}

test('run(main, {close: true}) is asyncio.run: the iteration ends, the rest is cancelled and cleaned up, then it settles', async () => {
  const { rt } = await testRuntime();
  const lines = [];
  const { main } = programs(rt, lines);
  const result = await rt.run(main, { close: true });
  lines.push(`result ${result}`);
  assert.deepEqual(lines, ['start a', 'step 0', 'main done', 'step 1', 'cancelled a', 'cleaned a', 'result 42']);
  assert.throws(() => rt.createTask(async () => 1), /createTask: the runtime is closed$/);
  const { ready, timers } = rt.stats(); // still answers once closed
  assert.deepEqual({ ready, timers }, { ready: 0, timers: 0 }, 'nothing left queued or timed');
});

test('run(main, {close: true}) rejects with main\'s error only after the shutdown, as asyncio.run', async () => {
  const { rt } = await testRuntime();
  const lines = [];
  const { failingMain } = programs(rt, lines);
  await rt.run(failingMain, { close: true }).catch((error) => lines.push(`raised ${error.message}`));
  assert.deepEqual(lines, ['start x', 'cancelled x', 'cleaned x', 'raised main failed']);
});

test('run(coroutine, args, {close: true}) does the same for a C coroutine; bad options are TypeErrors', async () => {
  const { rt, lines } = await testRuntime();
  rt.createTask('worker', { label: 'other', ms: 1000 });
  assert.equal(await rt.run('worker', { label: 'main', ms: 5, result: 7 }, { close: true }), 7);
  assert.deepEqual(lines, ['start other', 'start main', 'end main', 'cancelled other: ']);
  await assert.rejects(rt.run('worker', { ms: 1 }), /run: the runtime is closed$/);
  const { rt: fresh } = await testRuntime();
  await assert.rejects(fresh.run('worker', { ms: 1 }, { close: 'yes' }),
    { name: 'TypeError', message: 'run: close must be a boolean, not the string "yes"' });
  await assert.rejects(fresh.run('worker', { ms: 1 }, { shutdown: true }),
    { name: 'TypeError', message: "run: unknown option 'shutdown' (it takes name, signal, close)" });
  await assert.rejects(fresh.run(async () => 1, { closing: true }),
    { name: 'TypeError', message: "run: unknown option 'closing' (it takes name, signal, close)" });
  assert.equal(await fresh.run(async () => 5, { name: 'js', close: true }), 5);
});
