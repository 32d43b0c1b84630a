// Fibers: tasks share one run stack, each keeping its part while suspended;
// fibers are pooled, and an overflow fails only its own task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { testRuntime, settle } from '../helpers.mjs';

const buildDir = process.env.WASYNCIO_BUILD ?? 'build';

test('a C stack overflow fails that task with a StackOverflowError; the others go on', async () => {
  const { rt, lines } = await testRuntime();
  const bystander = rt.createTask('ticker', { label: 'b', n: 3 });
  const r = await settle(rt.run('deep_stack', { depth: 200 })); // ~51 KB on a 16 KiB stack
  assert.equal(r.error.name, 'StackOverflowError');
  assert.equal(r.error.message, 'C stack overflowed (stack: 16384 bytes; raise stackSize)');
  await bystander;
  assert.deepEqual(lines, ['b0', 'b1', 'b2']);
  assert.equal(await rt.run('deep_stack', { depth: 10 }), 10, 'the runtime is still usable');
  assert.equal(await rt.run('deep_suspend', { depth: 10 }), undefined, 'fibers still switch');
});

test('a bigger stackSize lets the same recursion finish', async () => {
  const { rt } = await testRuntime({ stackSize: 128 * 1024 });
  // The probe counts levels in a signed char: 200 wraps to -56.
  assert.equal(await rt.run('deep_stack', { depth: 200 }), -56);
});

test('an Asyncify buffer overflow at a suspension fails that task, not the module', async () => {
  const { rt, lines } = await testRuntime();
  const bystander = rt.createTask('ticker', { label: 'b', n: 3 });
  const r = await settle(rt.run('deep_suspend', { depth: 200 }));
  assert.equal(r.error.name, 'StackOverflowError');
  assert.match(r.error.message, /^Asyncify buffer overflowed by \d+ bytes at a suspension \(buffer: 4096 bytes; raise asyncifySize\)$/);
  await bystander;
  assert.deepEqual(lines, ['b0', 'b1', 'b2']);
  assert.equal(await rt.run('deep_suspend', { depth: 10 }), undefined, 'the runtime is still usable');
});

test('a suspension deeper than the whole slab fails its task; nothing past the slab is written', async () => {
  // 5000 frames unwind about 140 KB, seven times the default slab: it used
  // to be written past the slab and abort the module.
  const { rt, lines } = await testRuntime();
  const bystander = rt.createTask('ticker', { label: 'b', n: 3 });
  const r = await settle(rt.run('deep_suspend', { depth: 5000 }));
  assert.equal(r.error.name, 'StackOverflowError');
  const over = Number(/overflowed by (\d+) bytes/.exec(r.error.message)[1]);
  assert.ok(over > 16384 + 4096, `the spill (${over} bytes past the buffer) is larger than the slab`);
  await bystander;
  assert.deepEqual(lines, ['b0', 'b1', 'b2']);
  assert.equal(await rt.run('greet', { who: 'after' }), 'hello, after', 'the runtime is still usable');
});

test('an Asyncify overflow is caught above 2 GiB of wasm memory too', async () => {
  // Pointers above 2^31 once read negative in the host's checks (>> 2).
  const { rt } = await testRuntime();
  // Two holds: sbrk takes at most 2 GiB at once.
  const holders = [1100, 1100].map((mb) => rt.createTask('hold_memory', { mb, ms: 50 }));
  await rt.sleep(1);
  assert.ok(rt.stats().memory > 2 ** 31, `wasm memory is above 2 GiB (${rt.stats().memory})`);
  const r = await settle(rt.run('deep_suspend', { depth: 200 }));
  assert.equal(r.error?.name, 'StackOverflowError');
  assert.equal(await rt.run('deep_suspend', { depth: 10 }), undefined, 'a small suspension up there works');
  await Promise.all(holders);
});

test('a bigger asyncifySize lets the same suspension through', async () => {
  const { rt, lines } = await testRuntime({ asyncifySize: 64 * 1024 });
  await rt.run('deep_suspend', { depth: 200 });
  assert.deepEqual(lines, ['deep_suspend slept: ok']);
});

