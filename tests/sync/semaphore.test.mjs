// asyncio.Semaphore and BoundedSemaphore for JS tasks
// (src/sync/semaphore.c): each scenario is sync.py's of the same name,
// whose log CPython 3.13 prints.
import { scenario, exc, yn, show } from './harness.mjs';

scenario('sem_acquire', async ({ rt, ctx, log }) => {
  const sem = rt.semaphore(3);
  await ctx.wait(sem.acquire());
  await ctx.wait(sem.acquire());
  log(`locked ${yn(sem.locked())}`);
  const c = (n) => rt.createTask(async (t) => {
    await t.wait(sem.acquire());
    log(`c${n} acquired`);
    return true;
  });
  const t1 = c(1);
  const t2 = c(2);
  const t3 = c(3);
  await ctx.sleep(0);
  log(`locked ${yn(sem.locked())}`);
  const t4 = c(4);
  sem.release();
  sem.release();
  await ctx.sleep(0);
  log(`locked ${yn(sem.locked())} done ${yn(t1.done())} ${yn(t2.done())} ${yn(t3.done())} ${yn(t4.done())}`);
  sem.release();
  await ctx.wait(t4);
  log(`locked ${yn(sem.locked())}`);
});

scenario('sem_acquire_cancel', async ({ rt, ctx, log, soon, settle }) => {
  const sem = rt.semaphore();
  await ctx.wait(sem.acquire());
  const t = rt.createTask((c) => c.wait(sem.acquire()));
  soon(() => t.cancel());
  await settle('t', t);
  log(`locked ${yn(sem.locked())}`);
  sem.release();
  log(`locked ${yn(sem.locked())}`);
});

scenario('sem_cancel_before_awoken', async ({ rt, ctx, log }) => {
  const sem = rt.semaphore(0);
  const ts = Array.from({ length: 4 }, () => rt.createTask((c) => c.wait(sem.acquire())));
  await ctx.sleep(0);
  ts[0].cancel();
  ts[1].cancel();
  sem.release();
  await ctx.sleep(0);
  await ctx.sleep(0);
  log(`done ${ts.map((t) => yn(t.done())).join(' ')} cancelled ${ts.map((t) => yn(t.cancelled())).join(' ')}`);
  ts[2].cancel();
  ts[3].cancel();
  await ctx.sleep(0);
  log(`locked ${yn(sem.locked())}`);
});

scenario('sem_acquire_hang', async ({ rt, ctx, log }) => {
  const sem = rt.semaphore(0);
  const t1 = rt.createTask((c) => c.wait(sem.acquire()));
  const t2 = rt.createTask((c) => c.wait(sem.acquire()));
  await ctx.sleep(0);
  t1.cancel();
  sem.release();
  await ctx.sleep(0);
  await ctx.sleep(0);
  log(`locked ${yn(sem.locked())} t1 cancelled ${yn(t1.cancelled())} t2 done ${yn(t2.done())}`);
});

scenario('sem_acquire_no_hang', async ({ rt, ctx, log }) => {
  const sem = rt.semaphore(1);
  let t2;
  const t1 = rt.createTask(async (c) => {
    await c.wait(sem.acquire());
    try {
      await c.sleep(0);
    } finally {
      sem.release();
    }
    t2.cancel();
  });
  t2 = rt.createTask(async (c) => {
    await c.wait(sem.acquire());
    try {
      log('c2 got in (wrong)');
    } finally {
      sem.release();
    }
  });
  const r = await ctx.wait(rt.gather([t1, t2], { returnExceptions: true }));
  log(`r1 ${show(r[0])} r2 ${r[1].name}`);
  await ctx.wait(sem.acquire());
  log(`acquired, locked ${yn(sem.locked())}`);
});

scenario('sem_fifo_order', async ({ rt, ctx, log }) => {
  const sem = rt.semaphore(1);
  const coro = (tag) => rt.createTask(async (t) => {
    await t.wait(sem.acquire());
    log(`${tag}_1`);
    await t.sleep(10);
    sem.release();
    await t.wait(sem.acquire());
    log(`${tag}_2`);
    await t.sleep(10);
    sem.release();
  });
  await ctx.wait(rt.gather([coro('c1'), coro('c2'), coro('c3')]));
});

scenario('sem_fifo_order_2', async ({ rt, ctx, log }) => {
  const sem = rt.semaphore(1);
  const ts = [
    rt.createTask(async (t) => {
      await t.wait(sem.acquire());
      log('1');
    }),
    rt.createTask(async (t) => {
      await t.wait(sem.acquire());
      log('2');
      sem.release();
      await t.wait(sem.acquire());
      log('4');
    }),
    rt.createTask(async (t) => {
      await t.wait(sem.acquire());
      log('3');
    }),
  ];
  await ctx.sleep(0);
  sem.release();
  sem.release();
  await ctx.wait(rt.gather(ts));
});

