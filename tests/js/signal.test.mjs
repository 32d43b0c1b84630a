// The signal option of createTask, run, taskGroup, gather, timeout and
// waitFor: aborting it cancels the task with the abort reason as message.
// And options that do not exist are refused by name, not ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, createRuntime } from 'wasyncio';
import { testRuntime, testModule, settle } from '../helpers.mjs';

test('aborting the signal cancels a C task and a JS task, with the reason as message', async () => {
  const { rt, lines } = await testRuntime();
  const controller = new AbortController();
  const c = rt.createTask('worker', { label: 'c', ms: 1000 }, { signal: controller.signal });
  const j = rt.createTask(async (ctx) => ctx.sleep(1000), { signal: controller.signal });
  await rt.sleep(10);
  controller.abort('enough');
  const [rc, rj] = [await settle(c), await settle(j)];
  assert.ok(rc.error instanceof CancelledError && rj.error instanceof CancelledError);
  assert.deepEqual([rc.error.message, rj.error.message], ['enough', 'enough']);
  assert.deepEqual(lines, ['start c', 'cancelled c: enough'], 'the C task was cancelled in its sleep, with the message');
  assert.equal(rt.time(), 10);
});

test('an already aborted signal cancels before the task starts: its body never runs', async () => {
  const { rt, lines } = await testRuntime();
  let ran = false;
  const signal = AbortSignal.abort(new Error('too late'));
  const c = rt.createTask('worker', { label: 'never', ms: 1 }, { signal });
  const j = rt.createTask(async () => { ran = true; }, { signal });
  const r = await settle(rt.run('worker', { label: 'run', ms: 1 }, { signal }));
  assert.equal((await settle(c)).error.message, 'too late');
  assert.ok((await settle(j)).error instanceof CancelledError);
  assert.ok(r.error instanceof CancelledError);
  assert.deepEqual(lines, []);
  assert.equal(ran, false);
});

test('taskGroup, gather, timeout and waitFor take a signal; a task done before the abort is untouched', async () => {
  const { rt } = await testRuntime();
  const controller = new AbortController();
  const { signal } = controller;
  const done = rt.createTask('worker', { ms: 1 }, { signal });
  const group = rt.taskGroup(async (tg) => {
    tg.createTask('worker', { ms: 1000 });
    await tg.sleep(1000);
  }, { signal });
  const child = rt.createTask('worker', { ms: 1000 });
  const gathered = rt.gather([child], { signal });
  const timed = rt.timeout(5000, (ctx) => ctx.sleep(1000), { signal });
  const waited = rt.waitFor(rt.createTask('worker', { ms: 1000 }), 5000, { signal });
  assert.equal(await done, 1);
  await rt.sleep(10);
  controller.abort();
  for (const t of [group, gathered, timed, waited]) {
    const r = await settle(t);
    assert.ok(r.error instanceof CancelledError, `${t.name}: ${r.error}`);
    assert.equal(r.error.message, 'This operation was aborted');
  }
  assert.ok(child.cancelled(), 'cancelling the gather cancelled its item');
  assert.equal(done.cancelled(), false);
});

test('the signal\'s listener goes when the task is done', async () => {
  const { rt } = await testRuntime();
  const controller = new AbortController();
  let listeners = 0;
  const { signal } = controller;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (...a) => { listeners++; add(...a); };
  signal.removeEventListener = (...a) => { listeners--; remove(...a); };
  await rt.run('worker', { ms: 1 }, { signal });
  await rt.sleep(0);
  assert.equal(listeners, 0);
});

test('unknown options and a signal that is not an AbortSignal are TypeErrors naming them', async () => {
  const { rt } = await testRuntime();
  const signal = new AbortController().signal;
  const cases = [
    [() => rt.createTask('worker', { ms: 1 }, { signal, bogus: 1 }), "createTask: unknown option 'bogus' (it takes name, signal)"],
    [() => rt.createTask(async () => 1, { nmae: 'x' }), "createTask: unknown option 'nmae' (it takes name, signal)"],
    [() => rt.taskGroup(async () => 1, { timeout: 5 }), "taskGroup: unknown option 'timeout' (it takes name, signal)"],
    [() => rt.gather([], { return_exceptions: true }), "gather: unknown option 'return_exceptions' (it takes returnExceptions, signal)"],
    [() => rt.timeout(5, async () => 1, { x: 1 }), "timeout: unknown option 'x' (it takes name, signal)"],
    [() => rt.waitFor(rt.sleep(1), 5, { x: 1 }), "waitFor: unknown option 'x' (it takes name, signal)"],
    [() => rt.createTask('worker', { ms: 1 }, { signal: 'stop' }), 'createTask: signal must be an AbortSignal, not the string "stop"'],
  ];
  for (const [call, message] of cases) assert.throws(call, { name: 'TypeError', message });
  await assert.rejects(createRuntime({ module: testModule, clok: 'virtual' }), {
    name: 'TypeError',
    message: "createRuntime: unknown option 'clok' (it takes clock, print, onError, stackSize, asyncifySize, module, wasm, host)",
  });
  assert.equal(rt.stats().tasks, 0, 'no task was made by a refused call');
  assert.equal(await rt.run('greet', { who: 'x' }), 'hello, x');
});

test('waitFor(x, 0) with a bad option leaves x alone', async () => {
  const { rt } = await testRuntime();
  const x = rt.createTask('worker', { ms: 5 });
  assert.throws(() => rt.waitFor(x, 0, { bogus: 1 }), TypeError);
  assert.equal(await x, 5, 'x was not cancelled');
});
