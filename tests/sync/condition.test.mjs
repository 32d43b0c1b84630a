// asyncio.Condition for JS tasks (src/sync/condition.c): each scenario is
// sync.py's of the same name, whose log CPython 3.13 prints.
import { scenario, exc, yn, show } from './harness.mjs';

scenario('cond_wait', async ({ rt, ctx, log }) => {
  const cond = rt.condition();
  const c = (n) => rt.createTask(async (t) => {
    await t.wait(cond.acquire());
    if (await t.wait(cond.wait())) log(`c${n} woke`);
    return true;
  });
  const ts = [c(1), c(2), c(3)];
  await ctx.sleep(0);
  log(`locked ${yn(cond.locked())}`);
  await ctx.wait(cond.acquire());
  cond.notify();
  await ctx.sleep(0);
  log(`locked ${yn(cond.locked())}`);
  cond.release();
  await ctx.sleep(0);
  log(`locked ${yn(cond.locked())}`);
  cond.notify(2);
  await ctx.sleep(0);
  cond.release();
  await ctx.sleep(0);
  cond.release();
  await ctx.sleep(0);
  log(`locked ${yn(cond.locked())} done ${ts.map((t) => yn(t.done())).join(' ')}`);
});

scenario('cond_wait_cancel', async ({ rt, ctx, log, soon, settle }) => {
  const cond = rt.condition();
  await ctx.wait(cond.acquire());
  const w = rt.createTask((c) => c.wait(cond.wait()));
  soon(() => w.cancel());
  await settle('w', w);
  log(`locked ${yn(cond.locked())}`);
});

scenario('cond_wait_cancel_contested', async ({ rt, ctx, log, soon, settle }) => {
  const cond = rt.condition();
  await ctx.wait(cond.acquire());
  const w = rt.createTask((c) => c.wait(cond.wait()));
  await ctx.sleep(0);
  log(`locked ${yn(cond.locked())}`);
  await ctx.wait(cond.acquire());
  cond.notify();
  soon(() => w.cancel());
  soon(() => cond.release());
  await settle('w', w);
  log(`locked ${yn(cond.locked())}`);
});

scenario('cond_wait_cancel_after_notify', async ({ rt, ctx, log }) => {
  const cond = rt.condition();
  const w = rt.createTask(async (t) => {
    await t.wait(cond.acquire());
    try {
      log('waiting');
      await t.wait(cond.wait());
    } finally {
      cond.release();
    }
  });
  await ctx.sleep(0);
  await ctx.wait(cond.acquire());
  cond.notify();
  await ctx.sleep(0);
  w.cancel();
  await ctx.sleep(0);
  cond.release();
  await ctx.sleep(0);
  log(`cancelled ${yn(w.cancelled())} locked ${yn(cond.locked())}`);
});

scenario('cond_unacquired', async ({ rt, ctx, log }) => {
  const cond = rt.condition();
  try {
    await ctx.wait(cond.wait());
  } catch (e) {
    log(exc(e));
  }
  for (const f of [() => cond.notify(), () => cond.notifyAll()]) {
    try {
      f();
    } catch (e) {
      log(exc(e));
    }
  }
  log(`wait_for ${show(await ctx.wait(cond.waitFor(() => [1, 2, 3])))}`);
  try {
    await ctx.wait(cond.waitFor(() => false));
  } catch (e) {
    log(exc(e));
  }
});

scenario('cond_wait_for', async ({ rt, ctx, log }) => {
  const cond = rt.condition();
  const state = { p: 0 };
  const predicate = () => {
    log(`predicate ${state.p}`);
    return state.p;
  };
  const t = rt.createTask(async (c) => {
    await c.wait(cond.acquire());
    const v = await c.wait(cond.waitFor(predicate));
    log(`c1 got ${v}`);
    cond.release();
  });
  await ctx.sleep(0);
  await ctx.wait(cond.acquire());
  cond.notify();
  cond.release();
  await ctx.sleep(0);
  state.p = 7;
  await ctx.wait(cond.acquire());
  cond.notify();
  cond.release();
  await ctx.sleep(0);
  log(`t done ${yn(t.done())}`);
});

scenario('cond_notify', async ({ rt, ctx, log }) => {
  const cond = rt.condition();
  const c = (n) => rt.createTask(async (t) => {
    await t.wait(cond.acquire());
    if (await t.wait(cond.wait())) {
      log(`c${n} woke`);
      cond.release();
    }
  });
  const ts = [1, 2, 3, 4, 5].map(c);
  await ctx.sleep(0);
  await ctx.wait(cond.acquire());
  cond.notify(1);
  cond.release();
  await ctx.sleep(0);
  await ctx.wait(cond.acquire());
  cond.notify(0);
  cond.notify(-1);
  cond.release();
  await ctx.sleep(0);
  log('nobody for 0 and -1');
  await ctx.wait(cond.acquire());
  cond.notify(2);
  cond.release();
  await ctx.sleep(0);
  await ctx.wait(cond.acquire());
  cond.notify(2048);
  cond.release();
  await ctx.wait(rt.gather(ts));
});

