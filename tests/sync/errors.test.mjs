// Misuse of the primitives' JS API gets a clear error at the call, and
// asyncio's own errors arrive as the exported classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BrokenBarrierError, CancelledError, InvalidStateError, QueueEmpty, QueueFull, QueueShutDown,
} from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';

test('constructors refuse what asyncio refuses, and what C cannot take', async () => {
  const { rt } = await testRuntime();
  assert.throws(() => rt.semaphore(-1), { name: 'ValueError', message: 'Semaphore initial value must be >= 0' });
  assert.throws(() => rt.boundedSemaphore(-1), { name: 'ValueError', message: 'Semaphore initial value must be >= 0' });
  assert.throws(() => rt.semaphore(1.5), { name: 'TypeError', message: 'semaphore: value must be an integer, not 1.5' });
  assert.throws(() => rt.semaphore('2'), { name: 'TypeError', message: /^semaphore: value must be an integer, not / });
  assert.throws(() => rt.semaphore(2 ** 31), { name: 'RangeError', message: 'semaphore: value is out of range: 2147483648' });
  assert.throws(() => rt.boundedSemaphore(null), { name: 'TypeError', message: /^boundedSemaphore: value must be an integer/ });
  assert.throws(() => rt.barrier(0), { name: 'ValueError', message: 'parties must be > 0' });
  assert.throws(() => rt.barrier(-4), { name: 'ValueError', message: 'parties must be > 0' });
  assert.throws(() => rt.barrier(), { name: 'TypeError', message: 'barrier: parties must be an integer, not undefined' });
  assert.throws(() => rt.queue({ maxsize: 1.5 }), { name: 'TypeError', message: 'queue: maxsize must be an integer, not 1.5' });
  assert.throws(() => rt.queue({ order: 'stack' }), { name: 'TypeError', message: /^queue: order must be 'fifo', 'lifo' or 'priority', not / });
  assert.throws(() => rt.queue({ size: 3 }), { name: 'TypeError', message: /size/ });
  assert.throws(() => rt.queue(5), { name: 'TypeError', message: 'queue: options must be an object, not 5' });
  assert.throws(() => rt.queue(null), { name: 'TypeError', message: 'queue: options must be an object, not null' });
  assert.throws(() => rt.condition(5), { name: 'TypeError', message: 'condition: lock must be a Lock of this runtime, not 5' });
  assert.throws(() => rt.condition(rt.event()), { name: 'TypeError', message: /^condition: lock must be a Lock of this runtime, not / });
  const other = (await testRuntime()).rt;
  assert.throws(() => rt.condition(other.lock()), { name: 'TypeError', message: /^condition: lock must be a Lock of this runtime/ });
  // null and undefined: a lock of its own, as Condition(None)
  assert.equal(rt.condition(null).locked(), false);
  assert.equal(rt.queue({ maxsize: 0 }).maxsize, 0);
});

test('a plain await of an Operation rejects with a TypeError that says to use ctx.wait; it stays usable', async () => {
  const { rt } = await testRuntime();
  const lock = rt.lock();
  const op = lock.acquire();
  assert.equal(Object.prototype.toString.call(op), '[object Operation lock.acquire()]');
  await assert.rejects(async () => {
    await op;
  }, { name: 'TypeError', message: 'lock.acquire() is awaited with ctx.wait(lock.acquire()) inside a task, not with a plain await' });
  await assert.rejects(Promise.resolve(rt.queue().get()), { name: 'TypeError', message: /^queue\.get\(\) is awaited with ctx\.wait/ });
  assert.equal(lock.locked(), false, 'the plain await did nothing');
  assert.equal(await rt.run((ctx) => ctx.wait(op)), true, 'and the operation still runs once, in a task');
  assert.equal(lock.locked(), true);
});

test('an Operation is awaited once: a second ctx.wait is an InvalidStateError', async () => {
  const { rt } = await testRuntime();
  const ev = rt.event();
  ev.set();
  const op = ev.wait();
  const log = await rt.run(async (ctx) => {
    const out = [await ctx.wait(op)];
    try {
      await ctx.wait(op);
    } catch (e) {
      out.push(`${e.name}: ${e.message}`, e instanceof InvalidStateError);
    }
    return out;
  });
  assert.deepEqual(log, [true, 'InvalidStateError: event.wait(): this operation was awaited already (make a new one)', true]);
  // Also when the first wait failed, or was refused.
  const t = rt.createTask(async (ctx) => {
    const get = rt.queue().get();
    const waiting = ctx.wait(rt.createTask((c) => c.sleep(5)));
    const busy = await settle(ctx.wait(get));
    await waiting;
    return [busy.error?.name, (await settle(ctx.wait(get))).error?.message];
  });
  assert.deepEqual(await t, ['InvalidStateError', 'queue.get(): this operation was awaited already (make a new one)']);
});

test('a task awaits one thing at a time: an Operation while it awaits something else is refused, the first wait goes on', async () => {
  const { rt } = await testRuntime();
  const ev = rt.event();
  const lock = rt.lock();
  const t = rt.createTask(async (ctx) => {
    const first = ctx.wait(ev.wait());
    const second = await settle(ctx.wait(lock.acquire()));
    return [second.error?.name, second.error?.message, await first, lock.locked()];
  }, { name: 'busy' });
  await rt.sleep(1);
  ev.set();
  assert.deepEqual(await t, ['InvalidStateError', 'busy already awaits something: a task awaits one thing at a time (use gather)', true, false]);
});

