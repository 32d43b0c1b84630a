// The JS API's contract for bad input: clear errors naming what was wrong,
// and a runtime that stays usable afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative as relativePath, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRuntime } from 'wasyncio';
import { testRuntime, testModule, settle } from '../helpers.mjs';

test('createRuntime rejects bad options with the option named', async () => {
  const cases = [
    [{ clock: 'fast' }, TypeError, "createRuntime: clock must be 'real' or 'virtual', not the string \"fast\""],
    [{ print: 'console' }, TypeError, 'createRuntime: print must be a function, not the string "console"'],
    [{ onError: 1 }, TypeError, 'createRuntime: onError must be a function, not 1'],
    [{ stackSize: 100 }, RangeError, 'createRuntime: stackSize must be a multiple of 16 between 4096 and 2^26, not 100'],
    [{ asyncifySize: 1000.5 }, RangeError, 'createRuntime: asyncifySize must be a multiple of 16 between 512 and 2^26, not 1000.5'],
    [{ module: {} }, TypeError, 'createRuntime: module must be {factory, wasm}'],
    [null, TypeError, 'createRuntime: options must be an object'],
  ];
  for (const [options, type, message] of cases) {
    await assert.rejects(createRuntime(options), (e) => e instanceof type && e.message === message, message);
  }
});

test('an unknown coroutine is a TypeError listing what the module has', async () => {
  const { rt } = await testRuntime();
  assert.throws(() => rt.createTask('nope'), (e) => e instanceof TypeError &&
    e.message.startsWith("createTask: unknown coroutine 'nope'; this module has: ") &&
    e.message.includes('some_coro'));
  assert.throws(() => rt.createTask(42), { name: 'TypeError', message: 'createTask: coroutine must be a name (string), not 42' });
  await assert.rejects(rt.run('nope'), TypeError);
  assert.equal(await rt.run('worker', { ms: 1 }), 1, 'still usable');
});

test('arguments are checked against the coroutine\'s declared parameters', async () => {
  const { rt } = await testRuntime();
  const cases = [
    [{ param: '7' }, 'some_coro(): argument \'param\' must be a number, not the string "7"'],
    [{}, "some_coro() missing required argument 'param' (number)"],
    [{ param: 1, extra: 2 }, "some_coro() got an unexpected argument 'extra'"],
    [[1], 'some_coro(): arguments must be a plain object, not an array'],
    [null, 'some_coro(): arguments must be a plain object, not null'],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => rt.createTask('some_coro', args), { name: 'TypeError', message });
  }
  assert.throws(() => rt.createTask('worker', { ms: 1, label: 5 }), {
    name: 'TypeError', message: "worker(): argument 'label' must be a string, not 5",
  });
  assert.throws(() => rt.createTask('worker', { ms: 1 }, { name: 3 }), {
    name: 'TypeError', message: 'createTask: name must be a string, not 3',
  });
  assert.equal(rt.stats().tasks, 0, 'no task was created by a bad call');
  assert.equal(await rt.run('worker', { ms: 2, label: 'ok' }), 2, 'still usable');
});

test('a coroutine whose C declaration JS cannot follow is refused by name; the others work', async () => {
  const { rt } = await testRuntime();
  const message = "createTask: bad_declaration declares a parameter JavaScript cannot pass: 'x:float' (want name:number, name:string, name:json, name:task, or a primitive: name:lock, name:event, name:semaphore, name:condition, name:barrier, name:queue; name? when optional)";
  assert.throws(() => rt.createTask('bad_declaration', { x: 1 }), { name: 'TypeError', message });
  assert.ok(rt.coroutines.includes('bad_declaration'));
  assert.equal(await rt.run('worker', { ms: 1 }), 1);
});

test('optional parameters may be left out; strings cross into C intact', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('worker', { ms: 1, label: 'héllo wörld ✓' });
  assert.deepEqual(lines, ['start héllo wörld ✓', 'end héllo wörld ✓']);
  assert.equal(await rt.run('greet', { who: '世界' }), 'hello, 世界');
});

test('misuse of the C API gives error codes and errors, not crashes', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('bad_calls');
  assert.deepEqual(lines, [
    'sleep NaN: ValueError: Invalid delay: NaN (not a number)',
    'code -3',
    'join NULL: TypeError: wa_task_join: the task is NULL',
    'code -3',
    'spawn NULL: NULL',
    'after spawn NULL: TypeError: wa_task_spawn: the coroutine is NULL',
    'sleep -5 after errors: ok',
  ]);
});

test('a print function that throws is reported; the task carries on', async () => {
  const errors = [];
  const rt = await createRuntime({
    clock: 'virtual',
    module: testModule,
    print: () => {
      throw new Error('no console');
    },
    onError: (message, error) => errors.push(`${message}: ${error.message}`),
  });
  assert.equal(await rt.run('worker', { ms: 1, result: 3 }), 3);
  assert.deepEqual(errors, ['print failed: no console', 'print failed: no console']);
});