scenario('cond_notify_all', async ({ rt, ctx, log }) => {
  const cond = rt.condition();
  const c = (n) => rt.createTask(async (t) => {
    await t.wait(cond.acquire());
    if (await t.wait(cond.wait())) {
      log(`c${n} woke`);
      cond.release();
    }
  });
  const ts = [c(1), c(2)];
  await ctx.sleep(0);
  await ctx.wait(cond.acquire());
  cond.notifyAll();
  cond.release();
  await ctx.sleep(0);
  log(`done ${ts.map((t) => yn(t.done())).join(' ')}`);
});

// The task fails with the CancelledError it was cancelled with; the wait
// gives it back holding the lock.
const cancelledWaiter = (rt, cond, log, predicate) => rt.createTask(async (t) => {
  await t.wait(cond.acquire());
  try {
    await t.wait(predicate ? cond.waitFor(predicate) : cond.wait());
  } catch (e) {
    if (e.name === 'CancelledError') log(`func ${exc(e)} locked ${yn(cond.locked())}`);
    throw e;
  } finally {
    cond.release();
  }
});

scenario('cond_cancelled_error_wakeup', async ({ rt, ctx, log, settle }) => {
  const cond = rt.condition();
  const t = cancelledWaiter(rt, cond, log, () => false);
  await ctx.sleep(0);
  t.cancel('foo');
  await settle('t', t);
});

scenario('cond_cancelled_error_re_acquire', async ({ rt, ctx, log, settle }) => {
  const cond = rt.condition();
  const state = { wake: false };
  const t = cancelledWaiter(rt, cond, log, () => state.wake);
  await ctx.sleep(0);
  await ctx.wait(cond.acquire());
  state.wake = true;
  cond.notify();
  await ctx.sleep(0);
  t.cancel('foo');
  cond.release();
  await settle('t', t);
  log(`locked ${yn(cond.locked())}`);
});

scenario('cond_cancelled_twice_re_acquire', async ({ rt, ctx, log, settle }) => {
  const cond = rt.condition();
  const t = cancelledWaiter(rt, cond, log, null);
  await ctx.sleep(0);
  await ctx.wait(cond.acquire());
  t.cancel('first');
  await ctx.sleep(0);
  t.cancel('second');
  await ctx.sleep(0);
  t.cancel('third');
  await ctx.sleep(0);
  cond.release();
  await settle('t', t);
  log(`cancelling ${t.cancelling()}`);
});

async function consumers({ rt, ctx, log }, relock) {
  const condition = rt.condition();
  const state = { n: 0 };
  const consumer = (name) => rt.createTask(async (t) => {
    await t.wait(condition.acquire());
    try {
      for (;;) {
        await t.wait(condition.waitFor(() => state.n !== 0));
        if (state.n < 0) {
          log(`${name} ends`);
          return;
        }
        state.n -= 1;
        log(`${name} consumed`);
      }
    } catch (e) {
      if (e.name === 'CancelledError') log(`${name} cancelled`);
      throw e;
    } finally {
      condition.release();
    }
  });
  const c = [consumer('c0'), consumer('c1')];
  await ctx.sleep(0);
  await ctx.wait(condition.acquire());
  state.n += 1;
  condition.notify(1);
  if (relock) await ctx.sleep(0);
  c[0].cancel();
  try {
    await ctx.wait(rt.timeout(10, (t) => t.wait(condition.waitFor(() => state.n === 0))));
  } catch (e) {
    if (e.name !== 'TimeoutError') throw e;
    log('timed out');
  }
  log(`state ${state.n}`);
  state.n = -1;
  condition.notifyAll();
  condition.release();
  await ctx.wait(c[1]);
}

scenario('cond_cancelled_wakeup', (s) => consumers(s, false));
scenario('cond_cancelled_wakeup_relock', (s) => consumers(s, true));

scenario('cond_explicit_lock', async ({ rt, ctx, log }) => {
  const lock = rt.lock();
  const cond = rt.condition(lock);
  await ctx.wait(lock.acquire());
  log(`cond locked ${yn(cond.locked())}`);
  cond.release();
  log(`lock locked ${yn(lock.locked())}`);
  await ctx.wait(cond.acquire());
  log(`lock locked ${yn(lock.locked())}`);
  lock.release();
  const w = rt.createTask(async (t) => {
    await t.wait(cond.acquire());
    await t.wait(cond.wait());
    log(`woke, lock locked ${yn(lock.locked())}`);
    cond.release();
  });
  await ctx.sleep(0);
  await ctx.wait(lock.acquire());
  cond.notify();
  lock.release();
  await ctx.wait(w);
  log(`lock locked ${yn(lock.locked())}`);
});

scenario('cond_timeout_in_block', async ({ rt, ctx, log }) => {
  const cond = rt.condition();
  await ctx.wait(cond.acquire());
  try {
    await ctx.wait(rt.timeout(50, (t) => t.wait(cond.wait())));
  } catch (e) {
    log(`${e.name} locked ${yn(cond.locked())}`);
  }
  cond.release();
});
