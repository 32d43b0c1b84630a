// rt.trace(): the scheduler's transitions as events (created, member,
// step, suspended, cancel, ended), taken after each pump of the loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TraceRecorder } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';

const brief = (e) => {
  const { time, type, task, ...rest } = e;
  return [time, type, task, rest];
};

test('one C task: created, step, suspended on its sleep until the deadline, step, ended with its state', async () => {
  const { rt } = await testRuntime();
  const recorder = rt.trace();
  assert.ok(recorder instanceof TraceRecorder);
  const t = rt.createTask('worker', { ms: 10, result: 3 }, { name: 'w' });
  await settle(t);
  assert.deepEqual(recorder.events().filter((e) => e.task === t.id).map(brief), [
    [0, 'created', t.id, { name: 'w', taskType: 'Task', parent: null, coroutine: 'worker' }],
    [0, 'step', t.id, { thrownIn: false }],
    [0, 'suspended', t.id, { waitingOn: 'sleep', awaiting: null, until: 10 }],
    [10, 'step', t.id, { thrownIn: false }],
    [10, 'ended', t.id, { state: 'done', error: null, message: null, result: 3 }],
  ]);
  recorder.stop();
});

test('cancel, failure, group membership and awaiting another task are recorded; every task made ends once', async () => {
  const { rt } = await testRuntime();
  const events = [];
  const recorder = rt.trace({ onEvent: (e) => events.push(e) });
  const cell = rt.createTask('terminate_cell', {});
  const failing = rt.createTask('fail', { ms: 5, type: 'ValueError', message: 'bad' }, { name: 'failing' });
  const sleeper = rt.createTask('worker', { ms: 100 }, { name: 'sleeper' });
  await rt.sleep(1);
  sleeper.cancel('enough');
  await Promise.all([settle(cell), settle(failing), settle(sleeper)]);
  recorder.stop();
  const of = (task, type) => events.filter((e) => e.task === task.id && e.type === type);
  assert.deepEqual(of(sleeper, 'cancel').map((e) => e.message), ['enough']);
  assert.deepEqual(of(sleeper, 'ended').map((e) => [e.state, e.message]), [['cancelled', 'enough']]);
  assert.deepEqual(of(failing, 'ended').map((e) => [e.state, e.error]), [['failed', 'ValueError: bad']]);
  const members = events.filter((e) => e.type === 'member');
  assert.equal(members.length, 5, 'four jobs and the terminator joined the group');
  assert.ok(members.every((e) => e.containerType === 'group' && e.container === members[0].container));
  assert.ok(events.some((e) => e.task === cell.id && e.type === 'suspended' && e.waitingOn === 'task'
    && e.awaiting === members[0].container), 'the cell waits on the group\'s exit future');
  const created = events.filter((e) => e.type === 'created').map((e) => e.task);
  const ended = events.filter((e) => e.type === 'ended').map((e) => e.task);
  assert.deepEqual([...ended].sort((a, b) => a - b), [...created].sort((a, b) => a - b), 'each task made ends once');
  assert.deepEqual(recorder.events(), events, 'events() keeps what onEvent saw');
  assert.equal(recorder.dropped, 0);
});

