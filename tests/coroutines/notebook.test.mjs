// The seed notebook's cells, as C coroutines in the product module, must
// print exactly what the notebook printed (checked against CPython 3.13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRuntime, ExceptionGroup } from 'wasyncio';

// The product module (not the test module), from WASYNCIO_BUILD when set,
// as in helpers.mjs; otherwise createRuntime's default, build/.
const buildDir = process.env.WASYNCIO_BUILD;
const productModule = buildDir && {
  factory: () => import(new URL(`../../${buildDir}/wasyncio.mjs`, import.meta.url)),
  wasm: new URL(`../../${buildDir}/wasyncio.wasm`, import.meta.url),
};

async function productRuntime(clock = 'virtual') {
  const lines = [];
  const errors = [];
  const rt = await createRuntime({
    clock,
    print: (l) => lines.push(l),
    onError: (message) => errors.push(message),
    ...(productModule && { module: productModule }),
  });
  return { rt, lines, errors };
}

test('the product module has the notebook coroutines, with declared parameters', async () => {
  const { rt } = await productRuntime();
  assert.deepEqual([...rt.coroutines].sort(), [
    'display_date', 'factorial', 'fetch_all', 'force_terminate_task_group', 'gather_cell',
    'job', 'scenario', 'some_coro', 'task_group_cell', 'terminate_cell',
  ]);
  assert.deepEqual(rt.parameters('some_coro'), [{ name: 'param', type: 'number', optional: false }]);
  assert.deepEqual(rt.parameters('job'), [
    { name: 'task_id', type: 'number', optional: false },
    { name: 'sleep_ms', type: 'number', optional: false },
  ]);
  assert.deepEqual(rt.parameters('factorial'), [
    { name: 'name', type: 'string', optional: false },
    { name: 'number', type: 'number', optional: false },
  ]);
  for (const cell of ['display_date', 'force_terminate_task_group', 'terminate_cell', 'gather_cell', 'task_group_cell']) {
    assert.deepEqual(rt.parameters(cell), [], cell);
  }
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

// ---- The asyncio docs' TaskGroup and gather examples -----------------------
// The expected lines are what CPython 3.13.0 printed for the same Python
// programs (asyncio.sleep in seconds, job and factorial as in the docs):
//   async def job(task_id, sleep_time):
//       print(f'Task {task_id}: start')
//       await asyncio.sleep(sleep_time)
//       print(f'Task {task_id}: done')
//   async def factorial(name, number):
//       f = 1
//       for i in range(2, number + 1):
//           print(f"Task {name}: Compute factorial({number}), currently i={i}...")
//           await asyncio.sleep(1)
//           f *= i
//       print(f"Task {name}: factorial({number}) = {f}")
//       return f

// Every task reference a cell takes is given back: what is left is at most
// the cell's own task, which its JS Task object holds until collected.
function assertNoTaskLeft(rt) {
  assert.ok(rt.stats().tasks <= 1, `${rt.stats().tasks} tasks still in memory`);
}

// The nine lines of factorial A 2, B 3 and C 4 running at once.
const FACTORIAL_LINES = [
  'Task A: Compute factorial(2), currently i=2...',
  'Task B: Compute factorial(3), currently i=2...',
  'Task C: Compute factorial(4), currently i=2...',
  'Task A: factorial(2) = 2',
  'Task B: Compute factorial(3), currently i=3...',
  'Task C: Compute factorial(4), currently i=3...',
  'Task B: factorial(3) = 6',
  'Task C: Compute factorial(4), currently i=4...',
  'Task C: factorial(4) = 24',
];

test('job prints start, sleeps sleep_ms, prints done', async () => {
  const { rt, lines } = await productRuntime();
  assert.equal(await rt.run('job', { task_id: 1, sleep_ms: 500 }), undefined);
  // await job(1, 0.5)
  assert.deepEqual(lines, ['Task 1: start', 'Task 1: done']);
  assert.equal(rt.time(), 500);
});

test('a cancelled job never prints done', async () => {
  const { rt, lines } = await productRuntime();
  const task = rt.createTask('job', { task_id: 2, sleep_ms: 1500 });
  await rt.sleep(100);
  task.cancel();
  await assert.rejects(async () => await task, { name: 'CancelledError' });
  await rt.sleep(5000);
  assert.deepEqual(lines, ['Task 2: start']);
});

test('force_terminate_task_group fails at once with TerminateTaskGroup and no message', async () => {
  const { rt, lines } = await productRuntime();
  // raise TerminateTaskGroup(): type(e).__name__ == 'TerminateTaskGroup', str(e) == ''
  await assert.rejects(rt.run('force_terminate_task_group', {}), (error) => {
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'TerminateTaskGroup');
    assert.equal(error.message, '');
    return true;
  });
  assert.deepEqual(lines, []);
  assert.equal(rt.time(), 0);
});

test('factorial run alone: 4! = 24, one step a second', async () => {
  const { rt, lines } = await productRuntime();
  assert.equal(await rt.run('factorial', { name: 'A', number: 4 }), 24);
  // print(await factorial("A", 4))
  assert.deepEqual(lines, [
    'Task A: Compute factorial(4), currently i=2...',
    'Task A: Compute factorial(4), currently i=3...',
    'Task A: Compute factorial(4), currently i=4...',
    'Task A: factorial(4) = 24',
  ]);
  assert.equal(rt.time(), 3000);
});

test('factorial of 0 and 1 is 1 at once; a fractional number is a TypeError', async () => {
  const { rt, lines } = await productRuntime();
  assert.equal(await rt.run('factorial', { name: 'Z', number: 0 }), 1);
  assert.equal(await rt.run('factorial', { name: 'Y', number: 1 }), 1);
  assert.deepEqual(lines, ['Task Z: factorial(0) = 1', 'Task Y: factorial(1) = 1']);
  await assert.rejects(rt.run('factorial', { name: 'X', number: 2.5 }), { name: 'TypeError' });
  assert.equal(rt.time(), 0);
});

test('three factorial tasks from JavaScript, awaited together: the docs\' gather output', async () => {
  const { rt, lines, errors } = await productRuntime();
  const tasks = [['A', 2], ['B', 3], ['C', 4]].map(([name, number]) =>
    rt.createTask('factorial', { name, number }, { name }));
  assert.deepEqual(tasks.map((t) => t.name), ['A', 'B', 'C']);
  assert.deepEqual(await Promise.all(tasks), [2, 6, 24]);
  assert.deepEqual(lines, FACTORIAL_LINES);
  assert.equal(rt.time(), 3000);
  assert.deepEqual(errors, []);
});

test('terminate_cell: the docs\' "terminate a task group", jobs 2 to 4 cancelled at 1 s', async () => {
  const { rt, lines, errors } = await productRuntime();
  // try:
  //     async with TaskGroup() as group:
  //         group.create_task(job(1, 0.5)) ... job(4, 3.5)
  //         await asyncio.sleep(1)
  //         group.create_task(force_terminate_task_group())
  // except* TerminateTaskGroup:
  //     print('Task group terminated.')
  // CPython: the jobs' cancelled() == [False, True, True, True], at 1.0 s.
  assert.equal(await rt.run('terminate_cell', {}), 3, 'the cell returns how many jobs ended cancelled');
  assert.equal(rt.time(), 1000);
  const expected = [
    'Task 1: start',
    'Task 2: start',
    'Task 3: start',
    'Task 4: start',
    'Task 1: done',
    'Task group terminated.',
  ];
  assert.deepEqual(lines, expected);
  await rt.sleep(5000); // past job 4's 3.5 s: a job left running would print done
  assert.deepEqual(lines, expected);
  assert.deepEqual(errors, []);
  assertNoTaskLeft(rt);
});

test('terminate_cell cancelled from outside: the cancel goes on, not caught by except*', async () => {
  const { rt, lines, errors } = await productRuntime();
  // The same cell as a task, cancelled at 0.2 s: CPython prints the four
  // starts, the cell ends cancelled, all four jobs cancelled, at 0.2 s.
  const cell = rt.createTask('terminate_cell', {});
  await rt.sleep(200);
  assert.equal(cell.cancel(), true);
  await assert.rejects(async () => await cell, { name: 'CancelledError' });
  assert.equal(rt.time(), 200);
  await rt.sleep(5000);
  assert.deepEqual(lines, ['Task 1: start', 'Task 2: start', 'Task 3: start', 'Task 4: start']);
  assert.deepEqual(errors, []);
  assertNoTaskLeft(rt);
});

test('gather_cell: the docs\' gather example, factorials in one C coroutine', async () => {
  const { rt, lines, errors } = await productRuntime();
  // L = await asyncio.gather(factorial("A", 2), factorial("B", 3), factorial("C", 4))
  // print(L)
  const list = await rt.run('gather_cell', {});
  assert.equal(list, '[2, 6, 24]', 'the cell returns the list as printed');
  assert.deepEqual(JSON.parse(list), [2, 6, 24]);
  assert.deepEqual(lines, [...FACTORIAL_LINES, '[2, 6, 24]']);
  assert.equal(rt.time(), 3000);
  assert.deepEqual(errors, []);
  assertNoTaskLeft(rt);
});

test('gather_cell cancelled at 1.5 s: the factorials still running are cancelled', async () => {
  const { rt, lines, errors } = await productRuntime();
  // CPython, the cell as a task cancelled at 1.5 s: A has finished, B and C
  // are cancelled, no list is printed.
  const cell = rt.createTask('gather_cell', {});
  await rt.sleep(1500);
  assert.equal(cell.cancel(), true);
  await assert.rejects(async () => await cell, { name: 'CancelledError' });
  assert.equal(rt.time(), 1500);
  await rt.sleep(5000);
  assert.deepEqual(lines, FACTORIAL_LINES.slice(0, 6));
  assert.deepEqual(errors, []);
  assertNoTaskLeft(rt);
});

test('task_group_cell: the docs\' TaskGroup example, exit waits for both jobs', async () => {
  const { rt, lines, errors } = await productRuntime();
  // async with asyncio.TaskGroup() as tg:
  //     tg.create_task(job(1, 1))
  //     tg.create_task(job(2, 2))
  // print("Both tasks have completed now.")
  assert.equal(await rt.run('task_group_cell', {}), undefined);
  assert.deepEqual(lines, [
    'Task 1: start',
    'Task 2: start',
    'Task 1: done',
    'Task 2: done',
    'Both tasks have completed now.',
  ]);
  assert.equal(rt.time(), 2000);
  assert.deepEqual(errors, []);
  assertNoTaskLeft(rt);
});

// ---- the same cells driven from JavaScript, with rt.taskGroup / rt.gather --

test('the terminate cell from JS: rt.taskGroup, then split() as except* TerminateTaskGroup', async () => {
  const { rt, lines, errors } = await productRuntime();
  const jobs = [];
  const group = rt.taskGroup(async (tg) => {
    [500, 1500, 2500, 3500].forEach((ms, i) => jobs.push(tg.createTask('job', { task_id: i + 1, sleep_ms: ms })));
    await tg.sleep(1000);
    tg.createTask('force_terminate_task_group', {});
  });
  try {
    await group;
    assert.fail('the group should have raised');
  } catch (error) {
    assert.ok(error instanceof ExceptionGroup, `${error}`);
    const [terminated, rest] = error.split('TerminateTaskGroup');
    assert.equal(rest, null);
    if (terminated) lines.push('Task group terminated.');
  }
  assert.equal(rt.time(), 1000);
  assert.deepEqual(lines, [
    'Task 1: start', 'Task 2: start', 'Task 3: start', 'Task 4: start', 'Task 1: done', 'Task group terminated.',
  ]);
  assert.deepEqual(jobs.map((j) => j.cancelled()), [false, true, true, true]);
  assert.deepEqual(errors, []);
});

test('the gather cell from JS: rt.gather of three factorial tasks', async () => {
  const { rt, lines } = await productRuntime();
  const tasks = [['A', 2], ['B', 3], ['C', 4]].map(([name, number]) => rt.createTask('factorial', { name, number }));
  assert.deepEqual(await rt.gather(tasks), [2, 6, 24]);
  assert.deepEqual(lines, FACTORIAL_LINES);
  assert.equal(rt.time(), 3000);
});

test('the task group cell from JS: rt.taskGroup waits for both jobs', async () => {
  const { rt, lines } = await productRuntime();
  await rt.taskGroup(async (tg) => {
    tg.createTask('job', { task_id: 1, sleep_ms: 1000 });
    tg.createTask('job', { task_id: 2, sleep_ms: 2000 });
  });
  lines.push('Both tasks have completed now.');
  assert.deepEqual(lines, ['Task 1: start', 'Task 2: start', 'Task 1: done', 'Task 2: done', 'Both tasks have completed now.']);
  assert.equal(rt.time(), 2000);
});
