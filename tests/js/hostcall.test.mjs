// Host functions C awaits (src/js/hostcall.c, wa_host_call; the JS side in
// runtime.mjs), and the user's futures (src/core/future.c, wa_future_new).
// The C side is tests/c/host_probes.c.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testRuntime, settle } from '../helpers.mjs';
import { collectTasks } from '../gc.mjs';
import { findPython } from '../coroutines/scenario/harness.mjs';

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('values cross both ways: numbers, strings, bytes, JSON and none', async () => {
  const seen = [];
  const { rt } = await testRuntime({
    host: {
      echo: async (args) => { seen.push(args); return args.s; },
      double: ({ n }) => n * 2, // not async: its value counts as a resolved promise's
      invert: async ({ data }) => data.map((x) => 255 - x),
      buffer: async () => new Uint16Array([0x0102, 0x0304]).buffer,
      view: async () => new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2),
      json: async ({ n }) => ({ n, list: [1, 'two', null], ok: true }),
      flag: async () => false,
      nothing: async () => undefined,
      nil: async () => null,
    },
  });
  assert.equal(await rt.run('call_host', { fn: 'echo', n: 1.5, s: 'héllo ✓', len: 4 }), 'héllo ✓');
  assert.deepEqual(Object.keys(seen[0]), ['n', 's', 'data']);
  assert.equal(seen[0].n, 1.5);
  assert.ok(seen[0].data instanceof Uint8Array);
  assert.deepEqual([...seen[0].data], [0, 7, 14, 21]);
  assert.equal(await rt.run('call_host', { fn: 'double', n: 21 }), 42);
  // C bytes -> Uint8Array -> the function's Uint8Array -> a C buffer -> back.
  const inverted = await rt.run('call_host', { fn: 'invert', len: 300 });
  assert.ok(inverted instanceof Uint8Array);
  assert.deepEqual([...inverted], Array.from({ length: 300 }, (_, i) => 255 - ((i * 7) & 255)));
  assert.deepEqual([...await rt.run('call_host', { fn: 'invert', len: 0 })], []);
  assert.deepEqual([...await rt.run('call_host', { fn: 'buffer' })], [...new Uint8Array(new Uint16Array([0x0102, 0x0304]).buffer)]);
  assert.deepEqual([...await rt.run('call_host', { fn: 'view' })], [8, 7]);
  assert.deepEqual(await rt.run('call_host', { fn: 'json', n: 3 }), { n: 3, list: [1, 'two', null], ok: true });
  assert.equal(await rt.run('call_host', { fn: 'flag' }), false);
  assert.equal(await rt.run('call_host', { fn: 'nothing' }), undefined);
  assert.equal(await rt.run('call_host', { fn: 'nil' }), undefined);
});

test('a rejection or a throw fails the C side with the JS error\'s name and message; bad calls and values are clear errors', async () => {
  const { rt } = await testRuntime({
    host: {
      rejects: async () => { const e = new Error('404 at /x'); e.name = 'FetchError'; throw e; },
      throws: () => { throw new RangeError('before any await'); },
      bigint: async () => 1n,
      fn: async () => () => 1,
    },
  });
  const failure = async (args) => (await settle(rt.run('call_host', args))).error;
  let e = await failure({ fn: 'rejects' });
  assert.equal(e.name, 'FetchError');
  assert.equal(e.message, '404 at /x');
  e = await failure({ fn: 'throws' });
  assert.ok(e instanceof RangeError);
  assert.equal(e.message, 'before any await');
  e = await failure({ fn: 'nope' });
  assert.equal(e.name, 'LookupError');
  assert.equal(e.message, "no host function 'nope' (registered: 'rejects', 'throws', 'bigint', 'fn')");
  e = await failure({ fn: 'rejects', pointer: 'yes' });
  assert.equal(e.name, 'TypeError');
  assert.equal(e.message, "wa_host_call('rejects'): argument 'p' is a pointer, which JavaScript cannot take");
  e = await failure({ fn: 'bigint' });
  assert.equal(e.name, 'TypeError');
  assert.match(e.message, /^host function 'bigint' returned a value JSON cannot hold: /);
  e = await failure({ fn: 'fn' });
  assert.equal(e.name, 'TypeError');
  assert.match(e.message, /^host function 'fn' returned .*, which C cannot take$/);
  assert.equal(rt.stats().hostCalls, 0);
});