test('JS tasks: suspended on the task they await; limit keeps the last events; stop() ends the recording', async () => {
  const { rt } = await testRuntime();
  const recorder = rt.trace({ limit: 3 });
  const child = rt.createTask('worker', { ms: 5 });
  const parent = rt.createTask(async (ctx) => ctx.wait(child), { name: 'js' });
  await settle(parent);
  const kept = recorder.events();
  assert.equal(kept.length, 3);
  assert.deepEqual(kept.at(-1).type, 'ended');
  recorder.stop();
  const all = rt.trace();
  const again = rt.createTask(async (ctx) => ctx.wait(rt.createTask('worker', { ms: 1 })), { name: 'js2' });
  await settle(again);
  const suspended = all.events().find((e) => e.task === again.id && e.type === 'suspended');
  assert.equal(suspended.waitingOn, 'task');
  assert.deepEqual(all.events().filter((e) => e.type === 'created').map((e) => [e.task, e.coroutine]),
    [[again.id, null], [suspended.awaiting, 'worker']], 'a JS task has no C coroutine; a C task names its own');
  assert.equal(all.events().find((e) => e.task === suspended.awaiting && e.type === 'created').parent, again.id,
    'the awaited task was made by js2\'s step');
  all.stop();
  rt.createTask('worker', { ms: 1 });
  await rt.sleep(5);
  assert.equal(all.events().length, all.toJSON().events.length);
  assert.ok(!all.events().some((e) => e.time >= rt.time() - 1 && e.type === 'created' && e.name !== 'js2'),
    'nothing is recorded once stopped');
  assert.deepEqual(Object.keys(all.toJSON()), ['version', 'events', 'dropped']);
});

test('trace options are checked', async () => {
  const { rt } = await testRuntime();
  assert.throws(() => rt.trace({ limit: 0 }), { name: 'RangeError', message: /^trace: limit must be a whole number of events >= 1, or Infinity, not 0$/ });
  assert.throws(() => rt.trace({ onEvent: 1 }), { name: 'TypeError', message: 'trace: onEvent must be a function, not 1' });
  assert.throws(() => rt.trace({ size: 1 }), { name: 'TypeError', message: "trace: unknown option 'size' (it takes limit, onEvent)" });
  assert.throws(() => rt.trace(null), { name: 'TypeError' });
});

test('wa_trace_hook: a C program sees the same events, as they happen, until it unhooks', async () => {
  const { rt, lines } = await testRuntime();
  const t = rt.createTask('trace_hooked', {});
  await settle(t);
  assert.deepEqual(lines, [
    `created #${t.id + 1} other=${t.id} value=0 what=Task text=child coroutine=failing_child`,
    `suspended #${t.id} other=${t.id + 1} value=nan what=task text=-`,
    `step #${t.id + 1} other=0 value=0 what=- text=-`,
    `suspended #${t.id + 1} other=0 value=5 what=sleep text=-`,
    `step #${t.id + 1} other=0 value=0 what=- text=-`,
    `ended #${t.id + 1} other=0 value=2 what=- text=ValueError: child failed`,
    `step #${t.id} other=0 value=1 what=- text=-`, // the child's error thrown in
  ]);
  assert.equal(t.result(), undefined, 'it caught the error and returned');
});

test('ended: a C coroutine\'s result (number, string, None); none for a JS task or a future', async () => {
  const { rt } = await testRuntime();
  const recorder = rt.trace({ limit: Infinity });
  const made = {
    number: rt.createTask('worker', { ms: 1, result: 2.5 }),
    infinity: rt.createTask('worker', { ms: 1, result: -Infinity }),
    none: rt.createTask('scenario', { steps: [['sleep', 1]] }),
    string: rt.createTask('echo', { text: 'héllo "x"' }),
    js: rt.createTask(async () => 'kept in JS'),
  };
  const all = rt.gather(Object.values(made));
  await settle(all);
  recorder.stop();
  const ended = (task) => recorder.events().find((e) => e.task === task.id && e.type === 'ended');
  assert.equal(ended(made.number).result, 2.5);
  assert.equal(ended(made.infinity).result, -Infinity);
  assert.equal(ended(made.none).result, null);
  assert.equal(ended(made.string).result, 'héllo "x"');
  assert.ok(!('result' in ended(made.js)), 'a JS task\'s result stays in JS');
  assert.ok(!('result' in ended(all)), 'nor does a gather carry one');
  assert.equal(JSON.parse(JSON.stringify(recorder.toJSON())).events.find((e) => e.task === made.number.id && e.type === 'ended').result, 2.5);
});
