// Cancellation (semantics sheet, section 2). Expected lines and counts were
// produced by the same programs in CPython 3.13.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CancelledError } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';

test('C1 cancel() only records a request: a task cancelling itself runs on to its next suspension', async () => {
  for (const ms of [0, 10]) {
    const { rt, lines } = await testRuntime();
    const t = rt.createTask('cancel_self', { ms });
    const r = await settle(t);
    assert.ok(r.error instanceof CancelledError);
    assert.equal(r.error.message, 'self');
    assert.deepEqual(lines, ['current is self: 1', 'cancel self: 1', 'still running, cancelling=1', 'sleep: CancelledError: self']);
    assert.equal(t.cancelled(), true);
  }
});

test('C1 a cancel from JS is seen at the task\'s current await', async () => {
  const { rt, lines } = await testRuntime();
  const t = rt.createTask('worker', { label: 'w', ms: 100 });
  await rt.sleep(10);
  assert.equal(t.cancel('stop'), true);
  assert.equal(t.done(), false, 'not delivered inline');
  await settle(t);
  assert.deepEqual(lines, ['start w', 'cancelled w: stop']);
});

test('C2 a task cancelled before its first step never runs its body', async () => {
  const { rt, lines } = await testRuntime();
  const t = rt.createTask('worker', { label: 'never', ms: 0 });
  t.cancel('too early');
  const r = await settle(t);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'too early');
  assert.deepEqual(lines, [], 'not even the code before its first await');
  assert.equal(t.cancelled(), true);
});

test('C3 two cancels while suspended: the first message wins; before start: the last', async () => {
  const { rt } = await testRuntime();
  const suspended = rt.createTask('worker', { ms: 100 });
  await rt.sleep(1);
  suspended.cancel('first');
  suspended.cancel('second');
  const early = rt.createTask('worker', { ms: 100 });
  early.cancel('first');
  early.cancel('last');
  assert.equal((await settle(suspended)).error.message, 'first');
  assert.equal((await settle(early)).error.message, 'last');
  assert.equal(suspended.cancelling(), 2);
});

test('C3 the message reaches everyone who awaits the task', async () => {
  const { rt, lines } = await testRuntime();
  const t = rt.createTask('outer', { ms: 100 });
  await rt.sleep(1);
  t.cancel('M');
  const r = await settle(t);
  assert.equal(r.error.message, 'M');
  assert.deepEqual(lines, ['start inner', 'cancelled inner: M', 'outer join: CancelledError: M', 'inner cancelled=1 cancelling=1']);
});

test('C4 cancel() is true on a pending task each time and counts; false when done; the count stays', async () => {
  const { rt } = await testRuntime();
  const t = rt.createTask('worker', { ms: 100 });
  assert.deepEqual([t.cancel(), t.cancel(), t.cancel()], [true, true, true]);
  assert.equal(t.cancelling(), 3);
  await settle(t);
  assert.equal(t.cancel(), false);
  assert.equal(t.cancelling(), 3, 'not reset when the task ends');
  assert.equal(t.uncancel(), 2, 'uncancel still counts down on a done task');
});

test('C5 a task that cancels itself and returns without suspending ends cancelled', async () => {
  const { rt } = await testRuntime();
  const t = rt.createTask('cancel_at_end');
  const r = await settle(t);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'at end');
  assert.equal(t.cancelled(), true);
});

test('C6 a task may catch the cancellation, clean up and return a value', async () => {
  const { rt, lines } = await testRuntime();
  const t = rt.createTask('worker', { label: 'w', ms: 100, on_cancel: 'return' });
  await rt.sleep(1);
  t.cancel('please');
  assert.equal(await t, 42);
  assert.equal(t.cancelled(), false);
  assert.equal(t.cancelling(), 1);
  assert.deepEqual(lines, ['start w', 'cancelled w: please']);
});

