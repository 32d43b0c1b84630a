// Task groups through the JS API (semantics sheet, section 3): rt.taskGroup
// with C children (probes) and JS children. rt.taskGroup(body) is a task
// whose coroutine is `async with TaskGroup() as tg: return await body(tg)`;
// the expected outcomes were produced by that program in CPython 3.13
// (a JS child standing for a coroutine, a C probe for the same coroutine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, ExceptionGroup } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';

const EG_MESSAGE = 'unhandled errors in a TaskGroup';

function named(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

// 'ExceptionGroup(msg, [ValueError(boom), ...])', as the Python programs print.
function describeError(e) {
  if (e instanceof ExceptionGroup) return `ExceptionGroup(${e.message}, [${e.errors.map(describeError).join(', ')}])`;
  return `${e.name}(${e.message})`;
}

test('TG1 the group waits for all its tasks; a child adds a task while the body waits at exit; a child cancelled on purpose disturbs nothing', async () => {
  const { rt, lines } = await testRuntime();
  const seen = [];
  let victim;
  let jsChild;
  const g = rt.taskGroup(async (tg) => {
    tg.createTask('worker', { label: 'c30', ms: 30 });
    jsChild = tg.createTask(async (ctx) => {
      await ctx.sleep(20);
      tg.createTask('worker', { label: 'late', ms: 25 });
      seen.push(`js added late at ${rt.time()}`);
      return 'js';
    });
    victim = tg.createTask('worker', { label: 'victim', ms: 100 });
    await tg.sleep(5);
    victim.cancel('on purpose');
    seen.push(`body returns at ${rt.time()}`);
    return 'body-val';
  });
  assert.equal(await g, 'body-val');
  assert.equal(rt.time(), 45);
  assert.deepEqual(lines, ['start c30', 'start victim', 'cancelled victim: on purpose', 'start late', 'end c30', 'end late']);
  assert.deepEqual(seen, ['body returns at 5', 'js added late at 20']);
  assert.equal(victim.cancelled(), true);
  assert.equal(jsChild.result(), 'js');
  assert.equal(g.cancelled(), false);
  assert.equal(g.cancelling(), 0);
});

test('TG2 a C child fails: the JS child and the body are cancelled; exit waits for cleanup; ExceptionGroup without the cancellations', async () => {
  const { rt, lines } = await testRuntime();
  const seen = [];
  let signal;
  const g = rt.taskGroup(async (tg) => {
    signal = tg.signal;
    tg.createTask('fail', { ms: 10, type: 'ValueError', message: 'boom' });
    tg.createTask(async (ctx) => {
      try {
        await ctx.sleep(100);
      } catch (error) {
        seen.push(`js child cancelled ${JSON.stringify(error.message)} at ${rt.time()} signal=${ctx.signal.aborted}`);
        await ctx.sleep(5);
        seen.push(`js child cleaned up at ${rt.time()}`);
        throw error;
      }
    });
    tg.createTask('worker', { label: 'w', ms: 100 });
    try {
      await tg.sleep(100);
    } catch (error) {
      seen.push(`body cancelled ${error.name} ${JSON.stringify(error.message)} at ${rt.time()}`);
      throw error;
    }
    seen.push('after sleep: must not run');
  });
  const r = await settle(g);
  assert.ok(r.error instanceof ExceptionGroup);
  assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [ValueError(boom)])`);
  assert.equal(rt.time(), 15, 'exit waited for the JS child\'s cleanup');
  assert.deepEqual(lines, ['start w', 'cancelled w: ']);
  assert.deepEqual(seen, [
    'js child cancelled "" at 10 signal=true',
    'body cancelled CancelledError "" at 10',
    'js child cleaned up at 15',
  ]);
  assert.equal(signal.aborted, true);
  assert.equal(g.cancelled(), false);
  assert.equal(g.cancelling(), 0);
});

test('TG2 a JS child fails: its error object is in the group; the C child is cancelled', async () => {
  const { rt, lines } = await testRuntime();
  const thrown = new TypeError('js');
  const g = rt.taskGroup(async (tg) => {
    tg.createTask('worker', { label: 'w', ms: 100 });
    tg.createTask(async (ctx) => {
      await ctx.sleep(10);
      throw thrown;
    });
    await tg.sleep(100);
  });
  const r = await settle(g);
  assert.ok(r.error instanceof ExceptionGroup);
  assert.equal(r.error.message, EG_MESSAGE);
  assert.equal(r.error.errors.length, 1);
  assert.equal(r.error.errors[0], thrown, 'the very object thrown');
  assert.deepEqual(lines, ['start w', 'cancelled w: ']);
  assert.equal(rt.time(), 10);
});

test('TG3 C children: KeyError at 20, ValueError at 10, TypeError at 10 → [ValueError, TypeError]', async () => {
  const { rt } = await testRuntime();
  const g = rt.taskGroup(async (tg) => {
    tg.createTask('fail', { ms: 20, type: 'KeyError', message: 'K' });
    tg.createTask('fail', { ms: 10, type: 'ValueError', message: 'V' });
    tg.createTask('fail', { ms: 10, type: 'TypeError', message: 'T' });
    await tg.sleep(100);
  });
  const r = await settle(g);
  assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [ValueError(V), TypeError(T)])`);
  assert.equal(rt.time(), 10);
});

