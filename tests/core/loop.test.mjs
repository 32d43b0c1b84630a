// The scheduler: iterations, the virtual clock, and the one host timer.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { testRuntime } from '../helpers.mjs';
import { findPython } from '../coroutines/scenario/harness.mjs';

test('virtual clock: an hour of sleeping tasks takes no real time', async () => {
  const { rt, lines } = await testRuntime();
  const started = performance.now();
  const tasks = [];
  for (let i = 1; i <= 60; i++) tasks.push(rt.createTask('worker', { label: `m${i}`, ms: i * 60000 }));
  await Promise.all(tasks);
  assert.equal(rt.time(), 3600000);
  assert.equal(lines.filter((l) => l.startsWith('end')).length, 60);
  assert.ok(performance.now() - started < 5000, 'virtual time does not wait');
});

test('virtual clock: JS code awaiting the runtime sees the loop time of each wake-up', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  for (const ms of [5, 10, 20]) {
    await rt.sleep(ms);
    seen.push(rt.time());
  }
  assert.deepEqual(seen, [5, 15, 35]);
});

test('ties between equal deadlines break in the order the timers were set', async () => {
  const { rt, lines } = await testRuntime();
  const tasks = ['a', 'b', 'c', 'd', 'e'].map((label) => rt.createTask('worker', { label, ms: 10 }));
  await Promise.all(tasks);
  assert.deepEqual(lines.filter((l) => l.startsWith('end')), ['end a', 'end b', 'end c', 'end d', 'end e']);
});

test('the host timer for a delay beyond 2^31-1 ms is chained, never overflowed', async (t) => {
  const { rt } = await testRuntime({ clock: 'real' });
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const delays = [];
  const mocked = globalThis.setTimeout;
  globalThis.setTimeout = (fn, ms, ...rest) => {
    delays.push(ms);
    return mocked(fn, ms, ...rest);
  };
  try {
    let woke = false;
    rt.sleep(2 ** 32).then(() => (woke = true));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(delays.length, 1);
    assert.ok(delays[0] <= 2 ** 31 - 1, `armed ${delays[0]} ms`);
    assert.ok(delays[0] > 2 ** 31 - 10, 'as long as a host timer can be');
    t.mock.timers.tick(2 ** 31 - 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(woke, false, 'the host timer fired, but the deadline is still ahead');
    assert.equal(delays.length, 2, 're-armed for the rest');
    assert.ok(delays[1] <= 2 ** 31 - 1);
  } finally {
    globalThis.setTimeout = mocked;
  }
});

test('many runtimes are independent: their own module, clock and tasks', async () => {
  const a = await testRuntime();
  const b = await testRuntime();
  await a.rt.sleep(100);
  assert.equal(a.rt.time(), 100);
  assert.equal(b.rt.time(), 0);
  const ta = a.rt.createTask('worker', { label: 'A', ms: 1 });
  const tb = b.rt.createTask('worker', { label: 'B', ms: 1 });
  await Promise.all([ta, tb]);
  assert.deepEqual([a.lines, b.lines], [['start A', 'end A'], ['start B', 'end B']]);
  assert.equal(ta.id, tb.id, 'ids are per runtime');
});

test('a busy task does not starve the host: the pump hands control back between slices', async () => {
  const { rt } = await testRuntime({ clock: 'real' });
  let hostTurns = 0;
  const interval = setInterval(() => hostTurns++, 1);
  // 40 steps of 5 ms busy work each: 200 ms of work in 8 ms slices.
  await rt.run('ticker', { label: 'x', n: 40, busy_ms: 5 });
  clearInterval(interval);
  assert.ok(hostTurns >= 5, `the host event loop ran ${hostTurns} times meanwhile`);
});

const CALL_HANDLES_PY = `
import asyncio
async def main():
    loop = asyncio.get_running_loop()
    log = []
    loop.call_soon(log.append, 'a')
    h = loop.call_later(0.010, log.append, 'b')
    loop.call_soon(log.append, 'c')
    loop.call_later(0.005, log.append, 'd')
    loop.call_at(loop.time() + 0.005, log.append, 'e')
    h.cancel()
    loop.call_soon(log.append, 'f').cancel()
    r = loop.call_soon(log.append, 'g')
    await asyncio.sleep(0)
    log.append('after-sleep(0)')
    await asyncio.sleep(0.020)
    r.cancel()
    log.append('end')
    print(' '.join(log))
asyncio.run(main())
`;

test('wa_call_soon, wa_call_later, wa_call_at and their handles run and cancel as CPython 3.13\'s loop does', async () => {
  const { cmd, env } = findPython();
  const py = spawnSync(cmd, ['-c', CALL_HANDLES_PY], { env, encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const { rt } = await testRuntime();
  const before = rt.stats().timers;
  const [log, refused] = (await rt.run('call_handles')).split(' | ');
  assert.equal(log, py.stdout.trim());
  assert.equal(rt.stats().timers, before, 'no handle left in the heap');
  // Beyond CPython (which takes both, and fails later or never fires): a
  // NULL callback and a NaN time are refused at once.
  assert.equal(refused, 'TypeError ValueError');
});
