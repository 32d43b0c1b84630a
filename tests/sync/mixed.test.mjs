// C tasks and JS tasks on one primitive: the C coroutines of
// tests/c/sync_probes.c take the primitives JS made (parameters "l:lock",
// "q:queue", ...) and use the C API (wa_lock_acquire, wa_queue_get, ...),
// printing as their twins in sync.py (c_lock_user, ...) do; the whole log
// is compared with CPython's. Also the C API's refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testRuntime } from '../helpers.mjs';
import { scenario, expectedLogs, yn } from './harness.mjs';

scenario('mixed_lock', async ({ rt, ctx, log }) => {
  const lock = rt.lock();
  await ctx.wait(lock.acquire());
  const js = (label) => rt.createTask(async (t) => {
    await t.wait(lock.acquire());
    log(`${label} acquired`);
    lock.release();
  });
  const c1 = rt.createTask('lock_user', { l: lock, label: 'C1', hold: 0 });
  const j1 = js('J1');
  const c2 = rt.createTask('lock_user', { l: lock, label: 'C2', hold: 10 });
  const j2 = js('J2');
  await ctx.sleep(0);
  lock.release();
  c1.cancel();
  await ctx.wait(rt.gather([c1, j1, c2, j2], { returnExceptions: true }));
  log(`locked ${yn(lock.locked())}`);
});

scenario('mixed_semaphore', async ({ rt, ctx, log }) => {
  const sem = rt.semaphore(2);
  const js = (label) => rt.createTask(async (t) => {
    await t.wait(sem.acquire());
    log(`${label} acquired`);
    await t.sleep(5);
    sem.release();
  });
  const c = (label, hold) => rt.createTask('sem_user', { s: sem, label, hold });
  const ts = [c('C1', 10), js('J1'), c('C2', 10), js('J2'), c('C3', 0)];
  await ctx.sleep(0);
  ts[4].cancel();
  await ctx.wait(rt.gather(ts, { returnExceptions: true }));
  log(`locked ${yn(sem.locked())}`);
});

scenario('mixed_event', async ({ rt, ctx, log }) => {
  const ev = rt.event();
  const js = (label) => rt.createTask(async (t) => {
    await t.wait(ev.wait());
    log(`${label} woke`);
  });
  const c = (label) => rt.createTask('event_waiter', { e: ev, label });
  const ts = [c('C1'), js('J1'), c('C2'), js('J2')];
  await ctx.sleep(0);
  ts[2].cancel();
  ev.set();
  await ctx.wait(rt.gather(ts, { returnExceptions: true }));
});

scenario('mixed_condition', async ({ rt, ctx, log }) => {
  const cond = rt.condition();
  const ev = rt.event();
  const js = (label) => rt.createTask(async (t) => {
    await t.wait(cond.acquire());
    try {
      await t.wait(cond.waitFor(() => ev.isSet()));
      log(`${label} woke`);
    } finally {
      cond.release();
    }
  });
  const c = (label) => rt.createTask('cond_waiter', { c: cond, e: ev, label });
  const ts = [c('C1'), js('J1'), c('C2')];
  await ctx.sleep(0);
  await ctx.wait(cond.acquire());
  cond.notify(1);
  ts[0].cancel();
  cond.release();
  await ctx.sleep(0);
  await ctx.sleep(0);
  await ctx.wait(cond.acquire());
  ev.set();
  cond.notifyAll();
  cond.release();
  await ctx.wait(rt.gather(ts, { returnExceptions: true }));
  log(`locked ${yn(cond.locked())}`);
});

scenario('mixed_barrier', async ({ rt, ctx, log }) => {
  const b = rt.barrier(3);
  const js = (label) => rt.createTask(async (t) => {
    log(`${label} index ${await t.wait(b.wait())}`);
  });
  const c = (label) => rt.createTask('barrier_party', { b, label });
  const ts = [c('C1'), js('J1'), c('C2'), js('J2'), c('C3'), js('J3')];
  await ctx.wait(rt.gather(ts));
  const t = c('C4');
  await ctx.sleep(0);
  log(`n_waiting ${b.nWaiting}`);
  await ctx.wait(b.abort());
  await ctx.wait(rt.gather([t], { returnExceptions: true }));
  log(`broken ${yn(b.broken)}`);
});