test('an Operation is not a task: gather, waitFor, shield and createTask refuse it, saying how to run it', async () => {
  const { rt } = await testRuntime();
  const op = rt.lock().acquire();
  const how = /is not a task; run it in one: rt\.createTask\(\(ctx\) => ctx\.wait\(op\)\)$/;
  assert.throws(() => rt.gather([op]), { name: 'TypeError', message: how });
  assert.throws(() => rt.waitFor(op, 10), { name: 'TypeError', message: how });
  assert.throws(() => rt.shield(op), { name: 'TypeError', message: how });
  assert.throws(() => rt.createTask(op), { name: 'TypeError' });
  assert.equal(await rt.run((ctx) => ctx.wait(op)), true, 'still unused, it runs');
});

test('methods check their arguments at the call', async () => {
  const { rt } = await testRuntime();
  const q = rt.queue();
  assert.throws(() => q.put(() => 1), { name: 'TypeError', message: /^queue\.put\(\): item .*, which C cannot take$/ });
  assert.throws(() => q.putNowait(10n), { name: 'TypeError', message: /^queue\.putNowait: item a value JSON cannot hold: / });
  assert.throws(() => q.putNowait(Symbol('s')), { name: 'TypeError' });
  assert.equal(q.qsize(), 0, 'nothing was put');
  assert.throws(() => q.shutdown('yes'), { name: 'TypeError', message: 'queue.shutdown: immediate must be a boolean, not the string "yes"' });
  const cond = rt.condition();
  assert.throws(() => cond.waitFor('x'), { name: 'TypeError', message: 'condition.waitFor: predicate must be a function, not the string "x"' });
  assert.throws(() => cond.notify(1.5), { name: 'TypeError', message: 'condition.notify: n must be an integer, not 1.5' });
  assert.throws(() => cond.notify(), { name: 'RuntimeError', message: 'cannot notify on un-acquired lock' });
});

test('a predicate that throws fails the wait, the lock held; asyncio errors are the exported classes', async () => {
  const { rt } = await testRuntime();
  const cond = rt.condition();
  const r = await rt.run(async (ctx) => {
    await ctx.wait(cond.acquire());
    let n = 0;
    const notifier = rt.createTask(async (c) => {
      await c.wait(cond.acquire());
      cond.notify();
      cond.release();
    });
    const out = await settle(ctx.wait(cond.waitFor(() => {
      if (n++ === 0) return false;
      throw new RangeError('bad predicate');
    })));
    await ctx.wait(notifier);
    return [out.error?.name, out.error?.message, cond.locked()];
  });
  assert.deepEqual(r, ['RangeError', 'bad predicate', true]);

  const q = rt.queue({ maxsize: 1 });
  assert.throws(() => q.getNowait(), QueueEmpty);
  q.putNowait(1);
  assert.throws(() => q.putNowait(2), QueueFull);
  q.shutdown();
  assert.throws(() => q.putNowait(2), QueueShutDown);
  const b = rt.barrier(2);
  await rt.run((ctx) => ctx.wait(b.abort()));
  assert.ok((await settle(rt.createTask((ctx) => ctx.wait(b.wait())))).error instanceof BrokenBarrierError);
  const w = rt.createTask((ctx) => ctx.wait(rt.event().wait()));
  await rt.sleep(1);
  w.cancel('why');
  const e = (await settle(w)).error;
  assert.ok(e instanceof CancelledError);
  assert.equal(e.message, 'why');
});

test('items cross as copies; undefined and null come back as undefined; a priority queue refuses another kind whole', async () => {
  const { rt } = await testRuntime();
  const q = rt.queue();
  const obj = { a: [1, 2] };
  const bytes = new Uint8Array([1, 2, 3]);
  for (const x of [obj, bytes, undefined, null, 'text', 2.5, true, [1, 'two']]) q.putNowait(x);
  const got = Array.from({ length: 8 }, () => q.getNowait());
  assert.deepEqual(got[0], obj);
  assert.notEqual(got[0], obj, 'a copy');
  assert.deepEqual([...got[1]], [1, 2, 3]);
  assert.notEqual(got[1], bytes);
  assert.deepEqual(got.slice(2), [undefined, undefined, 'text', 2.5, true, [1, 'two']]);

  const p = rt.queue({ order: 'priority' });
  p.putNowait([1, 'a']);
  // The refused item is not stored, nor is anything in its place (CPython
  // leaves it in its heap, uncounted).
  assert.throws(() => p.putNowait('b'), { name: 'TypeError', message: "'<' not supported between a priority queue's items: string and JSON" });
  assert.throws(() => p.putNowait(null), { name: 'TypeError', message: "'<' not supported between a priority queue's items: none and JSON" });
  assert.equal(p.qsize(), 1);
  assert.deepEqual(p.getNowait(), [1, 'a']);
  p.taskDone();
  assert.throws(() => p.taskDone(), { name: 'ValueError', message: 'task_done() called too many times' });
  // A full queue's QueueFull, thrown once: the item is not tried again.
  const full = rt.queue({ maxsize: 1 });
  full.putNowait('a');
  assert.throws(() => full.putNowait('b'), QueueFull);
  assert.deepEqual([full.qsize(), full.getNowait()], [1, 'a']);
});

test('after close, making a primitive is refused; what was made still answers', async () => {
  const { rt } = await testRuntime();
  const lock = rt.lock();
  await rt.close();
  for (const make of [() => rt.lock(), () => rt.event(), () => rt.semaphore(1), () => rt.boundedSemaphore(1),
    () => rt.condition(), () => rt.barrier(2), () => rt.queue()]) {
    assert.throws(make, { name: 'InvalidStateError', message: /: the runtime is closed$/ });
  }
  assert.equal(lock.locked(), false);
});
