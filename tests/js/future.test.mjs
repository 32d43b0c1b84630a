// rt.createFuture(): asyncio.Future for JavaScript (runtime.mjs, task.mjs's
// Future), over the C side's wa_future_new (src/core/future.c).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CancelledError } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';
import { findPython } from '../coroutines/scenario/harness.mjs';

test('a future behaves as CPython 3.13\'s: results, exceptions, cancel, callbacks, InvalidStateError', async () => {
  // tests/js/futures.py, the steps a JS task can take (a JS Task has no
  // setResult, so not its last).
  const { cmd, env } = findPython();
  const py = spawnSync(cmd, [fileURLToPath(new URL('./futures.py', import.meta.url))], { env, encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const expected = py.stdout.trim().split('; ').filter((line) => !line.startsWith('task:')).join('; ');
  const { rt } = await testRuntime();
  const log = await rt.run(async (ctx) => {
    const out = [];
    const f = rt.createFuture();
    const t = rt.createTask(async (c) => {
      try {
        out.push(`waiter got ${await c.wait(f)}`);
      } catch (e) {
        out.push(`waiter ${e.name}`);
      }
    });
    f.addDoneCallback(() => out.push('callback'));
    await ctx.sleep(0);
    f.setResult(42);
    try {
      f.setResult(43);
    } catch (e) {
      out.push(`${e.name}: ${e.message}`);
    }
    await ctx.wait(t);
    const g = rt.createFuture();
    const bad = new Error('bad');
    bad.name = 'ValueError';
    g.setException(bad);
    try {
      await ctx.wait(g);
    } catch (e) {
      out.push(`g ${e.name}`);
    }
    const h = rt.createFuture();
    out.push(`cancel ${h.cancel('why') ? 'True' : 'False'} ${h.cancel() ? 'True' : 'False'}`);
    try {
      await ctx.wait(h);
    } catch (e) {
      out.push(`h ${e.name} ${e.message}`);
    }
    try {
      h.setResult(1);
    } catch (e) {
      out.push(`${e.name}: ${e.message}`);
    }
    const k = rt.createFuture();
    k.setException(new CancelledError('x'));
    out.push(`k cancelled=${k.cancelled() ? 'True' : 'False'}`);
    try {
      await ctx.wait(k);
    } catch (e) {
      out.push(`k ${e.name}`);
    }
    return out.join('; ');
  });
  assert.equal(log, expected);
});

test('a future keeps the JS value for JS and the thrown error as it was; C reads what it can take', async () => {
  const { rt } = await testRuntime();
  const value = { list: [1, 'two'] };
  const f = rt.createFuture();
  f.setResult(value);
  assert.equal(f.result(), value, 'the same object, not a copy');
  assert.equal(await f, value);
  const error = new RangeError('out');
  const g = rt.createFuture();
  g.setException(error);
  assert.equal(g.exception(), error);
  assert.equal((await settle(g)).error, error);
  const b = rt.createFuture();
  b.setResult(new Uint8Array([1, 2, 3]));
  assert.deepEqual([...await b], [1, 2, 3]);
  const bad = rt.createFuture();
  assert.throws(() => bad.setResult(10n), { name: 'TypeError', message: /^setResult: got a value JSON cannot hold: / });
  assert.throws(() => bad.setResult(() => 1), { name: 'TypeError', message: /^setResult: got .*, which C cannot take$/ });
  assert.equal(bad.done(), false, 'a value C cannot take leaves the future pending');
  bad.setResult(true);
  assert.equal(await bad, true);
  await rt.close();
  assert.throws(() => rt.createFuture(), { name: 'InvalidStateError', message: 'createFuture: the runtime is closed' });
});

test('a C coroutine takes a Future or Task as a "name:task" argument and awaits it; cancelling it cancels the future', async () => {
  const { rt } = await testRuntime();
  assert.deepEqual(rt.parameters('await_task'), [{ name: 't', type: 'task', optional: false }, { name: 'gate', type: 'task', optional: true }]);
  const f = rt.createFuture();
  const c = rt.createTask('await_task', { t: f });
  await rt.sleep(5);
  assert.equal(c.done(), false, 'C waits on the future');
  f.setResult('from JS');
  assert.equal(await c, 'from JS');

  const js = rt.createTask(async (ctx) => ctx.sleep(3, 7));
  assert.equal(await rt.run('await_task', { t: js }), 7);
  assert.equal(await rt.run('await_task', { t: rt.createTask('greet', { who: 'C' }) }), 'hello, C');

  // asyncio: cancelling a task that awaits a future cancels the future.
  const g = rt.createFuture();
  const waiter = rt.createTask('await_task', { t: g });
  await rt.sleep(1);
  waiter.cancel('stop');
  assert.equal((await settle(waiter)).error.name, 'CancelledError');
  assert.equal(g.cancelled(), true);

  const other = (await testRuntime()).rt;
  assert.throws(() => rt.createTask('await_task', { t: other.createFuture() }),
    { name: 'TypeError', message: /^await_task\(\): argument 't' must be a Task of this runtime, not / });
  assert.throws(() => rt.createTask('await_task', { t: 5 }),
    { name: 'TypeError', message: "await_task(): argument 't' must be a Task of this runtime, not 5" });
});