scenario('mixed_queue', async ({ rt, ctx, log }) => {
  const q = rt.queue({ maxsize: 2 });
  const jsConsumer = (label, n) => rt.createTask(async (t) => {
    for (let i = 0; i < n; i++) {
      const item = await t.wait(q.get());
      log(`${label} got ${JSON.stringify(item)}`);
      q.taskDone();
    }
  });
  const ts = [
    rt.createTask('producer', { q, label: 'P', start: 0, n: 6 }),
    jsConsumer('J', 3),
    rt.createTask('consumer', { q, label: 'C', n: 3 }),
  ];
  await ctx.sleep(0);
  await ctx.wait(q.join());
  log('joined');
  await ctx.wait(rt.gather(ts));
  await ctx.wait(q.put('text'));
  await ctx.wait(q.put([1, 'two']));
  const g = rt.createTask('consumer', { q, label: 'C', n: 3 });
  await ctx.sleep(0);
  await ctx.sleep(0);
  q.shutdown();
  await ctx.wait(rt.gather([g], { returnExceptions: true }));
  log(`qsize ${q.qsize()}`);
});

scenario('mixed_priority', async ({ rt, ctx }) => {
  const q = rt.queue({ order: 'priority' });
  await ctx.wait(rt.gather([
    rt.createTask('producer', { q, label: 'P', start: 5, n: 3 }),
    rt.createTask('producer', { q, label: 'R', start: 1, n: 3 }),
  ]));
  await ctx.wait(q.put(0.5));
  await ctx.wait(rt.gather([rt.createTask('consumer', { q, label: 'C', n: 7 })]));
});

test('the C API refuses what CPython refuses, with the same errors; and NULLs, with TypeErrors', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('sync_c_api', {});
  const python = lines.filter((l) => !l.startsWith('C: '));
  assert.equal(python.join('; '), expectedLogs('capi_').get('capi_errors'));
  assert.deepEqual(lines.filter((l) => l.startsWith('C: ')), [
    "C: PriorityQueue number then string: TypeError: '<' not supported between a priority queue's items: string and number",
    'C: qsize 1, task_done twice:', // the refused item was not stored, nor counted
    'C: task_done: ok',
    'C: task_done: ValueError: task_done() called too many times',
    'C: wa_queue_new order 7: ValueError: wa_queue_new: unknown order 7',
    'C: wa_lock_acquire(NULL): TypeError: wa_lock_acquire: the lock is NULL',
    'C: wa_lock_release(NULL): TypeError: wa_lock_release: the lock is NULL',
    'C: wa_event_wait(NULL): TypeError: wa_event_wait: the event is NULL',
    'C: wa_semaphore_acquire(NULL): TypeError: wa_semaphore_acquire: the semaphore is NULL',
    'C: wa_semaphore_release(NULL): TypeError: wa_semaphore_release: the semaphore is NULL',
    'C: wa_condition_wait(NULL): TypeError: wa_condition_wait: the condition is NULL',
    'C: wa_condition_wait_for(c, NULL): TypeError: wa_condition_wait_for: NULL predicate',
    'C: wa_condition_notify(NULL): TypeError: wa_condition_notify: the condition is NULL',
    'C: wa_barrier_wait(NULL): TypeError: wa_barrier_wait: the barrier is NULL',
    'C: wa_queue_put(NULL): TypeError: wa_queue_put: the queue is NULL',
    'C: wa_queue_get(NULL): TypeError: wa_queue_get: the queue is NULL',
    'C: wa_queue_join(NULL): TypeError: wa_queue_join: the queue is NULL',
  ]);
});

test('a blocking C call outside any task is a RuntimeError, even when it would not wait', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('sync_outside_task', {});
  assert.deepEqual(lines, ['outside a task: wa_lock_acquire: RuntimeError: Lock: waiting needs a running task']);
});

test('a C coroutine refuses a primitive of the wrong kind, or of another runtime', async () => {
  const { rt } = await testRuntime();
  assert.deepEqual(rt.parameters('lock_user').map((p) => p.type), ['lock', 'string', 'number']);
  assert.throws(() => rt.createTask('lock_user', { l: rt.event(), label: 'x', hold: 0 }),
    { name: 'TypeError', message: /^lock_user\(\): argument 'l' must be a Lock of this runtime, not / });
  assert.throws(() => rt.createTask('sem_user', { s: rt.lock(), label: 'x', hold: 0 }),
    { name: 'TypeError', message: /^sem_user\(\): argument 's' must be a Semaphore of this runtime, not / });
  const other = (await testRuntime()).rt;
  assert.throws(() => rt.createTask('consumer', { q: other.queue(), label: 'x', n: 1 }),
    { name: 'TypeError', message: /^consumer\(\): argument 'q' must be a Queue of this runtime, not / });
  // A bounded semaphore is a semaphore.
  const b = rt.boundedSemaphore(1);
  await rt.run('sem_user', { s: b, label: 'B', hold: 0 });
});