test('C6 a task may fail while cleaning up: it ends failed, not cancelled', async () => {
  const { rt } = await testRuntime();
  const t = rt.createTask('worker', { ms: 100, on_cancel: 'fail' });
  await rt.sleep(1);
  t.cancel();
  const r = await settle(t);
  assert.equal(r.error.name, 'ValueError');
  assert.equal(t.cancelled(), false);
});

test('C7 cancelling a task that awaits another forwards the cancel; the inner outcome decides', async () => {
  const cases = {
    reraise: {
      outcome: 'CancelledError: M', cancelled: true,
      lines: ['cancelled inner: M', 'outer join: CancelledError: M', 'inner cancelled=1 cancelling=2'],
    },
    return: {
      outcome: 42, cancelled: false,
      lines: ['cancelled inner: M', 'outer join: ok', 'outer got 42, inner cancelling=2'],
    },
    fail: {
      outcome: 'ValueError: failed in cleanup', cancelled: false,
      lines: ['cancelled inner: M', 'outer join: ValueError: failed in cleanup', 'inner cancelled=0 cancelling=2'],
    },
  };
  for (const [mode, want] of Object.entries(cases)) {
    const { rt, lines } = await testRuntime();
    const t = rt.createTask('outer', { ms: 100, inner_on_cancel: mode });
    await rt.sleep(10);
    assert.deepEqual([t.cancel('M'), t.cancel('N')], [true, true]);
    const r = await settle(t);
    assert.equal(r.error ? `${r.error.name}: ${r.error.message}` : r.value, want.outcome, mode);
    assert.equal(t.cancelled(), want.cancelled, mode);
    assert.equal(t.cancelling(), 2, mode);
    assert.deepEqual(lines, ['start inner', ...want.lines], mode);
  }
});

test('C8 a sleeping task is woken at once and its timer dropped', async () => {
  const { rt } = await testRuntime();
  const t = rt.createTask('worker', { ms: 1000 });
  let endedAt;
  t.addDoneCallback(() => (endedAt = rt.time()));
  await rt.sleep(10);
  t.cancel();
  await settle(t);
  assert.equal(endedAt, 10, 'ended when cancelled, not at its deadline');
});

test('C8 in real time, a cancelled long sleep does not keep Node alive', () => {
  const script = `
    import { testRuntime } from ${JSON.stringify(new URL('../helpers.mjs', import.meta.url).href)};
    const { rt } = await testRuntime({ clock: 'real' });
    const t = rt.createTask('worker', { ms: 600000 });
    await rt.sleep(20);
    t.cancel();
    t.then(() => {}, (e) => console.log(e.name));`;
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.stdout, 'CancelledError\n', r.stderr);
  assert.ok(Date.now() - started < 30000, 'exited well before the 10 minute sleep');
});

test('C9 uncancel() counts down to 0, never below, and at 0 drops a cancel not yet delivered', async () => {
  const { rt } = await testRuntime();
  const t = rt.createTask('worker', { ms: 100, result: 5 });
  assert.deepEqual([t.uncancel(), t.cancel(), t.uncancel(), t.uncancel()], [0, true, 0, 0]);
  assert.equal(await t, 5, 'the dropped cancel never arrives');
  assert.equal(t.cancelled(), false);
});

test('C9 uncancel() does not take back a cancel already delivered to the sleep', async () => {
  const { rt } = await testRuntime();
  const t = rt.createTask('worker', { ms: 100 });
  await rt.sleep(10);
  assert.equal(t.cancel('x'), true);
  assert.equal(t.uncancel(), 0);
  const r = await settle(t);
  assert.equal(r.error.message, 'x');
  assert.equal(t.cancelling(), 0);
});

test('cancel messages must be strings', async () => {
  const { rt } = await testRuntime();
  const t = rt.createTask('worker', { ms: 1 });
  assert.throws(() => t.cancel(42), { name: 'TypeError', message: 'cancel: message must be a string, not 42' });
  assert.equal(t.cancelling(), 0);
  assert.equal(await t, 1);
});
