// Task lifecycle, results and done callbacks (semantics sheet, section 1).
// Expected lines were produced by the same programs in CPython 3.13.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CancelledError, InvalidStateError } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';

test('L1 creating a task does not run it (C API)', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('l1_basics');
  assert.deepEqual(lines, ['after-create', 'start A', 'start B', 'main-resumed', 'end A', 'end B']);
});

test('L1 creating a task does not run it (JS API): nothing runs before the loop does', async () => {
  const { rt, lines } = await testRuntime();
  const a = rt.createTask('worker', { label: 'A', ms: -1 });
  const b = rt.createTask('worker', { label: 'B', ms: -1 });
  assert.deepEqual(lines, []);
  assert.equal(a.done(), false);
  await Promise.all([a, b]);
  assert.deepEqual(lines, ['start A', 'end A', 'start B', 'end B']);
});

test('L2 L4 done callbacks and awaiters share one registration order; removal counts copies', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('callback_order');
  assert.deepEqual(lines, [
    'start child', 'removed 2', 'end child',
    'callback one (Task-2)', 'awaiter resumed', 'callback two (Task-2)',
    'joined child', 'added late', 'callback late (Task-2)', 'removed after done 0',
  ]);
});

test('L2 JS done callbacks run later, in order, once each; one added when done is queued, not inline', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  const t = rt.createTask('worker', { ms: 5 });
  const one = (task) => seen.push(['one', task === t]);
  const gone = () => seen.push(['gone']);
  t.addDoneCallback(one);
  t.addDoneCallback(gone);
  t.addDoneCallback(() => seen.push(['two']));
  t.addDoneCallback(gone);
  assert.equal(t.removeDoneCallback(gone), 2);
  assert.equal(t.removeDoneCallback(gone), 0);
  await t;
  await rt.sleep(0);
  assert.deepEqual(seen, [['one', true], ['two']]);
  t.addDoneCallback(() => seen.push(['late']));
  assert.deepEqual(seen.length, 2, 'a callback on a done task must not run inline');
  await rt.sleep(0);
  assert.deepEqual(seen.at(-1), ['late']);
  assert.equal(t.removeDoneCallback(one), 0, 'callbacks that ran are gone');
});

test('L3 a failing callback does not stop the others; the error goes to onError', async () => {
  const { rt, errors } = await testRuntime();
  const seen = [];
  const t = rt.createTask('worker', { ms: 1 });
  t.addDoneCallback(() => seen.push(1));
  t.addDoneCallback(() => {
    throw new Error('callback broke');
  });
  t.addDoneCallback(() => seen.push(3));
  await t;
  await rt.sleep(0);
  assert.deepEqual(seen, [1, 3]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].error.message, 'callback broke');
  assert.equal(await rt.run('worker', { ms: 1, result: 9 }), 9, 'runtime still usable');
});

test('L5 awaiting an already-finished task does not suspend', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('await_done');
  assert.deepEqual(lines, ['start child', 'end child', 'join finished child: ok', 'after join', 'start other', 'end other']);
});

test('L6 a task that awaits itself gets a RuntimeError', async () => {
  const { rt, lines } = await testRuntime();
  const r = await settle(rt.run('await_self'));
  assert.equal(r.error.name, 'RuntimeError');
  assert.equal(r.error.message, 'Task cannot await on itself: Task-1');
  assert.deepEqual(lines, ['join self: RuntimeError: Task cannot await on itself: Task-1']);
});

test('L6 L7 result and exception in every state, through the C API', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('outcomes');
  assert.deepEqual(lines, [
    'pending result: InvalidStateError: Result is not set.',
    'pending exception: InvalidStateError: Exception is not set.',
    'start ok', 'end ok',
    'done result: ok', 'value 5', 'done exception: ok', 'exception is NULL',
    'failed result: KeyError: k', 'failed exception: ok', 'exception KeyError: k',
    // As in CPython, the task hands its CancelledError (with the message)
    // to the first who asks; later ones get one without the message.
    'cancelled result: CancelledError: bye', 'cancelled exception: CancelledError: ',
    'cancel done task: 0',
  ]);
});

test('L6 result and exception in every state, through the JS API', async () => {
  const { rt } = await testRuntime();
  const ok = rt.createTask('worker', { ms: 5, result: 3.5 });
  const bad = rt.createTask('fail', { ms: 5, type: 'KeyError', message: 'k' });
  const gone = rt.createTask('worker', { ms: 5 });
  assert.throws(() => ok.result(), (e) => e instanceof InvalidStateError && e.message === 'Result is not set.');
  assert.throws(() => ok.exception(), (e) => e instanceof InvalidStateError && e.message === 'Exception is not set.');
  gone.cancel('bye');
  await Promise.allSettled([ok, bad, gone]);
  await rt.sleep(0);
  assert.equal(ok.result(), 3.5);
  assert.equal(ok.exception(), null);
  assert.throws(() => bad.result(), (e) => e.name === 'KeyError' && e.message === 'k');
  assert.equal(bad.exception().name, 'KeyError');
  assert.equal(bad.exception(), bad.exception(), 'the same error object each time');
  assert.throws(() => gone.result(), (e) => e instanceof CancelledError && e.message === 'bye');
  assert.throws(() => gone.exception(), (e) => e instanceof CancelledError && e.message === 'bye');
  assert.deepEqual([ok.done(), bad.done(), gone.done()], [true, true, true]);
  assert.deepEqual([ok.cancelled(), bad.cancelled(), gone.cancelled()], [false, false, true]);
  assert.equal(ok.cancel(), false, 'L7 cancel() on a done task returns false');
});