test('TG3 JS children: KeyError at 20, ValueError at 10, TypeError at 10 → [ValueError, TypeError], the objects thrown', async () => {
  const { rt } = await testRuntime();
  const errors = [named('KeyError', 'K'), named('ValueError', 'V'), named('TypeError', 'T')];
  const g = rt.taskGroup(async (tg) => {
    for (const [error, ms] of [[errors[0], 20], [errors[1], 10], [errors[2], 10]]) {
      tg.createTask(async (ctx) => {
        await ctx.sleep(ms);
        throw error;
      });
    }
    await tg.sleep(100);
  });
  const r = await settle(g);
  assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [ValueError(V), TypeError(T)])`);
  assert.equal(r.error.errors[0], errors[1]);
  assert.equal(r.error.errors[1], errors[2]);
  assert.equal(rt.time(), 10);
});

test('TG3 mixed: C KeyError at 20, JS ValueError at 10, C TypeError at 10 → [ValueError, TypeError]', async () => {
  const { rt } = await testRuntime();
  const valueError = named('ValueError', 'V');
  const g = rt.taskGroup(async (tg) => {
    tg.createTask('fail', { ms: 20, type: 'KeyError', message: 'K' });
    tg.createTask(async (ctx) => {
      await ctx.sleep(10);
      throw valueError;
    });
    tg.createTask('fail', { ms: 10, type: 'TypeError', message: 'T' });
    await tg.sleep(100);
  });
  const r = await settle(g);
  assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [ValueError(V), TypeError(T)])`);
  assert.equal(r.error.errors[0], valueError);
});

test('TG3 one error is still wrapped', async () => {
  const { rt } = await testRuntime();
  const r = await settle(rt.taskGroup(async (tg) => {
    tg.createTask('fail', { ms: -1, type: 'ValueError', message: 'only' });
  }));
  assert.ok(r.error instanceof ExceptionGroup);
  assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [ValueError(only)])`);
});

test('TG3 the body\'s own error comes last', async () => {
  const { rt } = await testRuntime();
  const childError = named('ValueError', 'child');
  const bodyError = named('KeyError', 'body');
  const r = await settle(rt.taskGroup(async (tg) => {
    tg.createTask(async (ctx) => {
      await ctx.sleep(10);
      throw childError;
    });
    try {
      await tg.sleep(100);
    } catch {
      throw bodyError;
    }
  }));
  assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [ValueError(child), KeyError(body)])`);
  assert.equal(r.error.errors[0], childError);
  assert.equal(r.error.errors[1], bodyError);
  assert.equal(rt.time(), 10);
});

test('TG4 the body throws: started children are cancelled, children not yet started never run; [bodyError]', async () => {
  const { rt, lines } = await testRuntime();
  const seen = [];
  const bodyError = new RangeError('body failed');
  const g = rt.taskGroup(async (tg) => {
    tg.createTask('worker', { label: 'started', ms: 100 });
    tg.createTask(async (ctx) => {
      seen.push('startedJS start');
      try {
        await ctx.sleep(100);
      } catch (error) {
        seen.push(`startedJS cancelled ${JSON.stringify(error.message)}`);
        throw error;
      }
    });
    await tg.sleep(0);
    tg.createTask('worker', { label: 'late', ms: 0 });
    tg.createTask(async () => {
      seen.push('lateJS ran');
    });
    throw bodyError;
  });
  const r = await settle(g);
  assert.ok(r.error instanceof ExceptionGroup);
  assert.equal(r.error.message, EG_MESSAGE);
  assert.deepEqual(r.error.errors, [bodyError]);
  assert.equal(r.error.errors[0], bodyError);
  assert.deepEqual(lines, ['start started', 'cancelled started: ']);
  assert.deepEqual(seen, ['startedJS start', 'startedJS cancelled ""']);
  assert.equal(rt.time(), 0);
  assert.equal(g.cancelling(), 0);
});