test('addDoneCallback wants a function', async () => {
  const { rt } = await testRuntime();
  const t = rt.createTask('worker', { ms: 1 });
  assert.throws(() => t.addDoneCallback('later'), { name: 'TypeError', message: 'addDoneCallback: not a function: the string "later"' });
  assert.equal(t.removeDoneCallback(() => {}), 0);
  assert.equal((await settle(t)).value, 1);
});

test('createRuntime reports a wasm file it cannot load, naming it and the option to use', async () => {
  const missing = new URL('./missing.wasm', import.meta.url);
  await assert.rejects(createRuntime({ module: { factory: testModule.factory, wasm: missing } }), (e) =>
    e.cause?.code === 'ENOENT' && e.message.startsWith(`wasyncio: cannot load the wasm from ${missing.href}: `) &&
    e.message.endsWith('(say where it is with createRuntime({wasm}))'));
  await assert.rejects(createRuntime({ wasm: 'no/such/dir/wasyncio.wasm' }), (e) =>
    e.cause?.code === 'ENOENT' && e.message.includes(pathToFileURL(resolve('no/such/dir/wasyncio.wasm')).href));
});

test('the wasm option says where the product module\'s wasm is: a path, a URL, or bytes', async () => {
  const url = new URL('../../build/wasyncio.wasm', import.meta.url);
  const bytes = readFileSync(url);
  const relative = relativePath(process.cwd(), fileURLToPath(url));
  const sources = [url, url.href, relative, bytes, new Uint8Array(bytes), bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)];
  for (const wasm of sources) {
    const rt = await createRuntime({ wasm, clock: 'virtual', print: () => {} });
    assert.equal(await rt.run('some_coro', { param: 3 }), 3, `wasm given as ${describeSource(wasm)}`);
  }
  for (const wasm of [42, null, {}, () => url]) {
    await assert.rejects(createRuntime({ wasm }), {
      name: 'TypeError',
      message: /^createRuntime: wasm must be a URL, a string \(path or URL\) or bytes \(ArrayBuffer or typed array\), not /,
    });
  }
  await assert.rejects(createRuntime({ module: testModule, wasm: url }), {
    name: 'TypeError', message: 'createRuntime: give module or wasm, not both (module.wasm says where its wasm is)',
  });
});

function describeSource(wasm) {
  return wasm instanceof URL ? 'a URL' : typeof wasm === 'string' ? `the string ${wasm}` : wasm.constructor.name;
}

test('a runtime nobody holds is garbage-collected, failed tasks and their errors included', async () => {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const make = async () => {
    const { rt } = await testRuntime();
    const failed = rt.createTask('fail', { ms: 1, type: 'ValueError', message: 'x' });
    await settle(failed); // the C error becomes a JS Error, with its stack
    await settle(rt.taskGroup(async (tg) => { tg.createTask('fail', { ms: 1, type: 'KeyError', message: 'k' }); }));
    return new WeakRef(rt);
  };
  const ref = await make();
  const tick = () => new Promise((resolve) => setTimeout(resolve, 10));
  // deref() keeps its target alive until the current job ends: collect in
  // a job that did not call it.
  for (let i = 0; i < 10; i++) {
    await tick();
    gc();
    await tick();
    if (!ref.deref()) break;
  }
  assert.equal(ref.deref(), undefined, 'the runtime is still reachable');
});

test('a runtime collected with handle releases pending does not stop later runtimes freeing theirs', async () => {
  // Node 20's V8 stops running every FinalizationRegistry callback in the
  // process once a registry with callbacks pending is itself collected; a
  // registry per runtime was, with its runtime. In a child process: the
  // failure would poison the rest of this file.
  const { spawnSync } = await import('node:child_process');
  const script = `
    import { testRuntime } from ${JSON.stringify(new URL('../helpers.mjs', import.meta.url).href)};
    const tick = () => new Promise((resolve) => setTimeout(resolve, 10));
    async function use() {
      const { rt } = await testRuntime();
      for (let i = 0; i < 50; i++) await rt.run('worker', { ms: 1 });
      await tick(); // its host timers done with
      return { rt };
    }
    let first = await use();
    await tick();
    globalThis.gc(); // its handles: their releases are pending
    first = null;
    globalThis.gc(); // then the runtime, before the releases could run
    const { rt } = await testRuntime();
    for (let i = 0; i < 50; i++) await rt.run('worker', { ms: 1 });
    for (let i = 0; i < 10 && rt.stats().tasks; i++) { await tick(); globalThis.gc(); await tick(); }
    console.log(rt.stats().tasks);`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.trim(), '0', 'the second runtime\'s tasks were never freed');
});
