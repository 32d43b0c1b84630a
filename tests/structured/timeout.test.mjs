// rt.timeout and rt.waitFor (semantics sheet, section 7). rt.timeout(ms, fn)
// is a task whose coroutine is `async with timeout(ms) as scope: return
// await fn(scope)`; the expected outcomes were produced by that program
// (and by asyncio.wait_for) in CPython 3.13.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, TimeoutError } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';

test('T1 expiry: the body sees CancelledError, the task rejects with TimeoutError, expired() is true, the task is not left cancelled', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  const t = rt.timeout(10, async (ctx, s) => {
    seen.push(`inside expired=${s.expired()} when=${s.when()}`);
    try {
      await ctx.sleep(100);
    } catch (error) {
      seen.push(`body ${error.name} ${JSON.stringify(error.message)} at ${rt.time()} expired=${s.expired()}`);
      throw error;
    }
  });
  const r = await settle(t);
  assert.ok(r.error instanceof TimeoutError);
  assert.ok(!(r.error instanceof CancelledError));
  assert.equal(r.error.name, 'TimeoutError');
  assert.equal(r.error.message, '');
  assert.equal(rt.time(), 10);
  assert.equal(t.cancelled(), false);
  assert.equal(t.cancelling(), 0);
  assert.deepEqual(seen, ['inside expired=false when=10', 'body CancelledError "" at 10 expired=true']);
});

test('T1 a C task awaited inside the timeout is cancelled; a JS task awaiting the timeout catches TimeoutError and is not cancelled', async () => {
  const { rt, lines } = await testRuntime();
  const seen = [];
  const outer = rt.createTask(async (ctx) => {
    try {
      await ctx.wait(rt.timeout(10, async (ictx) => ictx.wait(rt.createTask('worker', { label: 'w', ms: 100 }))));
    } catch (error) {
      seen.push(`outer caught ${error.name} cancelling=${ctx.cancelling()} at ${rt.time()}`);
    }
    await ctx.sleep(5);
    return 'outer-ok';
  });
  assert.equal(await outer, 'outer-ok');
  assert.equal(rt.time(), 15);
  assert.deepEqual(seen, ['outer caught TimeoutError cancelling=0 at 10']);
  assert.deepEqual(lines, ['start w', 'cancelled w: ']);
  assert.equal(outer.cancelling(), 0);
});

test('T2 timeout(0) with no runtime await inside exits normally', async () => {
  const { rt } = await testRuntime();
  const t = rt.timeout(0, async () => 'v');
  assert.equal(await t, 'v');
  assert.equal(t.cancelled(), false);
  assert.equal(t.cancelling(), 0);
  assert.equal(rt.time(), 0);
});

test('T2 timeout(0) (or negative) with sleep(0) inside raises TimeoutError; the body saw CancelledError', async () => {
  for (const ms of [0, -5]) {
    const { rt } = await testRuntime();
    const seen = [];
    const t = rt.timeout(ms, async (ctx, s) => {
      try {
        await ctx.sleep(0);
      } catch (error) {
        seen.push(`body sleep(0) ${error.name} expired=${s.expired()}`);
        throw error;
      }
      return 'not reached';
    });
    const r = await settle(t);
    assert.ok(r.error instanceof TimeoutError, `${ms}`);
    assert.deepEqual(seen, ['body sleep(0) CancelledError expired=true'], `${ms}`);
    assert.equal(rt.time(), 0, `${ms}`);
  }
});

