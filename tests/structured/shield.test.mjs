// rt.shield (semantics sheet, section 6) with C and JS inner tasks.
// Expected outcomes were produced by the equivalent programs in CPython 3.13.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';

test('SH1 a JS task awaiting shield(C task) is cancelled; the inner task runs on and finishes', async () => {
  const { rt, lines } = await testRuntime();
  const seen = [];
  const inner = rt.createTask('worker', { label: 'w', ms: 100 });
  const outer = rt.createTask(async (ctx) => {
    try {
      return await ctx.wait(rt.shield(inner));
    } catch (error) {
      seen.push(`outer wait ${error.name} ${JSON.stringify(error.message)} at ${rt.time()}`);
      throw error;
    }
  });
  await rt.sleep(10);
  outer.cancel('stop');
  const r = await settle(outer);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'stop');
  assert.equal(outer.cancelled(), true);
  assert.equal(inner.done(), false);
  assert.equal(inner.cancelling(), 0);
  assert.equal(await inner, 100);
  assert.equal(inner.cancelled(), false);
  assert.equal(rt.time(), 100);
  assert.deepEqual(seen, ['outer wait CancelledError "stop" at 10']);
  assert.deepEqual(lines, ['start w', 'end w']);
});

test('SH1 cancelling the shield itself leaves a JS inner task running', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  const inner = rt.createTask(async (ctx) => {
    await ctx.sleep(50);
    seen.push(`js inner end at ${rt.time()}`);
    return 'js';
  });
  const s = rt.shield(inner);
  await rt.sleep(10);
  assert.equal(s.cancel('x'), true);
  const r = await settle(s);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'x');
  assert.equal(s.cancelled(), true);
  assert.equal(await inner, 'js');
  assert.equal(rt.time(), 50);
  assert.deepEqual(seen, ['js inner end at 50']);
});

test('SH2 the inner result and error pass through; a JS error is the object thrown', async () => {
  const { rt } = await testRuntime();
  assert.equal(await rt.shield(rt.createTask('worker', { label: 'r', ms: 5 })), 5);
  const c = await settle(rt.shield(rt.createTask('fail', { ms: 5, type: 'ValueError', message: 'bad' })));
  assert.equal(`${c.error.name}: ${c.error.message}`, 'ValueError: bad');
  const thrown = new RangeError('js bad');
  const j = await settle(rt.shield(rt.createTask(async (ctx) => {
    await ctx.sleep(5);
    throw thrown;
  })));
  assert.equal(j.error, thrown);
  const value = { v: 1 };
  assert.equal(await rt.shield(rt.createTask(async (ctx) => ctx.sleep(5, value))), value);
});

test('SH2 the inner task cancelled: the awaiter of the shield gets CancelledError (without the inner\'s message)', async () => {
  const { rt, lines } = await testRuntime();
  const inner = rt.createTask('worker', { label: 'c', ms: 100 });
  const outer = rt.createTask(async (ctx) => ctx.wait(rt.shield(inner)));
  await rt.sleep(10);
  inner.cancel('inner msg');
  const r = await settle(outer);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, '');
  assert.equal(outer.cancelled(), true);
  assert.deepEqual(lines, ['start c', 'cancelled c: inner msg']);
});

test('SH2 shield of a task already done gives its result', async () => {
  const { rt } = await testRuntime();
  const done = rt.createTask('worker', { label: 'd', ms: -1 });
  await done;
  assert.equal(await rt.shield(done), -1);
});

test('SH4 cancelling gather(shield(a), shield(b)) cancels the wrappers, not a (C) and b (JS)', async () => {
  const { rt, lines } = await testRuntime();
  const a = rt.createTask('worker', { label: 'a', ms: 30 });
  const b = rt.createTask(async (ctx) => ctx.sleep(40, 'b'));
  const g = rt.gather([rt.shield(a), rt.shield(b)]);
  await rt.sleep(10);
  assert.equal(g.cancel('stop'), true);
  const r = await settle(g);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'stop');
  assert.equal(rt.time(), 10);
  assert.deepEqual([await a, await b], [30, 'b']);
  assert.deepEqual([a.cancelled(), b.cancelled(), a.cancelling(), b.cancelling()], [false, false, 0, 0]);
  assert.equal(rt.time(), 40);
  assert.deepEqual(lines, ['start a', 'end a']);
});
