// Garbage collection and the primitives: a JS handle owns a reference to
// its C primitive (released by a FinalizationRegistry), a C task's args and
// a running wait hold their own. Dropping every JS handle while C tasks
// wait on a primitive must change nothing; afterwards every task and
// future is freed (rt.stats().tasks back to its baseline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { testRuntime } from '../helpers.mjs';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Collects garbage; FinalizationRegistry callbacks run on later turns. */
async function collect() {
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 1));
    await tick();
  }
}

/** Collects until rt's task count is back to baseline (or stops falling). */
async function settleTo(rt, baseline) {
  for (let round = 0, last = Infinity, stale = 0; round < 40 && stale < 6; round++) {
    await collect();
    const { tasks } = rt.stats();
    if (tasks <= baseline) return tasks;
    stale = tasks < last ? 0 : stale + 1;
    last = tasks;
  }
  return rt.stats().tasks;
}

test('C tasks keep waiting on a lock, a semaphore, a queue and a barrier whose JS handles were collected', async () => {
  const { rt, lines } = await testRuntime();
  const baseline = rt.stats().tasks;
  // Everything in a function, so that no variable keeps a handle.
  (() => {
    const lock = rt.lock();
    for (const label of ['L1', 'L2', 'L3']) rt.createTask('lock_user', { l: lock, label, hold: 10 });
    const sem = rt.semaphore(1);
    for (const label of ['S1', 'S2']) rt.createTask('sem_user', { s: sem, label, hold: 10 });
    const q = rt.queue({ maxsize: 1 });
    rt.createTask('producer', { q, label: 'P', start: 0, n: 4 });
    rt.createTask('consumer', { q, label: 'C', n: 4 });
    const b = rt.barrier(2);
    rt.createTask('barrier_party', { b, label: 'B1' });
    rt.createTask('barrier_party', { b, label: 'B2' });
  })();
  await rt.sleep(0); // each has started and holds or waits
  await collect(); // the handles go, and the registry's releases run
  await rt.sleep(100);
  assert.deepEqual(lines.filter((l) => l.startsWith('L')), ['L1 acquired', 'L1 released', 'L2 acquired',
    'L2 released', 'L3 acquired', 'L3 released']);
  assert.deepEqual(lines.filter((l) => l.startsWith('S')), ['S1 acquired value 0', 'S1 released value 0',
    'S2 acquired value 0', 'S2 released value 1']);
  assert.deepEqual(lines.filter((l) => /^[PC] /.test(l)), ['P put 0', 'C got 0', 'P put 1', 'C got 1', 'P put 2',
    'C got 2', 'P put 3', 'C got 3']);
  assert.deepEqual(lines.filter((l) => l.startsWith('B')).sort(), ['B1 index 0', 'B2 index 1']);
  assert.equal(await settleTo(rt, baseline), baseline, 'every task and waiter future freed');
});

test('an Operation keeps its primitive alive until it has run, though nothing else refers to the primitive', async () => {
  const { rt } = await testRuntime();
  const baseline = rt.stats().tasks;
  // The lock and the queue are unreachable once these return: only the
  // operations are left.
  const acquire = rt.lock().acquire();
  const get = (() => {
    const q = rt.queue();
    q.putNowait('kept');
    return q.get();
  })();
  await collect();
  // New primitives of the same size, likely where the old ones were if
  // those were freed, in states that would show it: held, and empty.
  const other = rt.lock();
  await rt.run((ctx) => ctx.wait(other.acquire()));
  const empty = rt.queue();
  const ran = await (async () => {
    const t = rt.createTask(async (ctx) => [await ctx.wait(acquire), await ctx.wait(get)]);
    await rt.sleep(10);
    assert.equal(t.done(), true, 'the operations ran on their own (unlocked, non-empty) primitives');
    return t.result();
  })();
  assert.deepEqual(ran, [true, 'kept']);
  assert.equal(other.locked(), true);
  other.release();
  assert.equal(empty.qsize(), 0);
  assert.equal(await settleTo(rt, baseline), baseline);
});

