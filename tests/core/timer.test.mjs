// The timer heap: wake-ups in (deadline, order set) order, stopping timers
// from anywhere in the heap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testRuntime, settle } from '../helpers.mjs';

// A small deterministic generator, so a failure can be replayed.
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

for (const seed of [1, 2, 3]) {
  test(`300 random sleeps wake sorted by deadline, ties in creation order, cancelled ones never (seed ${seed})`, async () => {
    const random = rng(seed);
    const { rt, lines } = await testRuntime();
    const specs = Array.from({ length: 300 }, (_, i) => ({ label: `t${i}`, ms: Math.floor(random() * 50) }));
    const tasks = specs.map((s) => rt.createTask('worker', s));
    await rt.sleep(0);
    const cancelled = new Set();
    for (let i = 0; i < 300; i++) {
      if (random() < 0.3 && specs[i].ms > 0) {
        tasks[i].cancel();
        cancelled.add(specs[i].label);
      }
    }
    await Promise.allSettled(tasks);
    const expected = specs
      .map((s, i) => ({ ...s, i }))
      .filter((s) => !cancelled.has(s.label))
      .sort((a, b) => a.ms - b.ms || a.i - b.i)
      .map((s) => `end ${s.label}`);
    assert.deepEqual(lines.filter((l) => l.startsWith('end')), expected);
    assert.equal(tasks.filter((t) => t.cancelled()).length, cancelled.size);
  });
}

test('timers set at different times for the same deadline fire in the order set', async () => {
  const { rt, lines } = await testRuntime();
  const late = rt.createTask('worker', { label: 'first-set', ms: 20 });
  await rt.sleep(10);
  const early = rt.createTask('worker', { label: 'second-set', ms: 10 });
  await Promise.all([late, early]);
  assert.deepEqual(lines.filter((l) => l.startsWith('end')), ['end first-set', 'end second-set']);
  assert.equal(rt.time(), 20);
  await settle(rt.sleep(0));
});
