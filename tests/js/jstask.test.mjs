// JavaScript async functions as tasks: rt.createTask(async (ctx) => ...).
// They follow the task rules of the semantics sheet (sections 1 and 2) at
// their runtime awaits (ctx.sleep, ctx.wait). Expected orderings were
// produced by the equivalent programs in CPython 3.13 (a JS task standing
// for a coroutine; a C probe for the same coroutine in C).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, InvalidStateError, Task } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';

test('L1 a JS task is not run at creation; it starts in creation order among C tasks', async () => {
  const { rt, lines } = await testRuntime();
  let called = 0;
  const a = rt.createTask('worker', { label: 'A', ms: -1 });
  const b = rt.createTask(async () => {
    called++;
    lines.push('start B');
    lines.push('end B');
    return 'B';
  });
  const c = rt.createTask('worker', { label: 'C', ms: -1 });
  lines.push('after-create');
  assert.equal(called, 0, 'the function is not called by createTask');
  assert.equal(b.done(), false);
  assert.ok(b instanceof Task);
  assert.deepEqual(await Promise.all([a, b, c]), [-1, 'B', -1]);
  assert.deepEqual(lines, ['after-create', 'start A', 'end A', 'start B', 'end B', 'start C', 'end C']);
  assert.equal(called, 1);
});

test('L1 a JS main task: tasks it creates start at its first await (TT test_task_basics)', async () => {
  const { rt, lines } = await testRuntime();
  const main = rt.createTask(async (ctx) => {
    const a = rt.createTask('worker', { label: 'A', ms: 0 });
    const b = rt.createTask('worker', { label: 'B', ms: 0 });
    lines.push('after-create');
    await ctx.sleep(0);
    lines.push('main-resumed');
    await ctx.wait(a);
    await ctx.wait(b);
  });
  await main;
  assert.deepEqual(lines, ['after-create', 'start A', 'start B', 'main-resumed', 'end A', 'end B']);
});

test('S1 a JS task and a C task alternating sleep(0) interleave one step each', async () => {
  const { rt, lines } = await testRuntime();
  const js = rt.createTask(async (ctx) => {
    for (let i = 0; i < 3; i++) {
      lines.push(`a${i}`);
      await ctx.sleep(0);
    }
  });
  const c = rt.createTask('ticker', { label: 'b', n: 3 });
  await Promise.all([js, c]);
  assert.deepEqual(lines, ['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
});

test('ctx.task is the Task createTask returned; the name option names it', async () => {
  const { rt } = await testRuntime();
  let seen;
  const t = rt.createTask(async (ctx) => {
    seen = ctx.task;
    return ctx.task.name;
  }, { name: 'fetcher' });
  assert.equal(t.name, 'fetcher');
  assert.equal(await t, 'fetcher');
  assert.equal(seen, t);
  const unnamed = rt.createTask(async () => {});
  assert.match(unnamed.name, /^Task-\d+$/);
});

test('a JS task\'s result is the very value its function returned', async () => {
  const { rt } = await testRuntime();
  const value = { answer: 42 };
  const t = rt.createTask(async (ctx) => {
    await ctx.sleep(5);
    return value;
  });
  assert.equal(await t, value);
  assert.equal(t.result(), value);
  assert.equal(t.exception(), null);
  assert.equal(rt.time(), 5);
});

test('L6 result() and exception() of a pending JS task raise InvalidStateError', async () => {
  const { rt } = await testRuntime();
  const t = rt.createTask(async (ctx) => ctx.sleep(10, 'v'));
  assert.throws(() => t.result(), (e) => e instanceof InvalidStateError && e.message === 'Result is not set.');
  assert.throws(() => t.exception(), (e) => e instanceof InvalidStateError && e.message === 'Exception is not set.');
  assert.equal(await t, 'v');
});

test('C2 a JS task cancelled before its first step never runs; the last message wins', async () => {
  const { rt } = await testRuntime();
  let ran = 0;
  const t = rt.createTask(async () => {
    ran++;
  });
  assert.equal(t.cancel('first'), true);
  assert.equal(t.cancel('too early'), true);
  const r = await settle(t);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'too early');
  assert.equal(t.cancelled(), true);
  assert.equal(t.cancelling(), 2);
  await rt.sleep(10);
  assert.equal(ran, 0, 'not even the code before its first await');
});

test('C1 C8 cancelling a JS task at ctx.sleep rejects that await at once with the message; ctx.signal aborts', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  let signal;
  const t = rt.createTask(async (ctx) => {
    signal = ctx.signal;
    ctx.signal.addEventListener('abort', () => seen.push(`abort at ${rt.time()}: ${ctx.signal.reason?.name}`));
    try {
      await ctx.sleep(100);
      seen.push('slept');
    } catch (error) {
      seen.push(`sleep rejected at ${rt.time()}: ${error.name} ${JSON.stringify(error.message)}`);
      throw error;
    }
  });
  await rt.sleep(10);
  assert.equal(signal.aborted, false, 'not aborted before a cancel');
  assert.equal(t.cancel('stop'), true);
  assert.equal(t.done(), false, 'not delivered inline');
  const r = await settle(t);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'stop');
  assert.equal(rt.time(), 10, 'at once, not at the deadline');
  assert.equal(t.cancelled(), true);
  assert.equal(t.cancelling(), 1);
  assert.equal(signal.aborted, true);
  assert.ok(signal.reason instanceof CancelledError);
  assert.deepEqual(seen, ['abort at 10: CancelledError', 'sleep rejected at 10: CancelledError "stop"'], 'aborted at the request, before delivery');
  assert.equal(rt.stats().timers, 0, 'the sleep\'s timer is dropped');
});