test('the tasks queued behind an overflowing one in its iteration still run', async () => {
  const { rt, lines } = await testRuntime();
  const victim = rt.createTask('deep_stack', { depth: 500 });
  const next = rt.createTask('worker', { label: 'next', ms: -1 });
  const [v, n] = await Promise.allSettled([victim, next]);
  assert.equal(v.reason.name, 'StackOverflowError');
  assert.equal(n.status, 'fulfilled');
  assert.deepEqual(lines, ['start next', 'end next']);
});

test('fibers are pooled: 20k short tasks in rounds of 1000 reuse the same ones', async () => {
  const { rt } = await testRuntime();
  for (let round = 0; round < 20; round++) {
    const batch = Array.from({ length: 1000 }, (_, i) => rt.createTask('worker', { ms: i % 3, label: 'x' }));
    await Promise.all(batch);
  }
  const stats = rt.stats();
  assert.ok(stats.slabs <= 1000, `${stats.slabs} slabs for at most 1000 live tasks`);
  assert.equal(stats.idleSlabs, stats.slabs, 'all back in the pool');
  assert.equal(stats.ready, 0);
  assert.equal(stats.timers, 0);
});

test('a task that never suspends holds a slab only while it runs', async () => {
  const { rt } = await testRuntime();
  await Promise.all(Array.from({ length: 500 }, () => rt.createTask('worker', { ms: -1 })));
  assert.equal(rt.stats().slabs, 1);
});