test('tasks are thenables with ids, names and string or number results', async () => {
  const { rt } = await testRuntime();
  const a = rt.createTask('greet', { who: 'wasm' }, { name: 'greeter' });
  const b = rt.createTask('worker', { ms: 1 });
  assert.equal(a.name, 'greeter');
  assert.equal(b.name, 'Task-1', 'default names count unnamed tasks only, as in CPython');
  assert.equal(b.id, a.id + 1);
  assert.deepEqual(await Promise.all([a, b]), ['hello, wasm', 1]);
  assert.equal(await a.then((v) => v.toUpperCase()), 'HELLO, WASM');
  const f = rt.createTask('fail', { ms: -1, type: 'ValueError', message: 'bad input' });
  await assert.rejects(Promise.resolve(f), (e) => e instanceof Error && e.name === 'ValueError' && e.message === 'bad input');
  assert.equal(await rt.run('display_date', {}), undefined, 'no result is undefined');
});

test('a coroutine that fails without setting an error fails with a RuntimeError saying so', async () => {
  const { rt } = await testRuntime();
  await assert.rejects(rt.run('silent_failure'), {
    name: 'RuntimeError',
    message: 'coroutine of Task-1 returned -1 without setting an error',
  });
});

test('fire and forget: C tasks with no reference left still run to the end', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('fire_and_forget', { n: 3 });
  await rt.sleep(100);
  assert.deepEqual(lines, ['start ff0', 'start ff1', 'start ff2', 'end ff0', 'end ff1', 'end ff2']);
});

test('fire and forget: JS tasks nobody keeps survive garbage collection', () => {
  const script = `
    import { testRuntime } from ${JSON.stringify(new URL('../helpers.mjs', import.meta.url).href)};
    const { rt, lines } = await testRuntime({ clock: 'real' });
    for (let i = 0; i < 20; i++) rt.createTask('worker', { label: 't' + i, ms: 30 });
    for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
    await rt.sleep(100);
    console.log(lines.filter((l) => l.startsWith('end')).length);`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.trim(), '20');
});

test('a failed C task released by everyone is reported as never retrieved', async () => {
  const { rt, errors } = await testRuntime();
  await rt.run('fire_and_forget_failure');
  await rt.sleep(10);
  assert.deepEqual(errors.map((e) => e.message), [
    'Task exception was never retrieved: doomed: ValueError: nobody awaits me',
  ], 'reported once, and not for the failure that was awaited');
});

test('Node exits once the work is done, and the result comes back with no flags', () => {
  const pkg = fileURLToPath(new URL('../../src/js/node.mjs', import.meta.url));
  const r = spawnSync(process.execPath, ['-e',
    `import(${JSON.stringify(pkg)}).then(async m => { const rt = await m.createRuntime(); console.log(await rt.run('some_coro', {param: 7})) })`,
  ], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Completed coro with param: 7\n7\n');
});

test('cancel() on a failed task marks its exception retrieved, as Task.cancel clears _log_traceback', async () => {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const { rt, errors } = await testRuntime();
  const run = async (cancel) => {
    const t = rt.createTask('fail', { ms: 1, type: 'ValueError', message: cancel ? 'cancelled' : 'left' });
    while (!t.done()) await rt.sleep(1); // done, and its error not read
    if (cancel) assert.equal(t.cancel(), false, 'a done task is not cancelled');
  };
  await run(true);
  await run(false);
  for (let i = 0; i < 5 && errors.length < 1; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(errors.map((e) => e.message), ['Task exception was never retrieved: Task-2: ValueError: left']);
});

test('removeDoneCallback on a done task whose callbacks are queued removes nothing, and they still run', async () => {
  // CPython 3.13: f.add_done_callback(cb); f.set_result(1);
  // f.remove_done_callback(cb) -> 0, and cb runs on the next iteration.
  const { rt } = await testRuntime();
  const calls = [];
  const t = rt.createTask('worker', { ms: 5 });
  const cb = () => calls.push('cb');
  t.addDoneCallback(() => calls.push(`removed ${t.removeDoneCallback(cb)}`)); // runs first
  t.addDoneCallback(cb);
  await t;
  await rt.sleep(0);
  assert.deepEqual(calls, ['removed 0', 'cb']);
  const u = rt.createTask('worker', { ms: 5 });
  u.addDoneCallback(cb);
  assert.equal(u.removeDoneCallback(cb), 1, 'a pending task\'s callback is removed');
  await u;
  await rt.sleep(0);
  assert.deepEqual(calls, ['removed 0', 'cb'], 'and never runs');
});
