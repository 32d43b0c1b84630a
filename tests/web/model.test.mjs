// web/model.mjs (rt.trace() events -> the timeline's tree) and
// web/steps.mjs (the scenario editor's presets and compact JSON), in Node:
// events recorded from a virtual-clock runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRuntime } from 'wasyncio';
import { TimelineModel, STATE, outline, callGraph, traceEvents } from '../../web/model.mjs';
import { PRESETS, formatSteps, parseSteps, manyTasks } from '../../web/steps.mjs';
import { TERMINATE_C } from './trees.mjs';

async function record(run) {
  const rt = await createRuntime({ clock: 'virtual', print: () => {} });
  const rec = rt.trace({ limit: Infinity });
  await run(rt);
  rec.stop();
  return { rt, json: JSON.parse(JSON.stringify(rec.toJSON())) };
}

const treeOf = async (run) => {
  const { json } = await record(run);
  return outline(new TimelineModel().applyAll(traceEvents(json)));
};

test('terminate_cell: the jobs and the terminator under the group\'s exit future, under the cell; final states', async () => {
  assert.deepEqual(await treeOf((rt) => rt.run('terminate_cell', {})), TERMINATE_C);
});

test('gather_cell, task_group_cell, some_coro, display_date: every task once, under its parent', async () => {
  assert.deepEqual(await treeOf((rt) => rt.run('gather_cell', {})), [
    'Task-*: done', '  gather (gather): done', '    A: done', '    B: done', '    C: done',
  ]);
  assert.deepEqual(await treeOf((rt) => rt.run('task_group_cell', {})), [
    'Task-*: done', '  TaskGroup exit (group): done', '    Task-*: done', '    Task-*: done',
  ]);
  assert.deepEqual(await treeOf((rt) => rt.run('some_coro', { param: 1 })), ['Task-*: done']);
  assert.deepEqual(await treeOf((rt) => rt.run('display_date', {})), ['Task-*: done']);
});

test('JS-driven cells: a gather made after its tasks still holds them; the timeout task and its child', async () => {
  assert.deepEqual(await treeOf(async (rt) => {
    await rt.gather([rt.createTask('factorial', { name: 'A', number: 2 }), rt.createTask('factorial', { name: 'B', number: 3 })]);
  }), ['gather (gather): done', '  Task-*: done', '  Task-*: done']);
  assert.deepEqual(await treeOf(async (rt) => {
    await rt.timeout(1500, (ctx) => ctx.wait(rt.createTask('factorial', { name: 'T', number: 4 })), { name: 'timeout' }).catch(() => {});
  }), ['timeout: failed TimeoutError: ', '  Task-*: cancelled']);
});

test('segments: a job sleeps, is cancelled; the time states and the call graph', async () => {
  const { json } = await record((rt) => rt.run('terminate_cell', {}));
  const m = new TimelineModel().applyAll(json.events);
  const job2 = m.tasks.get(4);
  assert.deepEqual([job2.segT, job2.segS], [[0, 1000], [STATE.SLEEP, STATE.CANCELLING]]);
  assert.deepEqual([job2.created, job2.ended, job2.state], [0, 1000, 'cancelled']);
  const cell = m.tasks.get(1);
  assert.equal(TimelineModel.segmentAt(cell, 500), 0);
  assert.equal(cell.segS[TimelineModel.segmentAt(cell, 500)], STATE.SLEEP);
  assert.equal(m.pending, 0);
  // At 1000 ms the cell awaits the group's exit, so it awaits each job.
  const upTo = json.events.findIndex((e) => e.task === 1 && e.type === 'suspended' && e.waitingOn === 'task');
  const half = new TimelineModel().applyAll(json.events.slice(0, upTo + 1));
  assert.deepEqual(callGraph(half, 5).awaitedBy.map((n) => n.task.id), [1]);
  assert.equal(half.pending > 0, true);
});

test('10,000 tasks: the model takes the events fast and rows() is cached', async () => {
  const { json } = await record((rt) => rt.run('scenario', { steps: manyTasks(10000) }));
  const t0 = performance.now();
  const m = new TimelineModel().applyAll(json.events);
  const rows = m.rows();
  const took = performance.now() - t0;
  assert.equal(rows.length, 10000 + 100 + 100 + 1 + 1, 'root, its group, 100 spawners, their 100 groups, 10,000 children');
  assert.equal(m.rows(), rows, 'cached while nothing changes');
  assert.equal(m.rows(new Set([rows[0].task.id])).length, 1, 'collapsing the root hides the rest');
  assert.ok(took < 2000, `${took} ms`);
});