test('when wasm memory runs out, only the tasks that cannot keep their stack while suspended fail, with a MemoryError', async () => {
  // 80 tasks each suspending with 60 MiB of stack in use: the 4 GiB wasm
  // memory keeps about 60 of them.
  const { rt } = await testRuntime({ stackSize: 2 ** 26 });
  const kb = 60 * 1024;
  const tasks = Array.from({ length: 80 }, () => rt.createTask('big_frame', { kb, ms: 10 }));
  const results = await Promise.allSettled(tasks);
  const failed = results.filter((r) => r.status === 'rejected');
  assert.ok(failed.length > 0 && failed.length < 80, `${failed.length} of 80 failed`);
  for (const f of failed) {
    assert.equal(f.reason.name, 'MemoryError');
    assert.match(f.reason.message, /^no memory to keep the task's stack \(\d+ bytes\) while it is suspended$/);
  }
  for (const r of results.filter((x) => x.status === 'fulfilled')) assert.equal(r.value, kb * 1024, 'every byte kept');
  assert.equal(await rt.run('worker', { ms: 1, result: 5 }), 5, 'the runtime goes on');
});

test('the run stack is shared: each task finds its own locals again after the others ran on it', async () => {
  const { rt } = await testRuntime();
  // Different frame sizes, sleeping in an interleaved order.
  const tasks = [1, 7, 3, 11, 2, 5].map((kb, i) => rt.createTask('big_frame', { kb, ms: (i * 37) % 11 }));
  assert.deepEqual(await Promise.all(tasks), [1, 7, 3, 11, 2, 5].map((kb) => kb * 1024));
});

test('a stack overflow in a done callback (outside any task) is reported, and the loop goes on', async () => {
  const { rt, lines, errors } = await testRuntime();
  await rt.run('overflow_in_callback');
  assert.deepEqual(lines, ['start child', 'end child', 'after the callback']);
  assert.equal(errors.length, 1);
  assert.match(errors[0].message,
    /^(C stack overflowed \(stack: \d+ bytes; raise stackSize\)|the JavaScript engine's call stack overflowed \(recursion too deep\)) outside any task \(in a done callback\); the rest of that loop iteration runs in the next one$/);
  assert.equal(await rt.run('worker', { ms: 1, result: 2 }), 2);
});

test('a task whose recursion exhausts the engine\'s own call stack fails alone', async () => {
  const { rt, lines } = await testRuntime();
  const bystander = rt.createTask('ticker', { label: 'b', n: 3 });
  const r = await settle(rt.run('deep_suspend', { depth: 1000000 }));
  assert.equal(r.error.name, 'StackOverflowError');
  assert.equal(r.error.message, "the JavaScript engine's call stack overflowed (recursion too deep)");
  await bystander;
  assert.deepEqual(lines, ['b0', 'b1', 'b2']);
  assert.equal(await rt.run('deep_suspend', { depth: 10 }), undefined, 'fibers still switch');
});

test('every task stack is 16-byte aligned, so float formatting works on all of them', async () => {
  const { rt, lines } = await testRuntime();
  // Several live at once, so several slabs, wherever malloc puts them.
  await Promise.all(Array.from({ length: 8 }, () => rt.createTask('stack_alignment')));
  assert.deepEqual(lines, Array(8).fill("sp % 16 = 0, zero = '0'"));
});

test('wa_task_alloc memory stays put while its task sleeps; a local\'s address does not', async () => {
  const { rt } = await testRuntime();
  assert.equal(await rt.run('stack_rule', { heap: 1 }), 1, 'a callback\'s write through wa_task_alloc memory is seen');
  if (buildDir === 'build-asan') return; // there the local's case is reported: see the next test
  assert.equal(await rt.run('stack_rule', { heap: 0 }), 0, 'a write through a sleeping task\'s local is lost');
});

test('the ASan build reports a write through a sleeping task\'s local', { skip: buildDir !== 'build-asan' && 'ASan build only (npm run test:sanitize)' }, () => {
  // In a child process: ASan stops the module at its first report.
  const script = `import { testRuntime } from ${JSON.stringify(new URL('../helpers.mjs', import.meta.url).href)};
const { rt } = await testRuntime();
await rt.run('stack_rule', { heap: 0 }).catch(() => {});`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: process.env });
  assert.notEqual(r.status, 0, 'the module stopped');
  const report = r.stdout + r.stderr;
  assert.ok(/use-after-poison/.test(report) && /set_flag/.test(report), `no ASan report on set_flag's write: ${report.slice(0, 2000).replace(/ERROR: AddressSanitizer|SUMMARY: AddressSanitizer/g, '(report)')}`);
});

// The sanitizer builds inline differently, so other runtime functions make
// the same calls through pointers there: the list of dispatchers is the
// release build's.
const releaseOnly = buildDir === 'build' ? false : 'reads the release build (sanitizer builds inline differently)';

test('Asyncify instruments every function that can be on a suspending task\'s stack, and few others', { skip: releaseOnly }, async () => {
  // The module is built with ASYNCIFY_IGNORE_INDIRECT and src/module.json's
  // asyncifyAdd; bin/wasyncio-asyncify-check.mjs reads the built test
  // module (linked with --profiling-funcs for its names).
  const { checkAsyncify } = await import('../../bin/wasyncio-asyncify-check.mjs');
  const manifest = JSON.parse(readFileSync(new URL('../../src/module.json', import.meta.url), 'utf8'));
  const wasm = readFileSync(new URL(`../../${buildDir}/wasyncio_test.wasm`, import.meta.url));
  const never = manifest.asyncifyNeverSuspendThrough;
  const r = checkAsyncify(wasm, { never });
  assert.deepEqual(r.misses, [], 'functions Asyncify left out');
  for (const name of [...manifest.asyncifyAdd, 'wa_sleep', 'wa_task_join', 'wa__task_suspend']) {
    assert.ok(r.instrumented.includes(name), `${name} is instrumented`);
  }
  for (const name of ['wa_loop_run', 'wa__task_step', 'wa__fiber_enter', 'malloc', 'snprintf', 'wa_host_print']) {
    assert.ok(!r.instrumented.includes(name), `${name} is not instrumented`);
  }
  assert.ok(r.instrumented.length < r.functions / 4, `${r.instrumented.length} of ${r.functions} instrumented`);
  // Each dispatcher on the list is there for a reason: without it, the check flags it.
  for (const name of ['wa__task_step', 'wa_loop_run']) {
    const without = checkAsyncify(wasm, { never: never.filter((n) => n !== name) });
    assert.ok(without.misses.some((m) => m.name === name && /calls through a pointer of the type of .*which can suspend/.test(m.why)),
      `${name} flagged once off the list: ${JSON.stringify(without.misses)}`);
  }
});
