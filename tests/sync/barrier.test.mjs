// asyncio.Barrier for JS tasks (src/sync/barrier.c): each scenario is
// sync.py's of the same name, whose log CPython 3.13 prints.
import { scenario, exc, yn } from './harness.mjs';

const N = 5;
const makeTasks = (rt, n, coro) => Array.from({ length: n }, (_, i) => rt.createTask((t) => coro(t, i)));
const gatherTasks = (rt, ctx, n, coro) => ctx.wait(rt.gather(makeTasks(rt, n, coro)));
const isBroken = (e) => e?.name === 'BrokenBarrierError';

scenario('barrier_basics', async ({ rt, ctx, log }) => {
  for (const n of [0, -4]) {
    try {
      rt.barrier(n);
    } catch (e) {
      log(exc(e));
    }
  }
  const b = rt.barrier(3);
  log(`parties ${b.parties} n_waiting ${b.nWaiting} broken ${yn(b.broken)}`);
  const party = (i) => rt.createTask(async (t) => {
    const index = await t.wait(b.wait());
    log(`t${i} index ${index} n_waiting ${b.nWaiting}`);
    return index;
  });
  const t1 = party(1);
  await ctx.sleep(0);
  log(`n_waiting ${b.nWaiting}`);
  const t2 = party(2);
  await ctx.sleep(0);
  log(`n_waiting ${b.nWaiting}`);
  const t3 = party(3);
  await ctx.sleep(0);
  log(`n_waiting ${b.nWaiting}`);
  log(`results ${await ctx.wait(t1)} ${await ctx.wait(t2)} ${await ctx.wait(t3)} n_waiting ${b.nWaiting} broken ${yn(b.broken)}`);
});

scenario('barrier_filling_one_task_twice', async ({ rt, ctx, log }) => {
  const b = rt.barrier(1);
  const t1 = rt.createTask((c) => c.wait(b.wait()));
  await ctx.sleep(0);
  const t2 = rt.createTask((c) => c.wait(b.wait()));
  await ctx.sleep(0);
  log(`${t1.result()} ${t2.result()} n_waiting ${b.nWaiting}`);
});

scenario('barrier_wait_twice', async ({ rt, ctx, log }) => {
  const b = rt.barrier(N);
  const r = await gatherTasks(rt, ctx, N, async (t, i) => {
    const first = await t.wait(b.wait());
    log(`t${i} first ${first}`);
    const second = await t.wait(b.wait());
    log(`t${i} second ${second}`);
    return second;
  });
  log(`results ${r.join(' ')} n_waiting ${b.nWaiting}`);
});

scenario('barrier_blocking_while_draining', async ({ rt, ctx, log }) => {
  const b = rt.barrier(N);
  const b2 = rt.barrier(N - 2);
  const state = { rewait: 2 };
  await gatherTasks(rt, ctx, N, async (t, i) => {
    await t.wait(b.wait());
    log(`t${i} passed`);
    if (state.rewait > 0) {
      state.rewait -= 1;
      log(`t${i} again ${await t.wait(b.wait())}`);
    } else {
      await t.wait(b2.wait());
      log(`t${i} passed b2`);
      log(`t${i} again ${await t.wait(b.wait())}`);
    }
  });
});

scenario('barrier_cancel_one', async ({ rt, ctx, log, settle }) => {
  const b = rt.barrier(3);
  const coro = (i) => rt.createTask(async (t) => {
    let index;
    try {
      index = await t.wait(b.wait());
    } catch (e) {
      if (e.name === 'CancelledError') log(`t${i} cancelled, n_waiting ${b.nWaiting}`);
      throw e;
    }
    log(`t${i} index ${index}`);
  });
  const t1 = coro(1);
  await ctx.sleep(0);
  const t2 = coro(2);
  await ctx.sleep(0);
  log(`n_waiting ${b.nWaiting}`);
  t1.cancel();
  await ctx.sleep(0);
  log(`n_waiting ${b.nWaiting} broken ${yn(b.broken)}`);
  await settle('t1', t1);
  const t3 = coro(3);
  await ctx.sleep(0);
  log(`n_waiting ${b.nWaiting}`);
  const t4 = coro(4);
  await ctx.wait(rt.gather([t2, t3, t4]));
  log(`n_waiting ${b.nWaiting} broken ${yn(b.broken)}`);
});

scenario('barrier_reset_idle', async ({ rt, ctx, log, settle }) => {
  const b = rt.barrier(1);
  rt.createTask((c) => c.wait(b.reset()));
  await ctx.sleep(0);
  log(`n_waiting ${b.nWaiting} broken ${yn(b.broken)}`);
  rt.createTask((c) => c.wait(b.abort()));
  await ctx.sleep(0);
  log(`n_waiting ${b.nWaiting} broken ${yn(b.broken)}`);
  await settle('wait', b.wait());
  await ctx.wait(b.reset());
  log(`broken ${yn(b.broken)}`);
  await settle('wait', b.wait());
});

scenario('barrier_reset_while_waiting', async ({ rt, ctx, log }) => {
  const b = rt.barrier(N);
  const ts = makeTasks(rt, N - 1, async (t, i) => {
    try {
      await t.wait(b.wait());
    } catch (e) {
      if (!isBroken(e)) throw e;
      log(`t${i} ${exc(e)}`);
    }
  });
  await ctx.sleep(0);
  log(`n_waiting ${b.nWaiting}`);
  rt.createTask((c) => c.wait(b.reset()));
  await ctx.wait(rt.gather(ts));
  log(`n_waiting ${b.nWaiting} broken ${yn(b.broken)}`);
});

