// asyncio.Lock for JS tasks (src/sync/lock.c, src/js/sync.mjs): each
// scenario is sync.py's of the same name, whose log CPython 3.13 prints.
import { scenario, exc, yn } from './harness.mjs';

scenario('lock_fifo', async ({ rt, ctx, log }) => {
  const lock = rt.lock();
  await ctx.wait(lock.acquire());
  const c = (n) => rt.createTask(async (t) => {
    await t.wait(lock.acquire());
    log(`c${n} acquired`);
  });
  const t1 = c(1);
  const t2 = c(2);
  await ctx.sleep(0);
  log('release 1');
  lock.release();
  await ctx.sleep(0);
  await ctx.sleep(0);
  const t3 = c(3);
  log('release 2');
  lock.release();
  await ctx.sleep(0);
  log('release 3');
  lock.release();
  await ctx.sleep(0);
  log(`done ${yn(t1.done())} ${yn(t2.done())} ${yn(t3.done())} locked ${yn(lock.locked())}`);
});

scenario('lock_no_barging', async ({ rt, ctx, log }) => {
  const lock = rt.lock();
  await ctx.wait(lock.acquire());
  const user = (name) => rt.createTask(async (t) => {
    await t.wait(lock.acquire());
    log(`${name} acquired`);
    await t.sleep(0);
    lock.release();
  });
  const b = user('b');
  const c = user('c');
  await ctx.sleep(0);
  lock.release();
  log(`released, locked ${yn(lock.locked())}`);
  const d = user('d');
  await ctx.wait(lock.acquire());
  log('main acquired');
  lock.release();
  await ctx.wait(d);
  log(`end locked ${yn(lock.locked())} ${yn(b.done())} ${yn(c.done())}`);
});

scenario('lock_acquire_cancel', async ({ rt, ctx, log, soon, settle }) => {
  const lock = rt.lock();
  await ctx.wait(lock.acquire());
  const t = rt.createTask((c) => c.wait(lock.acquire()));
  soon(() => t.cancel());
  await settle('t', t);
  log(`locked ${yn(lock.locked())}`);
  lock.release();
  log(`locked ${yn(lock.locked())}`);
  const x = rt.createTask((c) => c.sleep(0));
  await ctx.wait(lock.acquire());
  log(`main acquired, x done ${yn(x.done())}`);
});

scenario('lock_cancel_race', async ({ rt, ctx, log }) => {
  const lock = rt.lock();
  const lockit = (name, blocker) => rt.createTask(async (t) => {
    await t.wait(lock.acquire());
    log(`${name} acquired`);
    try {
      if (blocker) await t.wait(blocker);
    } finally {
      lock.release();
      log(`${name} released`);
    }
  });
  const fa = rt.createFuture();
  const ta = lockit('A', fa);
  await ctx.sleep(0);
  log(`locked ${yn(lock.locked())}`);
  const tb = lockit('B', null);
  await ctx.sleep(0);
  const tc = lockit('C', null);
  await ctx.sleep(0);
  fa.setResult(null);
  tb.cancel();
  await ctx.sleep(0);
  log(`locked ${yn(lock.locked())} ta done ${yn(ta.done())} tb cancelled ${yn(tb.cancelled())}`);
  await ctx.wait(tc);
  log(`tc done, locked ${yn(lock.locked())}`);
});

scenario('lock_cancel_release_race', async ({ rt, ctx, log, soon, settle }) => {
  const lock = rt.lock();
  const counts = { lock: 0, call: 0 };
  const lockit = (name) => rt.createTask(async (t) => {
    counts.call += 1;
    await t.wait(lock.acquire());
    counts.lock += 1;
    log(`${name} acquired`);
  });
  await ctx.wait(lock.acquire());
  const t1 = lockit('t1');
  const t2 = lockit('t2');
  const t3 = lockit('t3');
  await ctx.sleep(0);
  soon(() => {
    t1.cancel();
    lock.release();
  });
  await settle('t1', t1);
  log(`lock_count ${counts.lock} call_count ${counts.call} t1 cancelled ${yn(t1.cancelled())} t2 done ${yn(t2.done())}`);
  t3.cancel();
  await ctx.sleep(0);
  log(`t3 cancelled ${yn(t3.cancelled())}`);
});

scenario('lock_finished_waiter_cancelled', async ({ rt, ctx, log, settle }) => {
  const lock = rt.lock();
  await ctx.wait(lock.acquire());
  const tb = rt.createTask((c) => c.wait(lock.acquire()));
  await ctx.sleep(0);
  const tc = rt.createTask((c) => c.wait(lock.acquire()));
  tb.cancel();
  lock.release();
  await ctx.sleep(0);
  log(`locked ${yn(lock.locked())} tb cancelled ${yn(tb.cancelled())}`);
  await settle('tc', tc);
});

scenario('lock_woken_then_cancelled', async ({ rt, ctx, log }) => {
  const lock = rt.lock();
  await ctx.wait(lock.acquire());
  const user = (name) => rt.createTask(async (t) => {
    try {
      await t.wait(lock.acquire());
    } catch (e) {
      if (e.name === 'CancelledError') log(`${name} cancelled, locked ${yn(lock.locked())}`);
      throw e;
    }
    log(`${name} acquired`);
  });
  const b = user('b');
  const c = user('c');
  const d = user('d');
  await ctx.sleep(0);
  lock.release();
  b.cancel();
  await ctx.sleep(0);
  await ctx.sleep(0);
  log(`locked ${yn(lock.locked())} c done ${yn(c.done())} d done ${yn(d.done())}`);
  lock.release();
  await ctx.wait(d);
});

scenario('lock_all_cancelled_fast_path', async ({ rt, ctx, log }) => {
  const lock = rt.lock();
  await ctx.wait(lock.acquire());
  const user = (name) => rt.createTask(async (t) => {
    try {
      await t.wait(lock.acquire());
      log(`${name} acquired`);
    } catch (e) {
      if (e.name === 'CancelledError') log(`${name} cancelled`);
      throw e;
    }
  });
  const b = user('b');
  const c = user('c');
  await ctx.sleep(0);
  b.cancel();
  c.cancel();
  lock.release();
  const x = rt.createTask(async () => {
    log('x ran');
  });
  await ctx.wait(lock.acquire());
  log('main acquired');
  await ctx.sleep(0);
  log(`b ${yn(b.cancelled())} c ${yn(c.cancelled())} x ${yn(x.done())} locked ${yn(lock.locked())}`);
  const e = user('e');
  const f = user('f');
  await ctx.sleep(0);
  e.cancel();
  lock.release();
  const g = user('g');
  await ctx.sleep(0);
  await ctx.sleep(0);
  log(`locked ${yn(lock.locked())} f ${yn(f.done())} g ${yn(g.done())}`);
  lock.release();
  await ctx.wait(g);
});

scenario('lock_release_unlocked', async ({ rt, ctx, log }) => {
  const lock = rt.lock();
  try {
    lock.release();
  } catch (e) {
    log(exc(e));
  }
  await ctx.wait(lock.acquire());
  lock.release();
  try {
    lock.release();
  } catch (e) {
    log(exc(e));
  }
  log(`locked ${yn(lock.locked())}`);
});