test('TG4 the body throws before any child started: none of them ever runs', async () => {
  const { rt, lines } = await testRuntime();
  let ran = 0;
  const bodyError = new Error('at once');
  const children = [];
  const r = await settle(rt.taskGroup(async (tg) => {
    children.push(tg.createTask('worker', { label: 'c', ms: 0 }));
    children.push(tg.createTask(async () => {
      ran++;
    }));
    throw bodyError;
  }));
  assert.deepEqual(r.error.errors, [bodyError]);
  await rt.sleep(10);
  assert.deepEqual(lines, []);
  assert.equal(ran, 0);
  assert.deepEqual(children.map((t) => t.cancelled()), [true, true]);
});

test('TG5 nested through tg.wait: the outer child fails first → flat [ValueError]; the inner group is cancelled', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  let inner;
  const g = rt.taskGroup(async (tg) => {
    tg.createTask('fail', { ms: 10, type: 'ValueError', message: 'outer' });
    inner = rt.taskGroup(async (itg) => {
      itg.createTask(async (ctx) => {
        try {
          await ctx.sleep(100);
        } catch (error) {
          seen.push(`inner child cancelled at ${rt.time()}`);
          throw error;
        }
      });
      itg.createTask('fail', { ms: 50, type: 'TypeError', message: 'inner' });
      await itg.sleep(100);
    });
    await tg.wait(inner);
  });
  const r = await settle(g);
  assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [ValueError(outer)])`);
  assert.equal(rt.time(), 10);
  assert.deepEqual(seen, ['inner child cancelled at 10']);
  assert.equal(inner.cancelled(), true);
});

test('TG5 nested through tg.wait: the inner child fails first → [ExceptionGroup([ValueError])], the inner group\'s own error object', async () => {
  const { rt, lines } = await testRuntime();
  let inner;
  const g = rt.taskGroup(async (tg) => {
    tg.createTask('worker', { label: 'outer-w', ms: 100 });
    inner = rt.taskGroup(async (itg) => {
      itg.createTask('fail', { ms: 10, type: 'ValueError', message: 'inner' });
      await itg.sleep(100);
    });
    await tg.wait(inner);
  });
  const r = await settle(g);
  assert.equal(describeError(r.error),
    `ExceptionGroup(${EG_MESSAGE}, [ExceptionGroup(${EG_MESSAGE}, [ValueError(inner)])])`);
  assert.equal(r.error.errors[0], inner.exception(), 'the inner group\'s ExceptionGroup itself');
  assert.deepEqual(lines, ['start outer-w', 'cancelled outer-w: ']);
  assert.equal(rt.time(), 10);
});

test('TG5 nested through a child\'s ctx.wait: the inner child fails first → [ExceptionGroup([ValueError])]', async () => {
  const { rt } = await testRuntime();
  const r = await settle(rt.taskGroup(async (tg) => {
    tg.createTask(async (ctx) => ctx.wait(rt.taskGroup(async (itg) => {
      itg.createTask('fail', { ms: 10, type: 'ValueError', message: 'inner' });
      await itg.sleep(100);
    })));
    await tg.sleep(100);
  }));
  assert.equal(describeError(r.error),
    `ExceptionGroup(${EG_MESSAGE}, [ExceptionGroup(${EG_MESSAGE}, [ValueError(inner)])])`);
  assert.equal(rt.time(), 10);
});

test('TG6 createTask on a finished group is refused with "TaskGroup is finished"; nothing runs', async () => {
  const { rt, lines } = await testRuntime();
  let saved;
  const group = rt.taskGroup(async (tg) => {
    saved = tg;
  });
  await group;
  let ran = 0;
  const tasksBefore = rt.stats().tasks;
  assert.throws(() => saved.createTask('worker', { label: 'x', ms: 0 }), { name: 'RuntimeError', message: 'TaskGroup is finished' });
  assert.throws(() => saved.createTask(async () => {
    ran++;
  }), { name: 'RuntimeError', message: 'TaskGroup is finished' });
  await rt.sleep(10);
  assert.deepEqual(lines, []);
  assert.equal(ran, 0);
  assert.equal(rt.stats().tasks, tasksBefore);
  assert.ok(group.done()); // held until here, so its collection cannot change the count
  assert.equal(await rt.run('worker', { ms: 1 }), 1, 'the runtime is still usable');
});

test('TG6 createTask while the group shuts down is refused with "TaskGroup is shutting down" (body and child)', async () => {
  for (const where of ['body', 'child']) {
    const { rt, lines } = await testRuntime();
    const refusals = [];
    const tryCreate = (tg) => {
      try {
        tg.createTask('worker', { label: 'refused', ms: 0 });
      } catch (error) {
        refusals.push(`${error.name}: ${error.message}`);
      }
      try {
        tg.createTask(async () => lines.push('refused JS ran'));
      } catch (error) {
        refusals.push(`${error.name}: ${error.message}`);
      }
    };
    const r = await settle(rt.taskGroup(async (tg) => {
      if (where === 'child') {
        tg.createTask(async (ctx) => {
          try {
            await ctx.sleep(100);
          } catch (error) {
            tryCreate(tg);
            throw error;
          }
        });
      }
      tg.createTask('fail', { ms: 10, type: 'ValueError', message: 'boom' });
      try {
        await tg.sleep(100);
      } catch (error) {
        if (where === 'body') tryCreate(tg);
        throw error;
      }
    }));
    assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [ValueError(boom)])`, where);
    assert.deepEqual(refusals, ['RuntimeError: TaskGroup is shutting down', 'RuntimeError: TaskGroup is shutting down'], where);
    await rt.sleep(10);
    assert.deepEqual(lines, [], where);
  }
});