// T3 proper nests two timeout scopes in one task; rt.timeout always makes
// its own task, so the nesting below is across tasks (the outer timeout's
// task awaits the inner's with ctx.wait), compared with the same two-task
// program in CPython.
test('T3 (across tasks) same deadline: only the outermost raises TimeoutError; the inner task ends cancelled', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  let inner;
  const outer = rt.timeout(10, async (ctx) => {
    inner = rt.timeout(10, async (ictx) => {
      try {
        await ictx.sleep(100);
      } catch (error) {
        seen.push(`inner body ${error.name}`);
        throw error;
      }
    });
    try {
      return await ctx.wait(inner);
    } catch (error) {
      seen.push(`outer body got ${error.name} at ${rt.time()}`);
      throw error;
    }
  });
  const r = await settle(outer);
  assert.ok(r.error instanceof TimeoutError);
  assert.equal(rt.time(), 10);
  assert.equal(outer.cancelled(), false);
  assert.equal(outer.cancelling(), 0);
  assert.equal(inner.cancelled(), true);
  assert.equal(inner.cancelling(), 1);
  assert.deepEqual(seen, ['inner body CancelledError', 'outer body got CancelledError at 10']);
});

test('T3 (across tasks) shorter inner: the inner TimeoutError is caught, the outer goes on with cancelling() 0', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  const outer = rt.timeout(20, async (ctx, scope) => {
    try {
      await ctx.wait(rt.timeout(10, async (ictx) => ictx.sleep(100)));
    } catch (error) {
      seen.push(`outer caught inner ${error.name} cancelling=${ctx.cancelling()} at ${rt.time()}`);
    }
    await ctx.sleep(5);
    return `outer-ok expired=${scope.expired()}`;
  });
  assert.equal(await outer, 'outer-ok expired=false');
  assert.equal(rt.time(), 15);
  assert.deepEqual(seen, ['outer caught inner TimeoutError cancelling=0 at 10']);
  assert.equal(outer.cancelling(), 0);
});

test('T4 a cancel from outside inside an unexpired timeout propagates as CancelledError', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  const t = rt.timeout(100, async (ctx, s) => {
    try {
      await ctx.sleep(1000);
    } catch (error) {
      seen.push(`body ${error.name} ${JSON.stringify(error.message)} expired=${s.expired()}`);
      throw error;
    }
  });
  await rt.sleep(10);
  t.cancel('out');
  const r = await settle(t);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'out');
  assert.equal(t.cancelled(), true);
  assert.equal(t.cancelling(), 1);
  assert.equal(rt.time(), 10);
  assert.deepEqual(seen, ['body CancelledError "out" expired=false']);
});

test('T5 a body that swallows the cancel exits normally; expired() is true', async () => {
  const { rt } = await testRuntime();
  const t = rt.timeout(10, async (ctx, s) => {
    try {
      await ctx.sleep(100);
    } catch (error) {
      if (error instanceof CancelledError) return `swallowed expired=${s.expired()}`;
      throw error;
    }
    return 'slept';
  });
  assert.equal(await t, 'swallowed expired=true');
  assert.equal(rt.time(), 10);
  assert.equal(t.cancelled(), false);
  assert.equal(t.cancelling(), 0);
});

test('the scope stays readable after the timeout exits: expired() and when() as at the exit (T1, T2, T4, T5)', async () => {
  const { rt } = await testRuntime();
  const cases = [
    ['T1 expired', 10, async (ctx) => ctx.sleep(100)],
    ['T2 no suspension', 0, async () => 'v'],
    ['T5 swallowed', 10, async (ctx) => ctx.sleep(100).catch(() => 'swallowed')],
  ];
  const seen = [];
  for (const [what, ms, body] of cases) {
    let scope;
    const start = rt.time();
    await settle(rt.timeout(ms, (ctx, s) => {
      scope = s;
      return body(ctx);
    }));
    seen.push(`${what}: expired=${scope.expired()} when=${scope.when() - start}`);
  }
  let t4scope;
  const t4 = rt.timeout(100, async (ctx, s) => {
    t4scope = s;
    await ctx.sleep(1000);
  });
  await rt.sleep(10);
  t4.cancel('out');
  await settle(t4);
  seen.push(`T4 outside cancel: expired=${t4scope.expired()}`);
  assert.deepEqual(seen, [
    'T1 expired: expired=true when=10',
    'T2 no suspension: expired=false when=0',
    'T5 swallowed: expired=true when=10',
    'T4 outside cancel: expired=false',
  ]);
});