test('while a C task awaits a JS promise, 1,000 other C tasks keep switching', async () => {
  let resolve;
  const { rt } = await testRuntime({
    host: { later: () => new Promise((r) => { resolve = r; }) },
  });
  const task = rt.createTask('host_while_switching', { fn: 'later', tickers: 1000 });
  for (let i = 0; i < 5; i++) await tick(); // the loop runs; the promise is pending
  assert.equal(typeof resolve, 'function', 'the host function was called');
  assert.equal(task.done(), false);
  assert.equal(rt.stats().hostCalls, 1);
  resolve('ok');
  const switches = await task;
  assert.ok(switches >= 1000, `${switches} switches while the call was pending: every ticker ran`);
});

test('cancelling the C task cancels the call at once and aborts the signal the JS function got', async () => {
  const aborts = [];
  let settleLate;
  const { rt } = await testRuntime({
    host: {
      forever: (args, { signal }) => new Promise((resolve) => {
        settleLate = resolve;
        signal.addEventListener('abort', () => aborts.push(signal.reason));
      }),
    },
  });
  const task = rt.createTask('call_host', { fn: 'forever' });
  await rt.sleep(10);
  assert.equal(rt.stats().hostCalls, 1);
  task.cancel('enough');
  const r = await settle(task);
  assert.equal(r.error?.name, 'CancelledError');
  assert.equal(r.error.message, 'enough');
  await tick();
  assert.equal(aborts.length, 1, 'the signal was aborted once');
  assert.equal(aborts[0].name, 'CancelledError');
  assert.equal(rt.stats().hostCalls, 0);
  settleLate('too late'); // dropped: the call ended when it was cancelled
  await tick();
  assert.equal(task.cancelled(), true);
  assert.equal(await rt.run('greet', { who: 'after' }), 'hello, after', 'the runtime goes on');
});

test('rt.provide adds and replaces host functions; bad ones are TypeErrors', async () => {
  const { rt } = await testRuntime();
  assert.equal((await settle(rt.run('call_host', { fn: 'later' }))).error.message,
    "no host function 'later' (registered: none)");
  rt.provide('later', async () => 1);
  assert.equal(await rt.run('call_host', { fn: 'later' }), 1);
  rt.provide('later', async () => 2);
  assert.equal(await rt.run('call_host', { fn: 'later' }), 2);
  assert.throws(() => rt.provide('', () => 1), { name: 'TypeError', message: 'provide: a host function\'s name must be a non-empty string, not the string ""' });
  assert.throws(() => rt.provide('x', 5), { name: 'TypeError', message: "provide: host function 'x' must be a function, not 5" });
  await assert.rejects(testRuntime({ host: { y: 'no' } }), { name: 'TypeError', message: 'createRuntime: host: host function \'y\' must be a function, not the string "no"' });
  await assert.rejects(testRuntime({ host: null }), { name: 'TypeError', message: 'createRuntime: host must be an object of functions by name, not null' });
});