test('TG7 the group\'s task cancelled from outside: C and JS children cancelled, plain CancelledError with the message', async () => {
  const { rt, lines } = await testRuntime();
  const seen = [];
  const g = rt.taskGroup(async (tg) => {
    tg.createTask('worker', { label: 'w', ms: 100 });
    tg.createTask(async (ctx) => {
      try {
        await ctx.sleep(100);
      } catch (error) {
        seen.push(`js child cancelled ${JSON.stringify(error.message)}`);
        throw error;
      }
    });
    try {
      await tg.sleep(100);
    } catch (error) {
      seen.push(`body cancelled ${JSON.stringify(error.message)}`);
      throw error;
    }
  });
  await rt.sleep(10);
  assert.equal(g.cancel('stop'), true);
  const r = await settle(g);
  assert.ok(r.error instanceof CancelledError);
  assert.ok(!(r.error instanceof ExceptionGroup));
  assert.equal(r.error.message, 'stop');
  assert.equal(g.cancelled(), true);
  assert.equal(g.cancelling(), 1);
  assert.equal(rt.time(), 10);
  assert.deepEqual(lines, ['start w', 'cancelled w: ']);
  assert.deepEqual(seen, ['body cancelled "stop"', 'js child cancelled ""']);
});

test('TG7 cancelled from outside while waiting at exit: children cancelled, CancelledError', async () => {
  const { rt, lines } = await testRuntime();
  const g = rt.taskGroup(async (tg) => {
    tg.createTask('worker', { label: 'w', ms: 100 });
    return 'done';
  });
  await rt.sleep(10);
  g.cancel('stop');
  const r = await settle(g);
  assert.ok(r.error instanceof CancelledError);
  assert.equal(r.error.message, 'stop');
  assert.equal(g.cancelled(), true);
  assert.equal(g.cancelling(), 1);
  assert.deepEqual(lines, ['start w', 'cancelled w: ']);
  assert.equal(rt.time(), 10);
});

test('TG7 TG8 a real child error during the cleanup wins over the outside cancel; cancelling() stays 1', async () => {
  const { rt, lines } = await testRuntime();
  const cleanupError = named('ValueError', 'cleanup failed');
  const g = rt.taskGroup(async (tg) => {
    tg.createTask(async (ctx) => {
      try {
        await ctx.sleep(100);
      } catch {
        throw cleanupError;
      }
    });
    tg.createTask('worker', { label: 'w', ms: 100 });
    await tg.sleep(100);
  });
  await rt.sleep(10);
  g.cancel('stop');
  const r = await settle(g);
  assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [ValueError(cleanup failed)])`);
  assert.equal(r.error.errors[0], cleanupError);
  assert.equal(g.cancelled(), false);
  assert.equal(g.cancelling(), 1, 'the outside cancel survives the ExceptionGroup');
  assert.deepEqual(lines, ['start w', 'cancelled w: ']);
});

test('TG7 TG8 cancelled at exit, a C child fails in its cleanup: ExceptionGroup, cancelling() 1', async () => {
  const { rt, lines } = await testRuntime();
  const g = rt.taskGroup(async (tg) => {
    tg.createTask('worker', { label: 'w', ms: 100, on_cancel: 'fail' });
  });
  await rt.sleep(10);
  g.cancel('stop');
  const r = await settle(g);
  assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [ValueError(failed in cleanup)])`);
  assert.equal(g.cancelled(), false);
  assert.equal(g.cancelling(), 1);
  assert.deepEqual(lines, ['start w', 'cancelled w: ']);
});