test('reschedule is refused once the scope expired or exited, naming its state', async () => {
  const { rt } = await testRuntime();
  let finished;
  await rt.timeout(10, async (ctx, s) => {
    finished = s;
  });
  let expired;
  let insideRefusal;
  await settle(rt.timeout(10, async (ctx, s) => {
    expired = s;
    try {
      await ctx.sleep(100);
    } catch (error) {
      try {
        s.reschedule(rt.time() + 100);
      } catch (refusal) {
        insideRefusal = refusal;
      }
      throw error;
    }
  }));
  assert.equal(`${insideRefusal?.name}: ${insideRefusal?.message}`, 'RuntimeError: Cannot change state of expiring Timeout');
  assert.throws(() => finished.reschedule(rt.time() + 100), { name: 'RuntimeError', message: 'Cannot change state of finished Timeout' });
  assert.throws(() => expired.reschedule(rt.time() + 100), { name: 'RuntimeError', message: 'Cannot change state of expired Timeout' });
});

test('reschedule moves the deadline (loop time); Infinity removes it', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  const t = rt.timeout(10, async (ctx, s) => {
    await ctx.sleep(5);
    s.reschedule(rt.time() + 50);
    seen.push(`when=${s.when()}`);
    try {
      await ctx.sleep(100);
    } catch (error) {
      seen.push(`cancelled at ${rt.time()} expired=${s.expired()}`);
      throw error;
    }
  });
  const r = await settle(t);
  assert.ok(r.error instanceof TimeoutError);
  assert.deepEqual(seen, ['when=55', 'cancelled at 55 expired=true']);
  const start = rt.time();
  const never = rt.timeout(10, async (ctx, s) => {
    s.reschedule(Infinity);
    await ctx.sleep(100);
    return 'never';
  });
  assert.equal(await never, 'never');
  assert.equal(rt.time() - start, 100);
});

test('W1 waitFor cancels the inner C task on timeout; inner swallows and returns 42 → 42', async () => {
  const { rt, lines } = await testRuntime();
  const inner = rt.createTask('worker', { label: 'w', ms: 100, on_cancel: 'return' });
  assert.equal(await rt.waitFor(inner, 10), 42);
  assert.equal(rt.time(), 10);
  assert.deepEqual(lines, ['start w', 'cancelled w: ']);
  assert.equal(inner.cancelled(), false);
});

test('W1 waitFor waits for the inner JS task\'s cleanup before raising TimeoutError', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  const inner = rt.createTask(async (ctx) => {
    try {
      await ctx.sleep(100);
    } catch (error) {
      seen.push(`js cleanup start ${rt.time()}`);
      await ctx.sleep(5);
      seen.push(`js cleanup end ${rt.time()}`);
      throw error;
    }
  });
  const w = rt.waitFor(inner, 10);
  w.addDoneCallback(() => seen.push(`waitFor done ${rt.time()} inner done=${inner.done()}`));
  const r = await settle(w);
  assert.ok(r.error instanceof TimeoutError);
  assert.equal(rt.time(), 15);
  assert.equal(inner.cancelled(), true);
  assert.deepEqual(seen, ['js cleanup start 10', 'js cleanup end 15', 'waitFor done 15 inner done=true']);
});

test('W1 waitFor: a result before the deadline passes through; a promise past it times out', async () => {
  const { rt } = await testRuntime();
  assert.equal(await rt.waitFor(rt.createTask('worker', { label: 'fast', ms: 5 }), 10), 5);
  assert.equal(rt.time(), 5);
  assert.equal(await rt.waitFor(rt.sleep(5, 'p'), 10), 'p');
  const r = await settle(rt.waitFor(rt.sleep(50, 'late'), 10));
  assert.ok(r.error instanceof TimeoutError);
  assert.equal(rt.time(), 20);
});