scenario('barrier_reset_half_draining_half_blocking', async ({ rt, ctx, log }) => {
  const b = rt.barrier(N);
  const blocking = Math.floor(N / 2);
  const state = { count: 0 };
  await gatherTasks(rt, ctx, N, async (t, i) => {
    try {
      await t.wait(b.wait());
    } catch (e) {
      if (!isBroken(e)) throw e;
      log(`t${i} broken, waits again`);
      log(`t${i} index ${await t.wait(b.wait())}`);
      return;
    }
    state.count += 1;
    if (state.count > blocking) {
      log(`t${i} resets`);
      await t.wait(b.reset());
      log(`t${i} index ${await t.wait(b.wait())}`);
    } else {
      try {
        log(`t${i} index ${await t.wait(b.wait())}`);
      } catch (e) {
        if (!isBroken(e)) throw e;
        log(`t${i} broken (wrong)`);
      }
    }
  });
  log(`n_waiting ${b.nWaiting} broken ${yn(b.broken)}`);
});

scenario('barrier_reset_wait_again', async ({ rt, ctx, log }) => {
  const b = rt.barrier(N);
  const ts = makeTasks(rt, N - 1, async (t, i) => {
    try {
      await t.wait(b.wait());
    } catch (e) {
      if (!isBroken(e)) throw e;
      log(`t${i} broken`);
    } finally {
      log(`t${i} index ${await t.wait(b.wait())}`);
    }
  });
  rt.createTask((c) => c.wait(b.reset()));
  await ctx.sleep(0);
  rt.createTask(async (t) => {
    log(`last index ${await t.wait(b.wait())}`);
  });
  await ctx.wait(rt.gather(ts));
  log(`n_waiting ${b.nWaiting} broken ${yn(b.broken)}`);
});

scenario('barrier_reset_while_draining', async ({ rt, ctx, log }) => {
  const b = rt.barrier(N);
  const state = { count: 0 };
  await gatherTasks(rt, ctx, N, async (t, i) => {
    await t.wait(b.wait());
    state.count += 1;
    if (state.count === N) {
      log(`t${i} resets`);
      await t.wait(b.reset());
      await t.wait(b.wait());
    } else {
      try {
        await t.wait(b.wait());
        log(`t${i} second wait passed`);
      } catch (e) {
        log(`t${i} ${exc(e)} (wrong)`);
      }
    }
    const k = await t.wait(b.wait());
    log(`t${i} last ${k}`);
  });
  log(`n_waiting ${b.nWaiting} broken ${yn(b.broken)}`);
});

scenario('barrier_abort_half_draining_half_blocking', async ({ rt, ctx, log }) => {
  const b = rt.barrier(N);
  const blocking = Math.floor(N / 2);
  const state = { count: 0 };
  await gatherTasks(rt, ctx, N, async (t, i) => {
    try {
      await t.wait(b.wait());
    } catch (e) {
      if (!isBroken(e)) throw e;
      log(`t${i} first ${exc(e)}`);
      return;
    }
    state.count += 1;
    if (state.count > blocking) {
      log(`t${i} aborts`);
      await t.wait(b.abort());
    } else {
      try {
        await t.wait(b.wait());
      } catch (e) {
        if (!isBroken(e)) throw e;
        log(`t${i} second ${exc(e)}`);
      }
    }
  });
  log(`n_waiting ${b.nWaiting} broken ${yn(b.broken)}`);
});

scenario('barrier_abort_when_exception', async ({ rt, ctx, log }) => {
  const b = rt.barrier(N);
  await gatherTasks(rt, ctx, N, async (t, i) => {
    try {
      const idx = await t.wait(b.wait());
      if (idx === Math.floor(N / 2)) throw Object.assign(new Error('boom'), { name: 'RuntimeError' });
      await t.wait(b.wait());
      log(`t${i} passed twice (wrong)`);
    } catch (e) {
      if (isBroken(e)) {
        log(`t${i} ${exc(e)}`);
      } else if (e.name === 'RuntimeError') {
        log(`t${i} aborts`);
        await t.wait(b.abort());
      } else {
        throw e;
      }
    }
  });
  log(`n_waiting ${b.nWaiting} broken ${yn(b.broken)}`);
});

scenario('barrier_abort_then_reset', async ({ rt, ctx, log }) => {
  const b1 = rt.barrier(N);
  const b2 = rt.barrier(N);
  await gatherTasks(rt, ctx, N, async (t, i) => {
    try {
      const idx = await t.wait(b1.wait());
      if (idx === Math.floor(N / 2)) throw Object.assign(new Error('boom'), { name: 'RuntimeError' });
      await t.wait(b1.wait());
      log(`t${i} passed (wrong)`);
    } catch (e) {
      if (isBroken(e)) {
        log(`t${i} broken`);
      } else if (e.name === 'RuntimeError') {
        log(`t${i} aborts`);
        await t.wait(b1.abort());
      } else {
        throw e;
      }
    }
    const idx = await t.wait(b2.wait());
    if (idx === Math.floor(N / 2)) {
      log(`t${i} resets b1`);
      await t.wait(b1.reset());
    }
    await t.wait(b2.wait());
    log(`t${i} b1 index ${await t.wait(b1.wait())}`);
  });
  log(`broken ${yn(b1.broken)} n_waiting ${b1.nWaiting}`);
});
