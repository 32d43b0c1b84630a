// asyncio.Event for JS tasks (src/sync/event.c): each scenario is
// sync.py's of the same name, whose log CPython 3.13 prints.
import { scenario, yn } from './harness.mjs';

scenario('event_wait', async ({ rt, ctx, log }) => {
  const ev = rt.event();
  log(`is_set ${yn(ev.isSet())}`);
  const c = (n) => rt.createTask(async (t) => {
    if (await t.wait(ev.wait())) log(`c${n} woke`);
  });
  const t1 = c(1);
  const t2 = c(2);
  await ctx.sleep(0);
  const t3 = c(3);
  ev.set();
  log('set');
  await ctx.sleep(0);
  log(`done ${yn(t1.done())} ${yn(t2.done())} ${yn(t3.done())}`);
});

scenario('event_wait_on_set', async ({ rt, ctx, log }) => {
  const ev = rt.event();
  ev.set();
  rt.createTask(async () => {
    log('x ran');
  });
  log(`wait ${yn(await ctx.wait(ev.wait()))}`);
  await ctx.sleep(0);
});

scenario('event_wait_cancel', async ({ rt, ctx, log, soon, settle }) => {
  const ev = rt.event();
  const w = rt.createTask((c) => c.wait(ev.wait()));
  soon(() => w.cancel());
  await settle('w', w);
  ev.set();
  log(`is_set ${yn(ev.isSet())}`);
  await settle('again', ev.wait());
});

scenario('event_clear_with_waiters', async ({ rt, ctx, log }) => {
  const ev = rt.event();
  const t = rt.createTask(async (c) => {
    if (await c.wait(ev.wait())) log('c1 woke');
    return true;
  });
  await ctx.sleep(0);
  ev.set();
  ev.clear();
  log(`is_set ${yn(ev.isSet())}`);
  ev.set();
  ev.set();
  await ctx.sleep(0);
  log(`t done ${yn(t.done())}`);
});

scenario('event_clear_after_set', async ({ rt, ctx, log }) => {
  const ev = rt.event();
  const waiter = (name) => rt.createTask(async (t) => {
    log(`${name} got ${yn(await t.wait(ev.wait()))}`);
  });
  const a = waiter('a');
  await ctx.sleep(0);
  ev.set();
  ev.clear();
  const b = waiter('b');
  await ctx.sleep(0);
  await ctx.sleep(0);
  log(`a ${yn(a.done())} b ${yn(b.done())}`);
  ev.set();
  await ctx.wait(b);
});

scenario('event_woken_then_cancelled', async ({ rt, ctx, log }) => {
  const ev = rt.event();
  const waiter = (name) => rt.createTask(async (t) => {
    try {
      await t.wait(ev.wait());
      log(`${name} woke`);
    } catch (e) {
      if (e.name === 'CancelledError') log(`${name} cancelled`);
      throw e;
    }
  });
  const a = waiter('a');
  const b = waiter('b');
  const c = waiter('c');
  await ctx.sleep(0);
  ev.set();
  b.cancel();
  await ctx.sleep(0);
  log(`a ${yn(a.done())} b ${yn(b.cancelled())} c ${yn(c.done())}`);
});
