// sleep and the clock (semantics sheet, section 5). Expected lines were
// produced by the same programs in CPython 3.13.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testRuntime, settle } from '../helpers.mjs';

test('S1 sleep(0) yields exactly one loop iteration: two tasks interleave', async () => {
  const { rt, lines } = await testRuntime();
  await Promise.all([rt.createTask('ticker', { label: 'a', n: 3 }), rt.createTask('ticker', { label: 'b', n: 3 })]);
  assert.deepEqual(lines, ['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
});

test('S2 rt.sleep(ms, value) resolves with value after ms of loop time', async () => {
  const { rt } = await testRuntime();
  assert.equal(await rt.sleep(250, 'value'), 'value');
  assert.equal(rt.time(), 250);
  assert.equal(await rt.sleep(0), undefined);
});

test('S3 a negative delay behaves as 0', async () => {
  const { rt, lines } = await testRuntime();
  await Promise.all([
    rt.createTask('ticker', { label: 'a', n: 3, delay: -5 }),
    rt.createTask('ticker', { label: 'b', n: 3, delay: -5 }),
  ]);
  assert.deepEqual(lines, ['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
  assert.equal(rt.time(), 0);
  await rt.sleep(-100);
  assert.equal(rt.time(), 0);
});

test('S3 a NaN delay is an error: ValueError in C, RangeError in JS; the runtime goes on', async () => {
  const { rt } = await testRuntime();
  const r = await settle(rt.run('worker', { ms: NaN }));
  assert.equal(r.error.name, 'ValueError');
  assert.equal(r.error.message, 'Invalid delay: NaN (not a number)');
  assert.throws(() => rt.sleep(NaN), { name: 'RangeError', message: 'sleep: delay is NaN' });
  assert.throws(() => rt.sleep('5'), { name: 'TypeError', message: 'sleep: delay must be a number, not the string "5"' });
  assert.throws(() => rt.sleep(), { name: 'TypeError' });
  assert.equal(await rt.run('worker', { ms: 3 }), 3);
});

test('S5 a due timer queues behind work already ready, and its task resumes one iteration later', async () => {
  // p works 10 ms per step (virtual time: deterministic), so T's 1 ms timer
  // is due while p's next step is already queued. CPython prints
  // p0 p1 p2 p3 T woke.
  const { rt, lines } = await testRuntime();
  const p = rt.createTask('ticker', { label: 'p', n: 4, busy_ms: 10 });
  const t = rt.createTask('worker', { label: 'T', ms: 1 });
  await Promise.all([p, t]);
  assert.deepEqual(lines.filter((l) => l !== 'start T'), ['p0', 'p1', 'p2', 'p3', 'end T']);
});

test('S6 cancelling a sleeping task cancels its timer (see cancel.test.mjs C8)', async () => {
  const { rt, lines } = await testRuntime();
  const t = rt.createTask('clock_probe', { ms: 100, n: 3 });
  await rt.sleep(150);
  t.cancel();
  await settle(t);
  await rt.sleep(500);
  assert.deepEqual(lines, ['t=100'], 'the cancelled sleep never fired');
});

test('time() is monotonic, starts at 0, and sleeps wake at their deadline on the virtual clock', async () => {
  const { rt, lines } = await testRuntime();
  assert.equal(rt.time(), 0);
  await rt.run('clock_probe', { ms: 250, n: 4 });
  assert.deepEqual(lines, ['t=250', 't=500', 't=750', 't=1000']);
  assert.equal(rt.time(), 1000);
});

test('real clock: sleeps take real time', async () => {
  const { rt } = await testRuntime({ clock: 'real' });
  const before = performance.now();
  await rt.run('worker', { ms: 30 });
  assert.ok(performance.now() - before >= 29, 'slept at least its delay');
  assert.ok(rt.time() >= 30);
});
