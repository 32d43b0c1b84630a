// The seed notebook's cells, as C coroutines in the product module, must
// print exactly what the notebook printed (checked against CPython 3.13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRuntime } from '../src/wasyncio.mjs';

async function productRuntime(clock = 'virtual') {
  const lines = [];
  const rt = await createRuntime({ clock, print: (l) => lines.push(l) });
  return { rt, lines };
}

test('the product module has the notebook coroutines, with declared parameters', async () => {
  const { rt } = await productRuntime();
  assert.deepEqual([...rt.coroutines].sort(), ['display_date', 'some_coro']);
  assert.deepEqual(rt.parameters('some_coro'), [{ name: 'param', type: 'number', optional: false }]);
  assert.deepEqual(rt.parameters('display_date'), []);
});

test('ten some_coro tasks, three cancelled: the cancellations first, in cancel order, then the rest in order', async () => {
  const { rt, lines } = await productRuntime();
  const tasks = Array.from({ length: 10 }, (_, i) => rt.createTask('some_coro', { param: i }));
  await rt.sleep(0); // let them start
  for (const i of [7, 2, 5]) assert.equal(tasks[i].cancel(), true);
  const results = await Promise.allSettled(tasks);
  assert.deepEqual(lines, [
    'Cancelled coro with param: 7',
    'Cancelled coro with param: 2',
    'Cancelled coro with param: 5',
    'Completed coro with param: 0',
    'Completed coro with param: 1',
    'Completed coro with param: 3',
    'Completed coro with param: 4',
    'Completed coro with param: 6',
    'Completed coro with param: 8',
    'Completed coro with param: 9',
  ]);
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason.name)),
    [0, 1, 'CancelledError', 3, 4, 'CancelledError', 6, 'CancelledError', 8, 9],
  );
  assert.equal(rt.time(), 1000);
});

test('some_coro returns its param after a second', async () => {
  const { rt, lines } = await productRuntime();
  assert.equal(await rt.run('some_coro', { param: 7 }), 7);
  assert.deepEqual(lines, ['Completed coro with param: 7']);
  assert.equal(rt.time(), 1000);
});

test('display_date prints the date and time every 500 ms for 1.5 s', async () => {
  const { rt, lines } = await productRuntime();
  const times = [];
  const rtPrint = lines.push.bind(lines);
  lines.push = (l) => (times.push(rt.time()), rtPrint(l));
  assert.equal(await rt.run('display_date', {}), undefined);
  assert.equal(lines.length, 3);
  for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  assert.deepEqual(times, [0, 500, 1000]);
  const year = new Date().getFullYear();
  assert.ok(lines[0].startsWith(`${year}-`) || lines[0].startsWith(`${year - 1}-`), 'the real date');
});

test('display_date in real time: lines about 500 ms apart', async () => {
  const { rt, lines } = await productRuntime('real');
  await rt.run('display_date', {});
  const stamps = lines.map((l) => Date.parse(l.replace(' ', 'T').slice(0, 23)));
  assert.equal(stamps.length, 3);
  for (let i = 1; i < 3; i++) assert.ok(stamps[i] - stamps[i - 1] >= 499, `${stamps[i] - stamps[i - 1]} ms apart`);
});