test('W2 timeout <= 0: a task not yet started never starts (C and JS); TimeoutError', async () => {
  for (const ms of [0, -5]) {
    const { rt, lines } = await testRuntime();
    let ran = 0;
    const c = rt.createTask('worker', { label: 'never', ms: 0 });
    const j = rt.createTask(async () => {
      ran++;
    });
    const wc = rt.waitFor(c, ms);
    const wj = rt.waitFor(j, ms);
    const rc = await settle(wc);
    const rj = await settle(wj);
    assert.ok(rc.error instanceof TimeoutError, `${ms}`);
    assert.ok(rj.error instanceof TimeoutError, `${ms}`);
    await rt.sleep(10);
    assert.deepEqual(lines, [], `${ms}`);
    assert.equal(ran, 0, `${ms}`);
    assert.deepEqual([c.cancelled(), j.cancelled()], [true, true], `${ms}`);
  }
});

test('W2 timeout 0 on a task already done gives its result; on a started task that swallows the cancel, its value', async () => {
  const { rt, lines } = await testRuntime();
  const done = rt.createTask('worker', { label: 'd', ms: -1 });
  await done;
  assert.equal(await rt.waitFor(done, 0), -1);
  const started = rt.createTask('worker', { label: 'started', ms: 100, on_cancel: 'return' });
  await rt.sleep(0);
  assert.equal(await rt.waitFor(started, 0), 42);
  assert.deepEqual(lines, ['start d', 'end d', 'start started', 'cancelled started: ']);
});

test('W3 cancelling a JS task that awaits waitFor cancels the inner task', async () => {
  const { rt, lines } = await testRuntime();
  const inner = rt.createTask('worker', { label: 'w', ms: 100 });
  const outer = rt.createTask(async (ctx) => ctx.wait(rt.waitFor(inner, 50)));
  await rt.sleep(10);
  outer.cancel('x');
  const r = await settle(outer);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'x');
  assert.equal(outer.cancelled(), true);
  assert.equal(outer.cancelling(), 1);
  assert.equal(inner.cancelled(), true);
  assert.deepEqual(lines, ['start w', 'cancelled w: x']);
  assert.equal(rt.time(), 10);
});

test('W3 cancelling the waitFor task itself cancels the inner task: CancelledError, not TimeoutError', async () => {
  const { rt, lines } = await testRuntime();
  const inner = rt.createTask('worker', { label: 'w', ms: 100 });
  const w = rt.waitFor(inner, 50);
  await rt.sleep(10);
  w.cancel('x');
  const r = await settle(w);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'x');
  assert.equal(inner.cancelled(), true);
  assert.deepEqual(lines, ['start w', 'cancelled w: x']);
});

test('W2 cancelling waitFor(x, 0) while x cleans up: CancelledError, x cancelled once and allowed to finish', async () => {
  // CPython 3.13: wait_for(x, 0) waits for x on a future of its own
  // (_cancel_and_wait), so a cancel of the waiter does not reach x again.
  // Prints: x caught, w CancelledError, x.cancelling 1, x cleanup done, x.
  const { rt } = await testRuntime();
  const log = [];
  const x = rt.createTask(async (ctx) => {
    try {
      await ctx.sleep(10000);
    } catch {
      log.push('x caught');
      await ctx.sleep(50);
      log.push('x cleanup done');
      return 'x';
    }
  });
  await rt.sleep(0);
  const w = rt.waitFor(x, 0);
  await rt.sleep(10);
  w.cancel();
  const r = await settle(w);
  log.push(`w ${r.error?.name}`);
  log.push(`x.cancelling ${x.cancelling()}`);
  log.push(`x result ${await x}`);
  assert.deepEqual(log, ['x caught', 'w CancelledError', 'x.cancelling 1', 'x cleanup done', 'x result x']);
});