test('C6 a JS task may catch the cancellation and return a value', async () => {
  const { rt } = await testRuntime();
  const t = rt.createTask(async (ctx) => {
    try {
      await ctx.sleep(100);
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
      return 42;
    }
    return 0;
  });
  await rt.sleep(10);
  t.cancel('please');
  assert.equal(await t, 42);
  assert.equal(t.cancelled(), false);
  assert.equal(t.cancelling(), 1);
  assert.equal(rt.time(), 10);
});

test('a cancel that arrives while a JS task awaits a plain promise aborts ctx.signal at once and is delivered at its next runtime await', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  const t = rt.createTask(async (ctx) => {
    ctx.signal.addEventListener('abort', () => seen.push(`abort at ${rt.time()}`));
    await rt.sleep(50); // a promise: outside the runtime's sight
    seen.push(`after plain promise at ${rt.time()}, aborted=${ctx.signal.aborted}`);
    try {
      await ctx.sleep(0);
      seen.push('sleep(0) returned');
    } catch (error) {
      seen.push(`sleep(0): ${error.name} ${JSON.stringify(error.message)} at ${rt.time()}`);
      throw error;
    }
  });
  await rt.sleep(10);
  assert.equal(t.cancel('late'), true);
  const r = await settle(t);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'late');
  assert.equal(t.cancelled(), true);
  assert.deepEqual(seen, ['abort at 10', 'after plain promise at 50, aborted=true', 'sleep(0): CancelledError "late" at 50']);
});

test('C5 a JS task that cancels itself and returns without a runtime await ends cancelled', async () => {
  const { rt } = await testRuntime();
  const t = rt.createTask(async (ctx) => {
    ctx.task.cancel('at end');
    return 7;
  });
  const r = await settle(t);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'at end');
  assert.equal(t.cancelled(), true);
});

test('C1 a JS task that cancels itself runs on to its next runtime await, which raises', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  const t = rt.createTask(async (ctx) => {
    await ctx.sleep(20);
    ctx.task.cancel('self');
    seen.push(`still running ${ctx.cancelling()}`);
    try {
      await ctx.sleep(50);
    } catch (error) {
      seen.push(`sleep ${error.name} ${JSON.stringify(error.message)} at ${rt.time()}`);
      throw error;
    }
  });
  const r = await settle(t);
  assert.equal(r.error.message, 'self');
  assert.deepEqual(seen, ['still running 1', 'sleep CancelledError "self" at 20']);
  assert.equal(rt.time(), 20);
});

test('C7 ctx.wait forwards a cancel to the awaited C task; the inner outcome decides', async () => {
  const cases = {
    reraise: {
      outcome: 'CancelledError: M', outerCancelled: true, innerCancelled: true,
      seen: ['wait rejected: CancelledError "M"'],
    },
    return: {
      outcome: 42, outerCancelled: false, innerCancelled: false,
      seen: ['wait returned 42'],
    },
  };
  for (const [mode, want] of Object.entries(cases)) {
    const { rt, lines } = await testRuntime();
    const seen = [];
    let inner;
    const outer = rt.createTask(async (ctx) => {
      inner = rt.createTask('worker', { label: 'inner', ms: 100, on_cancel: mode });
      try {
        const value = await ctx.wait(inner);
        seen.push(`wait returned ${value}`);
        return value;
      } catch (error) {
        seen.push(`wait rejected: ${error.name} ${JSON.stringify(error.message)}`);
        throw error;
      }
    });
    await rt.sleep(10);
    assert.deepEqual([outer.cancel('M'), outer.cancel('N')], [true, true], mode);
    const r = await settle(outer);
    assert.equal(r.error ? `${r.error.name}: ${r.error.message}` : r.value, want.outcome, mode);
    assert.equal(outer.cancelled(), want.outerCancelled, mode);
    assert.equal(inner.cancelled(), want.innerCancelled, mode);
    assert.equal(outer.cancelling(), 2, mode);
    assert.equal(inner.cancelling(), 2, mode);
    assert.equal(rt.time(), 10, mode);
    assert.deepEqual(lines, ['start inner', 'cancelled inner: M'], mode);
    assert.deepEqual(seen, want.seen, mode);
  }
});