scenario('sem_fifo_order_3', async ({ rt, ctx, log }) => {
  const sem = rt.semaphore(0);
  const c = (n) => rt.createTask(async (t) => {
    await t.wait(sem.acquire());
    log(`${n}`);
  });
  const ts = [c(1), c(2), c(3)];
  await ctx.sleep(0);
  ts[0].cancel();
  await ctx.sleep(0);
  sem.release();
  sem.release();
  const r = await ctx.wait(rt.gather(ts, { returnExceptions: true }));
  log(`results ${r.map((x) => (x === undefined ? 'NoneType' : x.name)).join(' ')}`);
});

scenario('sem_fifo_order_4', async ({ rt, ctx, log }) => {
  const sem = rt.semaphore(0);
  const holder = {};
  const c4 = async () => {
    log('4');
  };
  const ts = [
    rt.createTask(async (t) => {
      await t.wait(sem.acquire());
      holder.t4 = rt.createTask(c4);
      log('1');
    }),
    rt.createTask(async (t) => {
      sem.release();
      sem.release();
      sem.release();
      log(`locked ${yn(sem.locked())}`);
      await t.wait(sem.acquire());
      log('2');
    }),
    rt.createTask(async (t) => {
      await t.wait(sem.acquire());
      log(`3 locked ${yn(sem.locked())}`);
    }),
  ];
  await ctx.sleep(0);
  await ctx.sleep(0);
  await ctx.wait(rt.gather([...ts, holder.t4]));
});

scenario('sem_woken_then_cancelled', async ({ rt, ctx, log }) => {
  const sem = rt.semaphore(0);
  const user = (name) => rt.createTask(async (t) => {
    try {
      await t.wait(sem.acquire());
      log(`${name} acquired`);
    } catch (e) {
      if (e.name === 'CancelledError') log(`${name} cancelled`);
      throw e;
    }
  });
  const a = user('a');
  const b = user('b');
  const c = user('c');
  await ctx.sleep(0);
  sem.release();
  a.cancel();
  log(`locked ${yn(sem.locked())}`);
  await ctx.sleep(0);
  await ctx.sleep(0);
  log(`b ${yn(b.done())} c ${yn(c.done())} locked ${yn(sem.locked())}`);
  sem.release();
  await ctx.wait(c);
  sem.release();
  log(`locked ${yn(sem.locked())}`);
});

scenario('sem_no_barging', async ({ rt, ctx, log }) => {
  const sem = rt.semaphore(0);
  log(`locked ${yn(sem.locked())}`);
  sem.release();
  log(`locked ${yn(sem.locked())}`);
  await ctx.wait(sem.acquire());
  log(`acquired, locked ${yn(sem.locked())}`);
  const user = (name) => rt.createTask(async (t) => {
    await t.wait(sem.acquire());
    log(`${name} acquired`);
  });
  const a = user('a');
  await ctx.sleep(0);
  sem.release();
  sem.release();
  log(`locked ${yn(sem.locked())}`);
  const c = user('c');
  await ctx.sleep(0);
  log(`a ${yn(a.done())} c ${yn(c.done())} locked ${yn(sem.locked())}`);
  const s2 = rt.semaphore(2);
  await ctx.wait(s2.acquire());
  log(`s2 locked ${yn(s2.locked())}`);
  await ctx.wait(s2.acquire());
  log(`s2 locked ${yn(s2.locked())}`);
});

scenario('sem_bounded', async ({ rt, ctx, log }) => {
  const sem = rt.boundedSemaphore(2);
  try {
    sem.release();
  } catch (e) {
    log(exc(e));
  }
  await ctx.wait(sem.acquire());
  await ctx.wait(sem.acquire());
  log(`locked ${yn(sem.locked())}`);
  sem.release();
  sem.release();
  try {
    sem.release();
  } catch (e) {
    log(exc(e));
  }
  log(`locked ${yn(sem.locked())}`);
  for (const make of [() => rt.semaphore(-1), () => rt.boundedSemaphore(-1)]) {
    try {
      make();
    } catch (e) {
      log(exc(e));
    }
  }
  const z = rt.boundedSemaphore(0);
  log(`zero locked ${yn(z.locked())}`);
  try {
    z.release();
  } catch (e) {
    log(exc(e));
  }
});