test('TG8 a JS task awaiting the group is cancelled, a child fails in cleanup: it catches the ExceptionGroup with cancelling() 1 and goes on', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  let g;
  const outer = rt.createTask(async (ctx) => {
    g = rt.taskGroup(async (tg) => {
      tg.createTask(async (cctx) => {
        try {
          await cctx.sleep(100);
        } catch {
          await cctx.sleep(5);
          throw named('ValueError', 'late');
        }
      });
      await tg.sleep(100);
    });
    try {
      await ctx.wait(g);
    } catch (error) {
      seen.push(`outer caught ${describeError(error)} cancelling ${ctx.cancelling()} g.cancelling ${g.cancelling()}`);
    }
    seen.push(`outer cancelling after ${ctx.cancelling()}`);
    await ctx.sleep(10);
    seen.push(`outer slept at ${rt.time()}`);
    return 'outer-done';
  });
  await rt.sleep(10);
  outer.cancel('x');
  assert.equal(await outer, 'outer-done');
  assert.deepEqual(seen, [
    `outer caught ExceptionGroup(${EG_MESSAGE}, [ValueError(late)]) cancelling 1 g.cancelling 1`,
    'outer cancelling after 1',
    'outer slept at 25',
  ]);
  assert.equal(outer.cancelled(), false);
  assert.equal(outer.cancelling(), 1);
  assert.equal(g.cancelled(), false);
});

test('TG9 after the group\'s ExceptionGroup, cancelling() of its task is back to 0; an awaiting JS task is not left cancelled', async () => {
  const { rt } = await testRuntime();
  const body = async (tg) => {
    tg.createTask(async () => {
      throw named('RuntimeError', 'x');
    });
  };
  const g = rt.taskGroup(body);
  const r = await settle(g);
  assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [RuntimeError(x)])`);
  assert.equal(g.cancelling(), 0);
  assert.equal(g.cancelled(), false);
  const seen = [];
  const outer = rt.createTask(async (ctx) => {
    const inner = rt.taskGroup(body);
    await ctx.wait(inner).catch(() => {});
    seen.push(`outer cancelling ${ctx.cancelling()}`);
    const start = rt.time();
    await ctx.sleep(10);
    seen.push(`slept ${rt.time() - start}`);
    return 'ok';
  });
  assert.equal(await outer, 'ok');
  assert.deepEqual(seen, ['outer cancelling 0', 'slept 10']);
  assert.equal(outer.cancelling(), 0);
});

test('TG10 on a child failure the siblings are cancelled (in some order), the body after them', async () => {
  const { rt, lines } = await testRuntime();
  const r = await settle(rt.taskGroup(async (tg) => {
    for (const label of ['a', 'b', 'c']) tg.createTask('worker', { label, ms: 100 });
    tg.createTask('fail', { ms: 10, type: 'ValueError', message: 'v' });
    try {
      await tg.sleep(100);
    } catch (error) {
      lines.push('body cancelled');
      throw error;
    }
  }));
  assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [ValueError(v)])`);
  assert.deepEqual(lines.slice(0, 3), ['start a', 'start b', 'start c']);
  assert.deepEqual(lines.slice(3, 6).sort(), ['cancelled a: ', 'cancelled b: ', 'cancelled c: ']);
  assert.deepEqual(lines.slice(6), ['body cancelled']);
});

test('TG10 with JS siblings too: every sibling sees its cancellation before the body does', async () => {
  const { rt } = await testRuntime();
  const seen = [];
  const r = await settle(rt.taskGroup(async (tg) => {
    for (const label of ['a', 'b']) {
      tg.createTask(async (ctx) => {
        try {
          await ctx.sleep(100);
        } catch (error) {
          seen.push(`cancelled ${label}`);
          throw error;
        }
      });
    }
    tg.createTask('fail', { ms: 10, type: 'ValueError', message: 'v' });
    try {
      await tg.sleep(100);
    } catch (error) {
      seen.push('body cancelled');
      throw error;
    }
  }));
  assert.equal(describeError(r.error), `ExceptionGroup(${EG_MESSAGE}, [ValueError(v)])`);
  assert.deepEqual(seen.slice(0, 2).sort(), ['cancelled a', 'cancelled b']);
  assert.deepEqual(seen.slice(2), ['body cancelled']);
});