test('calls that end, fail or are cancelled leave nothing behind; close() aborts the ones nobody awaits', async () => {
  let n = 0;
  const pending = [];
  const { rt } = await testRuntime({
    host: {
      quick: async () => ++n,
      fails: async () => { throw new Error('no'); },
      hangs: (args, { signal }) => new Promise((resolve, reject) => {
        pending.push(signal);
        signal.addEventListener('abort', () => reject(signal.reason));
      }),
    },
  });
  const before = rt.stats().tasks;
  const tasks = [];
  for (let i = 0; i < 30; i++) tasks.push(rt.createTask('call_host', { fn: ['quick', 'fails', 'hangs'][i % 3] }));
  await rt.sleep(5);
  tasks.filter((_, i) => i % 3 === 2).forEach((t) => t.cancel());
  const outcomes = await Promise.allSettled(tasks);
  assert.deepEqual(outcomes.map((o) => o.status === 'fulfilled' ? 'ok' : o.reason.name),
    Array.from({ length: 30 }, (_, i) => ['ok', 'Error', 'CancelledError'][i % 3]));
  await tick();
  assert.equal(rt.stats().hostCalls, 0);
  assert.ok(pending.every((s) => s.aborted), 'every cancelled call\'s signal aborted');
  tasks.length = 0;
  // The C tasks and their futures are freed; only the JS Task objects
  // (freed at a GC) are left of the 30 tasks.
  assert.ok(rt.stats().tasks <= before + 30, `${rt.stats().tasks} tasks alive, ${before} before`);

  // A C task that starts a call and ends without awaiting it: close()
  // aborts the call.
  const signals = [];
  rt.provide('hangs', (args, { signal }) => { signals.push(signal); return new Promise(() => {}); });
  const dropper = rt.createTask('call_host', { fn: 'hangs' });
  await rt.sleep(1);
  dropper.cancel(); // cancels its join, which cancels the call
  await settle(dropper);
  await rt.close();
  await tick();
  assert.equal(signals.length, 1);
  assert.equal(signals[0].aborted, true);
  assert.equal(rt.stats().hostCalls, 0);
});

test('wa_future_new: results, exceptions, cancel, callbacks and misuse as CPython 3.13 does them', async () => {
  const { cmd, env } = findPython();
  const py = spawnSync(cmd, [fileURLToPath(new URL('./futures.py', import.meta.url))], { env, encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const { rt } = await testRuntime();
  assert.equal(await rt.run('future_basics'), py.stdout.trim());
});

test('a GC while C awaits host calls and JS futures frees nothing C still needs', async () => {
  let resolveCall;
  const { rt } = await testRuntime({ host: { later: () => new Promise((resolve) => { resolveCall = resolve; }) } });
  // A C task awaiting a host call: only the runtime holds the call's future.
  const a = rt.createTask('call_host', { fn: 'later' });
  // A C task that will await a JS future whose JS handle is dropped now:
  // only its arguments hold it while the task waits on a gate first.
  let dropped = rt.createFuture();
  const gate = rt.createFuture();
  const b = rt.createTask('await_task', { t: dropped, gate });
  dropped = null;
  // A C task awaiting a JS future JS keeps and settles after the GC.
  const kept = rt.createFuture();
  const c = rt.createTask('await_task', { t: kept });
  await rt.sleep(1);
  await collectTasks(rt, 0); // as far as it goes while they wait
  assert.equal(rt.stats().hostCalls, 1);
  assert.ok(!a.done() && !b.done() && !c.done(), 'all three still waiting');
  resolveCall(5);
  kept.setResult('kept');
  gate.setResult(0);
  await rt.sleep(1); // b now joins the dropped future
  assert.equal(b.done(), false, 'b waits on the dropped future');
  b.cancel('stop'); // reaches the dropped future through C
  assert.equal(await a, 5);
  assert.equal(await c, 'kept');
  assert.equal((await settle(b)).error.message, 'stop');
  assert.equal(rt.stats().hostCalls, 0);
});

test('after those tasks and futures are dropped, a GC brings the task count back to where it was', async () => {
  const { rt } = await testRuntime({ host: { quick: async () => 1 } });
  const baseline = rt.stats().tasks;
  await (async () => {
    const f = rt.createFuture();
    const t = rt.createTask('await_task', { t: f });
    await rt.sleep(1);
    f.setResult(2);
    assert.equal(await t, 2);
    assert.equal(await rt.run('call_host', { fn: 'quick' }), 1);
  })();
  await collectTasks(rt, baseline);
  assert.equal(rt.stats().tasks, baseline, 'every task and future freed');
});