test('JS tasks waiting on a dropped queue and condition, with C tasks: all finish, nothing leaks', async () => {
  const { rt, lines } = await testRuntime();
  const baseline = rt.stats().tasks;
  let done = 0;
  (() => {
    const q = rt.queue();
    const cond = rt.condition();
    const ev = rt.event();
    for (const label of ['J1', 'J2']) {
      rt.createTask(async (ctx) => {
        lines.push(`${label} got ${await ctx.wait(q.get())}`);
        q.taskDone();
        done++;
      });
    }
    rt.createTask('cond_waiter', { c: cond, e: ev, label: 'CW' });
    rt.createTask(async (ctx) => {
      await ctx.sleep(20);
      q.putNowait('a');
      q.putNowait('b');
      await ctx.wait(cond.acquire());
      ev.set();
      cond.notifyAll();
      cond.release();
      await ctx.wait(q.join());
      lines.push('joined');
      done++;
    });
  })();
  await rt.sleep(0);
  await collect();
  await rt.sleep(50);
  assert.equal(done, 3);
  assert.deepEqual(lines, ['J1 got a', 'J2 got b', 'CW woke locked yes', 'joined']);
  assert.equal(await settleTo(rt, baseline), baseline);
});

test('many waits, cancelled, failed or served, leave no task, future or primitive behind', async () => {
  const { rt } = await testRuntime();
  const baseline = rt.stats().tasks;
  const memory = rt.stats().memory;
  for (let round = 0; round < 3; round++) {
    await rt.run(async (ctx) => {
      const lock = rt.lock();
      const q = rt.queue();
      const full = rt.queue({ maxsize: 1 });
      const sem = rt.semaphore(0);
      const cond = rt.condition();
      const ev = rt.event();
      const b = rt.barrier(1000);
      full.putNowait('x');
      await ctx.wait(lock.acquire());
      const waiters = [];
      for (let i = 0; i < 100; i++) {
        waiters.push(rt.createTask(async (c) => {
          await c.wait(lock.acquire());
          lock.release();
        }));
        waiters.push(rt.createTask((c) => c.wait(q.get())));
        waiters.push(rt.createTask((c) => c.wait(sem.acquire())));
        waiters.push(rt.createTask('lock_user', { l: lock, label: 'x', hold: 0 }));
        waiters.push(rt.createTask(async (c) => {
          await c.wait(cond.acquire());
          try {
            await c.wait(cond.waitFor(() => ev.isSet()));
          } finally {
            cond.release();
          }
        }));
        waiters.push(rt.createTask((c) => c.wait(ev.wait())));
        waiters.push(rt.createTask((c) => c.wait(b.wait())));
        waiters.push(rt.createTask((c) => c.wait(full.put(i)))); // fail: QueueShutDown
        waiters.push(rt.createTask((c) => c.wait(full.join())));
      }
      await ctx.sleep(0);
      waiters.forEach((w, i) => Math.floor(i / 9) % 3 === 0 && w.cancel()); // a third of each kind
      lock.release();
      for (let i = 0; i < 100; i++) {
        q.putNowait(i);
        sem.release();
      }
      await ctx.wait(cond.acquire());
      ev.set();
      cond.notifyAll();
      cond.release();
      await ctx.wait(b.abort());
      full.shutdown(true);
      const outcomes = await ctx.wait(rt.gather(waiters, { returnExceptions: true }));
      const names = new Set(outcomes.map((x) => x?.name ?? 'ok'));
      assert.deepEqual([...names].sort(), ['BrokenBarrierError', 'CancelledError', 'QueueShutDown', 'ok']);
    });
  }
  assert.equal(await settleTo(rt, baseline), baseline);
  assert.ok(rt.stats().memory <= memory + 4 * 2 ** 20, 'memory did not grow with the rounds');
});