test('C7 ctx.wait forwards a cancel to an awaited JS task', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  let inner;
  const outer = rt.createTask(async (ctx) => {
    inner = rt.createTask(async (ictx) => {
      try {
        await ictx.sleep(100);
      } catch (error) {
        seen.push(`inner saw ${JSON.stringify(error.message)}`);
        throw error;
      }
    });
    try {
      await ctx.wait(inner);
    } catch (error) {
      seen.push(`outer saw ${JSON.stringify(error.message)} inner cancelled=${inner.cancelled()}`);
      throw error;
    }
  });
  await rt.sleep(10);
  outer.cancel('M');
  const r = await settle(outer);
  assert.equal(r.error.message, 'M');
  assert.deepEqual(seen, ['inner saw "M"', 'outer saw "M" inner cancelled=true']);
});

test('ctx.wait on a promise: its value; a cancel meanwhile rejects the await at once', async () => {
  const { rt } = await testRuntime();
  assert.equal(await rt.createTask(async (ctx) => ctx.wait(rt.sleep(5, 'p'))), 'p');
  const t = rt.createTask(async (ctx) => ctx.wait(rt.sleep(100, 'late')));
  await rt.sleep(10);
  t.cancel('enough');
  const r = await settle(t);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'enough');
  assert.equal(rt.time(), 15);
});

test('L5 ctx.wait on a task that is already done does not suspend', async () => {
  const { rt, lines } = await testRuntime();
  const done = rt.createTask('worker', { label: 'D', ms: -1 });
  await done;
  const a = rt.createTask(async (ctx) => {
    const value = await ctx.wait(done);
    lines.push(`A after ${value}`);
  });
  const b = rt.createTask('worker', { label: 'B', ms: -1 });
  await Promise.all([a, b]);
  assert.deepEqual(lines, ['start D', 'end D', 'A after -1', 'start B', 'end B']);
});

test('a JS task awaiting two things at once gets an InvalidStateError saying so; the first await goes on', async () => {
  const { rt } = await testRuntime();
  const t = rt.createTask(async (ctx) => {
    const first = ctx.sleep(10, 'first');
    const second = await settle(ctx.sleep(20, 'second'));
    return [await first, rt.time(), second.error];
  }, { name: 'greedy' });
  const [first, time, error] = await t;
  assert.equal(first, 'first');
  assert.equal(time, 10);
  assert.ok(error instanceof InvalidStateError);
  assert.equal(error.message, 'greedy already awaits something: a task awaits one thing at a time (use gather)');
});

test('an error thrown by a JS task reaches its awaiters as the very object thrown', async () => {
  const { rt } = await testRuntime();
  const thrown = new RangeError('out of range');
  const t = rt.createTask(async (ctx) => {
    await ctx.sleep(1);
    throw thrown;
  });
  const r = await settle(t);
  assert.equal(r.error, thrown);
  assert.equal(t.exception(), thrown);
  assert.throws(() => t.result(), (e) => e === thrown);
  assert.equal(t.cancelled(), false);
  const waiter = rt.createTask(async (ctx) => {
    try {
      await ctx.wait(t);
    } catch (error) {
      return error;
    }
  });
  assert.equal(await waiter, thrown, 'through ctx.wait too');
});

test('a JS task that throws synchronously (a non-async function) fails with that error', async () => {
  const { rt } = await testRuntime();
  const thrown = new TypeError('sync');
  const t = rt.createTask(() => {
    throw thrown;
  });
  assert.equal(t.done(), false, 'not called at creation');
  assert.equal((await settle(t)).error, thrown);
});

test('non-Error throws keep their identity: a string, a number, an object', async () => {
  const { rt } = await testRuntime();
  const obj = { code: 7 };
  for (const value of ['oops', 42, obj]) {
    const t = rt.createTask(async (ctx) => {
      await ctx.sleep(1);
      throw value;
    });
    const r = await settle(t);
    assert.equal(r.error, value);
    assert.equal(t.exception(), value);
    assert.equal(t.cancelled(), false);
    const waiter = rt.createTask(async (ctx) => ctx.wait(t).catch((e) => ({ caught: e })));
    assert.deepEqual(await waiter, { caught: value });
    assert.equal((await waiter).caught, value);
  }
});

test('non-Error throws keep their identity through a task group and gather', async () => {
  const { rt } = await testRuntime();
  const obj = { code: 7 };
  for (const value of ['oops', 42, obj]) {
    const r = await settle(rt.taskGroup(async (tg) => {
      tg.createTask(async () => {
        throw value;
      });
    }));
    assert.equal(r.error.name, 'ExceptionGroup');
    assert.equal(r.error.errors.length, 1);
    assert.equal(r.error.errors[0], value);
    const results = await rt.gather([rt.createTask(async () => {
      throw value;
    }), Promise.reject(value)], { returnExceptions: true });
    assert.equal(results[0], value);
    assert.equal(results[1], value);
  }
});

test('createTask(fn, options) checks the name option', async () => {
  const { rt } = await testRuntime();
  assert.throws(() => rt.createTask(async () => {}, { name: 3 }), { name: 'TypeError', message: 'createTask: name must be a string, not 3' });
  assert.equal(rt.stats().tasks, 0, 'no task was created by a bad call');
});