test('a saved trace is checked: bad ones are errors saying why', () => {
  assert.throws(() => traceEvents([]), /a trace is an object/);
  assert.throws(() => traceEvents({ version: 2, events: [] }), /unknown trace version 2/);
  assert.throws(() => traceEvents({ version: 1 }), /no events array/);
  assert.throws(() => traceEvents({ version: 1, events: [{ type: 'nope', task: 1, time: 0 }] }), /event 0: unknown type/);
  assert.throws(() => traceEvents({ version: 1, events: [{ type: 'step', task: 1, time: 5 }, { type: 'step', task: 1, time: 1 }] }), /time goes backwards/);
  assert.deepEqual(traceEvents({ version: 1, events: [], dropped: 0 }), []);
});

test('a cycle of parents (bad input) still draws each task once', () => {
  const m = new TimelineModel().applyAll([
    { time: 0, type: 'created', task: 1, name: 'a', taskType: 'Task', parent: 2 },
    { time: 0, type: 'created', task: 2, name: 'b', taskType: 'Task', parent: 1 },
    { time: 0, type: 'created', task: 3, name: 'c', taskType: 'Task', parent: null },
  ]);
  assert.deepEqual(m.rows().map((r) => r.task.name).sort(), ['a', 'b', 'c']);
});

test('a C coroutine\'s result comes from its ended event; without one it is not known', () => {
  const m = new TimelineModel().applyAll([
    { time: 0, type: 'created', task: 1, name: 'a', taskType: 'Task', parent: null, coroutine: 'worker' },
    { time: 1, type: 'ended', task: 1, state: 'done', error: null, message: null, result: 2.5 },
    { time: 1, type: 'ended', task: 2, state: 'done', error: null, message: null, result: null },
    { time: 1, type: 'ended', task: 3, state: 'done', error: null, message: null },
    { time: 1, type: 'ended', task: 4, state: 'done', error: null, message: null, result: { bad: 1 } },
  ]);
  assert.deepEqual([1, 2, 3, 4].map((id) => m.tasks.get(id).result), [2.5, null, undefined, undefined]);
  assert.equal(m.tasks.get(1).coroutine, 'worker');
});

test('a model made `since` an id ignores the events of older tasks (the page\'s Clear)', () => {
  const m = new TimelineModel({ since: 5 }).applyAll([
    { time: 0, type: 'step', task: 4, thrownIn: false },
    { time: 0, type: 'created', task: 5, name: 'new', taskType: 'Task', parent: 4 },
    { time: 1, type: 'ended', task: 4, state: 'done', error: null, message: null },
  ]);
  assert.deepEqual(outline(m, { anonymous: false }), ['new: pending']);
});

test('events of tasks whose creation was not kept still give rows', () => {
  const m = new TimelineModel().applyAll([
    { time: 5, type: 'step', task: 9, thrownIn: false },
    { time: 6, type: 'ended', task: 9, state: 'failed', error: 'ValueError: x', message: null },
  ]);
  assert.deepEqual(outline(m, { anonymous: false }), ['#9: failed ValueError: x']);
});

test('presets: one per seed cell and more; compact JSON, one step per line, reads back the same', async () => {
  for (const cell of ['some_coro', 'display_date', 'job', 'factorial', 'task group', 'terminate', 'gather', 'timeout', 'cancel three']) {
    assert.ok(Object.keys(PRESETS).some((k) => k.includes(cell)), cell);
  }
  const rt = await createRuntime({ clock: 'virtual', print: () => {} });
  for (const [name, make] of Object.entries(PRESETS)) {
    const steps = make();
    const text = formatSteps(steps);
    assert.deepEqual(parseSteps(text), steps, name);
    if (name.startsWith('10,000')) continue;
    const outcome = await rt.run('scenario', { steps }).then(() => 'ok', (e) => e.name);
    assert.ok(!['ScenarioError', 'TypeError', 'RangeError'].includes(outcome), `${name}: ${outcome}`);
  }
  assert.equal(formatSteps(PRESETS['a child fails: the group cancels the rest']()), [
    '[',
    '  ["try", [',
    '    ["group", [',
    '      ["spawn", "a", [',
    '        ["sleep", 500],',
    '        ["log_time", "a fails"],',
    '        ["raise", "ValueError", "boom"]',
    '      ]],',
    '      ["spawn", "b", [',
    '        ["try", [["sleep", 2000]], {"CancelledError": [',
    '          ["log_time", "b cancelled"],',
    '          ["reraise"]',
    '        ]}]',
    '      ]],',
    '      ["sleep", 3000],',
    '      ["log", "never printed"]',
    '    ]]',
    '  ], {"ExceptionGroup": [["log_error"]]}],',
    '  ["log_time", "after the group"]',
    ']',
  ].join('\n'));
  const big = formatSteps(manyTasks(10000)).split('\n');
  assert.equal(big.length, 10000 + 100 * 5 + 5, 'a line per child; per group its spawn, sleep, group and two closing');
  assert.equal(big[5], '        ["spawn", "t0.0", [["sleep", 50]]],');
  assert.throws(() => parseSteps('[1,'), /^Error: the steps are not JSON/);
  assert.throws(() => parseSteps('{"a": 1}'), /must be a JSON array/);
});
