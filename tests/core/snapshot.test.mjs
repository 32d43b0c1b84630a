// rt.tasks(), rt.formatTaskTree(), rt.callGraph() and wa_print_task_tree():
// every pending task, C and JS, with who made it and what it waits on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRuntime } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';

test('the terminate cell while it runs: a tree by creator, each job in the group, sleeping until its deadline', async () => {
  const rt = await createRuntime({ clock: 'virtual', print: () => {} });
  const cell = rt.createTask('terminate_cell', {});
  await rt.sleep(100);
  assert.equal(rt.formatTaskTree(), [
    "└── Task 'Task-1' (#1, terminate_cell): waiting on sleep until 1000 ms",
    "    ├── Task 'Task-2' (#3, job, in group #2): waiting on sleep until 500 ms",
    "    ├── Task 'Task-3' (#4, job, in group #2): waiting on sleep until 1500 ms",
    "    ├── Task 'Task-4' (#5, job, in group #2): waiting on sleep until 2500 ms",
    "    └── Task 'Task-5' (#6, job, in group #2): waiting on sleep until 3500 ms",
    '',
  ].join('\n'));
  const tasks = rt.tasks();
  assert.deepEqual(tasks.map((t) => [t.id, t.name, t.coroutine, t.parent, t.children, t.containerType, t.waiting, t.until]), [
    [1, 'Task-1', 'terminate_cell', 0, [3, 4, 5, 6], null, 'sleep', 1000],
    [3, 'Task-2', 'job', 1, [], 'group', 'sleep', 500],
    [4, 'Task-3', 'job', 1, [], 'group', 'sleep', 1500],
    [5, 'Task-4', 'job', 1, [], 'group', 'sleep', 2500],
    [6, 'Task-5', 'job', 1, [], 'group', 'sleep', 3500],
  ]);
  await settle(cell);
  assert.equal(rt.formatTaskTree(), '(no pending tasks)\n');
  assert.deepEqual(rt.tasks(), []);
});

test('JS tasks appear too, under the JS task whose step made them; cancelling and cancelling() show', async () => {
  const { rt } = await testRuntime();
  let inner;
  const outer = rt.createTask(async (ctx) => {
    inner = rt.createTask(async (c) => c.sleep(50), { name: 'inner' });
    await ctx.wait(inner);
  }, { name: 'outer' });
  await rt.sleep(1);
  const [o, i] = rt.tasks();
  assert.deepEqual([o.name, o.parent, o.children, o.waiting, o.awaiting], ['outer', 0, [i.id], 'task', i.id]);
  assert.deepEqual([i.name, i.parent, i.waiting, i.awaiting], ['inner', o.id, 'task', i.awaiting]);
  inner.cancel('stop');
  // The cancel went to what inner awaits (its sleep future): inner counts it.
  assert.equal(rt.tasks().find((t) => t.name === 'inner').cancelling, 1);
  assert.match(rt.formatTaskTree(), /└── Task 'inner' \(#\d+\): cancelling \(1\), awaiting Future 'sleep'/);
  await settle(outer);
});

test('callGraph: who awaits a task, through a gather, up to the task nobody awaits', async () => {
  const { rt } = await testRuntime();
  let leaf;
  const top = rt.createTask(async (ctx) => {
    leaf = rt.createTask('worker', { ms: 50 }, { name: 'leaf' });
    const other = rt.createTask('worker', { ms: 50 }, { name: 'other' });
    await ctx.wait(rt.gather([leaf, other]));
  }, { name: 'top' });
  await rt.sleep(1);
  const graph = rt.callGraph(leaf);
  assert.equal(graph.task.name, 'leaf');
  assert.equal(graph.task.containerType, 'gather');
  assert.deepEqual(graph.awaitedBy.map((n) => [n.task.name, n.awaitedBy.length]), [['top', 0]]);
  assert.deepEqual(rt.callGraph(top).awaitedBy, []);
  assert.throws(() => rt.callGraph({}), { name: 'TypeError' });
  await settle(top);
});

test('wa_print_task_tree prints the same tree from C', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('print_tree', { ms: 20 }, { name: 'printer' });
  assert.deepEqual(lines, [
    "└── Task 'printer' (#1, print_tree): ready",
    "    └── Task 'sleepy' (#2): waiting on sleep until 20 ms",
  ]);
});

test('leftover tasks can be listed after close(): a task made by cleanup during the shutdown stays pending', async () => {
  const { rt } = await testRuntime();
  rt.createTask(async (ctx) => {
    try {
      await ctx.sleep(1000);
    } finally {
      rt.createTask('worker', { ms: 1000 }, { name: 'straggler' }); // asyncio does not cancel it either
    }
  }, { name: 'cleaner' });
  await rt.sleep(1);
  assert.deepEqual(rt.tasks().map((t) => [t.name, t.state]), [['cleaner', 'waiting']]);
  await rt.close();
  assert.deepEqual(rt.tasks().map((t) => [t.name, t.state, t.waiting]), [['straggler', 'waiting', 'sleep']]);
  assert.match(rt.formatTaskTree(), /^└── Task 'straggler' \(#\d+, worker\): waiting on sleep until 1001 ms\n$/);
  assert.throws(() => rt.createTask('worker', { ms: 1 }), /the runtime is closed/);
});

test('cancelTask(id): cancels a C-spawned group child by id; the group goes on as asyncio would', async () => {
  const lines = [];
  const rt = await createRuntime({ clock: 'virtual', print: (line) => lines.push(line) });
  const events = [];
  const recorder = rt.trace({ onEvent: (e) => events.push(e) });
  const cell = rt.createTask('terminate_cell', {});
  await rt.sleep(100);
  const job2 = rt.tasks().find((t) => t.name === 'Task-3'); // job 2, sleeping until 1500 ms
  assert.equal(job2.coroutine, 'job');
  assert.equal(rt.cancelTask(job2.id, 'from JS'), true);
  assert.equal(rt.tasks().find((t) => t.id === job2.id).cancelling, 1);
  // A child cancelled from outside is no error for its group: the others
  // run on, until the terminator's failure cancels jobs 3 and 4.
  assert.equal(await cell, 3, 'jobs 2, 3 and 4 ended cancelled');
  recorder.stop();
  assert.deepEqual(events.filter((e) => e.task === job2.id && (e.type === 'cancel' || e.type === 'ended'))
    .map((e) => [e.time, e.type, e.state ?? null, e.message]), [
    [100, 'cancel', null, 'from JS'],
    [100, 'ended', 'cancelled', 'from JS'],
  ]);
  assert.deepEqual(lines, [
    'Task 1: start', 'Task 2: start', 'Task 3: start', 'Task 4: start', 'Task 1: done', 'Task group terminated.',
  ]);
  assert.equal(rt.cancelTask(job2.id), false, 'no longer pending');
  assert.equal(rt.cancelTask(9999), false, 'unknown id');
  assert.equal(rt.cancelTask(0), false);
  assert.throws(() => rt.cancelTask(1.5), { name: 'TypeError', message: 'cancelTask: id must be a whole number (a task id), not 1.5' });
  assert.throws(() => rt.cancelTask('3'), { name: 'TypeError' });
  assert.throws(() => rt.cancelTask(3, 7), { name: 'TypeError', message: 'cancelTask: message must be a string, not 7' });
  assert.throws(() => rt.cancelTask(3, 'a\0b'), { name: 'TypeError', message: /NUL/ });
  await rt.close();
  assert.throws(() => rt.cancelTask(1), /cancelTask: the runtime is closed$/);
});
