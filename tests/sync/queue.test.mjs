// asyncio.Queue, LifoQueue and PriorityQueue for JS tasks
// (src/sync/queue.c, order.c): each scenario is sync.py's of the same
// name, whose log CPython 3.13 prints.
import { scenario, exc, yn, show } from './harness.mjs';

const CLASSES = [['Queue', 'fifo'], ['LifoQueue', 'lifo'], ['PriorityQueue', 'priority']];

scenario('queue_basics', async ({ rt, log }) => {
  const q = rt.queue();
  log(`empty ${yn(q.empty())} full ${yn(q.full())} maxsize ${q.maxsize} qsize ${q.qsize()}`);
  q.putNowait(1);
  log(`empty ${yn(q.empty())} qsize ${q.qsize()} got ${q.getNowait()}`);
  try {
    q.getNowait();
  } catch (e) {
    log(exc(e));
  }
  const q2 = rt.queue({ maxsize: 2 });
  q2.putNowait(1);
  log(`full ${yn(q2.full())}`);
  q2.putNowait(2);
  log(`full ${yn(q2.full())}`);
  try {
    q2.putNowait(3);
  } catch (e) {
    log(exc(e));
  }
  const q3 = rt.queue({ maxsize: -1 });
  for (let i = 0; i < 5; i++) q3.putNowait(i);
  log(`unbounded full ${yn(q3.full())} qsize ${q3.qsize()} maxsize ${q3.maxsize}`);
  try {
    rt.queue().taskDone();
  } catch (e) {
    log(exc(e));
  }
  q.taskDone();
  try {
    q.taskDone();
  } catch (e) {
    log(exc(e));
  }
});

scenario('queue_order', async ({ rt, ctx, log }) => {
  for (const [name, order] of CLASSES) {
    const q = rt.queue({ order });
    for (const i of [1, 3, 2, 5, 4, 0]) await ctx.wait(q.put(i));
    const items = [];
    for (let i = 0; i < 6; i++) items.push(await ctx.wait(q.get()));
    log(`${name} ${items.join(' ')}`);
  }
});

scenario('queue_priority_items', async ({ rt, log }) => {
  const drain = (q, n) => Array.from({ length: n }, () => show(q.getNowait())).join(' ');
  const q = rt.queue({ order: 'priority' });
  const items = [[1, true], [1, 1], [0, false], [1, 1], [0, 0], [2, 'b'], [1, true],
    [0, false], [2, 'a'], [1, 1], [0, 0], [1, true], [0, true], [0, 0]];
  for (const x of items) q.putNowait(x);
  log(drain(q, items.length));
  const s = rt.queue({ order: 'priority' });
  for (const x of ['\u{1F600}', '\uffff', 'a', '\u00e9', '', 'ab', 'Z', '\u00e9a']) s.putNowait(x);
  log(drain(s, 8));
  const n = rt.queue({ order: 'priority' });
  for (const x of [1.5, -1, 2, 1, 12.5, -0.5, 0]) n.putNowait(x);
  log(Array.from({ length: 7 }, () => String(n.getNowait())).join(' '));
  const by = rt.queue({ order: 'priority' });
  for (const x of [[1, 2], [1], [], [255], [0, 255]]) by.putNowait(new Uint8Array(x));
  log(drain(by, 5));
  const j = rt.queue({ order: 'priority' });
  for (const x of [[2, 'x'], [1, 'b'], [1, 'a'], [1, 'a', 0], [0, 'z'], [3, [2, 1]], [3, [2]], [3, [1, 5]], [-1.5, 'n']]) j.putNowait(x);
  log(drain(j, 9));
  try {
    n.putNowait(1);
    n.putNowait('a');
  } catch (e) {
    log(e.name);
  }
});

scenario('queue_blocking_get', async ({ rt, ctx, log }) => {
  const q = rt.queue();
  const getter = (name) => rt.createTask(async (t) => {
    log(`${name} got ${await t.wait(q.get())}`);
  });
  const a = getter('a');
  const b = getter('b');
  await ctx.sleep(0);
  await ctx.wait(q.put(1));
  log('put 1');
  await ctx.wait(q.put(2));
  log('put 2');
  await ctx.wait(rt.gather([a, b]));
});

scenario('queue_blocking_put', async ({ rt, ctx, log }) => {
  const q = rt.queue({ maxsize: 1 });
  rt.createTask(async (t) => {
    await t.sleep(10);
    log(`get_nowait ${q.getNowait()}`);
  });
  const p = rt.createTask(async (t) => {
    await t.wait(q.put(1));
    log('put 1');
    await t.wait(q.put(2));
    log('put 2');
  });
  await ctx.sleep(0);
  await ctx.sleep(0);
  log(`p done ${yn(p.done())} full ${yn(q.full())}`);
  await ctx.wait(p);
  log(`got ${await ctx.wait(q.get())} qsize ${q.qsize()}`);

  const q2 = rt.queue({ maxsize: 1 });
  rt.createTask((t) => t.wait(q2.put('a')));
  rt.createTask((t) => t.wait(q2.put('b')));
  log(`got ${await ctx.wait(q2.get())}`);
  log(`got ${await ctx.wait(q2.get())}`);
});

scenario('queue_get_cancelled_race', async ({ rt, ctx, log }) => {
  const q = rt.queue();
  const t1 = rt.createTask((t) => t.wait(q.get()));
  const t2 = rt.createTask((t) => t.wait(q.get()));
  await ctx.sleep(0);
  t1.cancel();
  await ctx.sleep(0);
  log(`t1 done ${yn(t1.done())}`);
  await ctx.wait(q.put('a'));
  await ctx.sleep(0);
  log(`t2 got ${await ctx.wait(t2)}`);
});

scenario('queue_why_getters_waiting', async ({ rt, ctx, log }) => {
  const q = rt.queue({ maxsize: 1 });
  const consumer = rt.createTask.bind(rt);
  const producer = consumer(async (t) => {
    for (let i = 0; i < 5; i++) {
      await t.wait(q.put(i));
      log(`put ${i}`);
    }
  });
  const getter = consumer(async (t) => {
    for (let i = 0; i < 5; i++) log(`got ${await t.wait(q.get())}`);
  });
  await ctx.wait(rt.gather([producer, getter]));
  const q2 = rt.queue({ maxsize: 2 });
  const putter = (item) => rt.createTask(async (t) => {
    await t.wait(q2.put(item));
    log(`putter ${item} done`);
  });
  const g = rt.createTask(async (t) => {
    await t.sleep(0);
    for (let i = q2.qsize(); i > 0; i--) log(`get_nowait ${q2.getNowait()}`);
  });
  await ctx.wait(rt.gather([g, putter(0), putter(1), putter(2), putter(3)]));
  log(`qsize ${q2.qsize()}`);
});

scenario('queue_cancelled_getters_not_held', async ({ rt, ctx, log }) => {
  const q = rt.queue({ maxsize: 5 });
  try {
    await ctx.wait(rt.waitFor(rt.createTask((t) => t.wait(q.get())), 100));
  } catch (e) {
    log(e.name);
  }
  q.putNowait('x');
  log(`qsize ${q.qsize()} got ${await ctx.wait(q.get())}`);
});

scenario('queue_get_cancel_drop_one', async ({ rt, ctx, log }) => {
  const q = rt.queue();
  let reader = rt.createTask((t) => t.wait(q.get()));
  await ctx.sleep(0);
  q.putNowait(1);
  q.putNowait(2);
  reader.cancel();
  try {
    await ctx.wait(reader);
  } catch (e) {
    if (e.name !== 'CancelledError') throw e;
    log('reader cancelled, again');
    reader = rt.createTask((t) => t.wait(q.get()));
    await ctx.wait(reader);
  }
  log(`got ${reader.result()} qsize ${q.qsize()}`);
});

scenario('queue_get_cancel_drop_many', async ({ rt, ctx, log, settle }) => {
  const q = rt.queue();
  const reader = (name) => rt.createTask(async (t) => {
    try {
      log(`${name} got ${await t.wait(q.get())}`);
    } catch (e) {
      if (e.name === 'CancelledError') log(`${name} cancelled`);
      throw e;
    }
  });
  const r1 = reader('r1');
  const r2 = reader('r2');
  const r3 = reader('r3');
  await ctx.sleep(0);
  q.putNowait(1);
  q.putNowait(2);
  r1.cancel();
  await settle('r1', r1);
  await ctx.wait(rt.gather([r2, r3]));
  log(`qsize ${q.qsize()}`);
});

scenario('queue_put_cancel_drop', async ({ rt, ctx, log }) => {
  const q = rt.queue({ maxsize: 1 });
  q.putNowait(1);
  let writer = rt.createTask((t) => t.wait(q.put(2)));
  await ctx.sleep(0);
  log(`got ${q.getNowait()}`);
  writer.cancel();
  try {
    await ctx.wait(writer);
  } catch (e) {
    if (e.name !== 'CancelledError') throw e;
    log('writer cancelled, again');
    writer = rt.createTask((t) => t.wait(q.put(2)));
    await ctx.wait(writer);
  }
  log(`got ${q.getNowait()} qsize ${q.qsize()}`);
});

scenario('queue_put_cancelled_race', async ({ rt, ctx, log }) => {
  const q = rt.queue({ maxsize: 1 });
  const putA = rt.createTask((t) => t.wait(q.put('a')));
  const putB = rt.createTask((t) => t.wait(q.put('b')));
  const putC = rt.createTask((t) => t.wait(q.put('X')));
  await ctx.sleep(0);
  log(`a ${yn(putA.done())} b ${yn(putB.done())}`);
  putC.cancel();
  await ctx.sleep(0);
  log(`c done ${yn(putC.done())} got ${q.getNowait()}`);
  await ctx.sleep(0);
  log(`got ${q.getNowait()}`);
  await ctx.wait(putB);
  log(`qsize ${q.qsize()}`);
});

scenario('queue_put_woken_then_cancelled', async ({ rt, ctx, log, settle }) => {
  const q = rt.queue({ maxsize: 1 });
  q.putNowait(1);
  const p = rt.createTask((t) => t.wait(q.put(2)));
  const p2 = rt.createTask((t) => t.wait(q.put(3)));
  await ctx.sleep(0);
  q.getNowait();
  p.cancel();
  await settle('p', p);
  log(`qsize ${q.qsize()}`);
  await ctx.wait(p2);
  log(`qsize ${q.qsize()} got ${q.getNowait()}`);
  q.putNowait(4);
  const w = rt.createTask((t) => t.wait(q.put(5)));
  await ctx.sleep(0);
  w.cancel();
  await settle('w', w);
  log(`got ${q.getNowait()} qsize ${q.qsize()}`);
});

scenario('queue_getter_woken_then_cancelled', async ({ rt, ctx, log }) => {
  const q = rt.queue();
  const reader = (name) => rt.createTask(async (t) => {
    try {
      log(`${name} got ${await t.wait(q.get())}`);
    } catch (e) {
      if (e.name === 'CancelledError') log(`${name} cancelled`);
      throw e;
    }
  });
  const r1 = reader('r1');
  const r2 = reader('r2');
  await ctx.sleep(0);
  q.putNowait('only');
  r1.cancel();
  await ctx.wait(rt.gather([r1, r2], { returnExceptions: true }));
  log(`qsize ${q.qsize()}`);
});

scenario('queue_task_done_join', async ({ rt, ctx, log }) => {
  for (const [name, order] of CLASSES) {
    const q = rt.queue({ order });
    await ctx.wait(q.join());
    await ctx.wait(q.join());
    for (let i = 0; i < 100; i++) q.putNowait(i);
    const acc = { sum: 0, running: true };
    const worker = () => rt.createTask(async (t) => {
      while (acc.running) {
        acc.sum += await t.wait(q.get());
        q.taskDone();
      }
    });
    const ts = [worker(), worker()];
    await ctx.wait(q.join());
    log(`${name} joined sum ${acc.sum}`);
    acc.running = false;
    for (let i = 0; i < ts.length; i++) q.putNowait(0);
    await ctx.wait(rt.gather(ts));
    try {
      q.taskDone();
      q.taskDone();
      q.taskDone();
    } catch (e) {
      log(exc(e));
    }
  }
});

scenario('queue_join_waits', async ({ rt, ctx, log }) => {
  const q = rt.queue();
  q.putNowait('a');
  q.putNowait('b');
  const joiner = (name) => rt.createTask(async (t) => {
    await t.wait(q.join());
    log(`${name} joined`);
  });
  const j1 = joiner('j1');
  const j2 = joiner('j2');
  await ctx.sleep(0);
  q.getNowait();
  q.getNowait();
  q.taskDone();
  await ctx.sleep(0);
  log(`j1 ${yn(j1.done())}`);
  q.taskDone();
  log('all done');
  await ctx.wait(rt.gather([j1, j2]));
});

// test_queues.py's _QueueShutdownTestMixin, for each order.
async function shutdownEmpty({ rt, ctx, log, settle }, order) {
  const q = rt.queue({ order });
  const getTask = rt.createTask((t) => t.wait(q.get()));
  await ctx.sleep(0);
  q.shutdown(false);
  log(`qsize ${q.qsize()}`);
  await ctx.wait(q.join());
  await ctx.sleep(0);
  log(`get done ${yn(getTask.done())}`);
  await settle('get', getTask);
  await settle('put', q.put('data'));
  try {
    q.putNowait('data');
  } catch (e) {
    log(`put_nowait ${exc(e)}`);
  }
  await settle('get', q.get());
  try {
    q.getNowait();
  } catch (e) {
    log(`get_nowait ${exc(e)}`);
  }
}

async function shutdownNonempty({ rt, ctx, log, settle }, order) {
  const q = rt.queue({ order, maxsize: 1 });
  q.putNowait('data');
  const joinTask = rt.createTask((t) => t.wait(q.join()));
  const putTask = rt.createTask((t) => t.wait(q.put('data2')));
  await ctx.sleep(0);
  log(`put done ${yn(putTask.done())}`);
  q.shutdown(false);
  log(`qsize ${q.qsize()}`);
  await ctx.sleep(0);
  log(`put done ${yn(putTask.done())}`);
  await settle('put', putTask);
  log(`got ${await ctx.wait(q.get())}`);
  await ctx.sleep(0);
  log(`join done ${yn(joinTask.done())}`);
  await settle('put', q.put('data'));
  await settle('get', q.get());
  q.taskDone();
  await ctx.sleep(0);
  log(`join done ${yn(joinTask.done())}`);
  try {
    q.taskDone();
  } catch (e) {
    log(exc(e));
  }
}

async function shutdownImmediate({ rt, ctx, log, settle }, order) {
  const q = rt.queue({ order });
  q.putNowait('data');
  const joinTask = rt.createTask((t) => t.wait(q.join()));
  q.shutdown(true);
  log(`qsize ${q.qsize()}`);
  await ctx.sleep(0);
  log(`join done ${yn(joinTask.done())}`);
  await settle('put', q.put('data'));
  await settle('get', q.get());
  try {
    q.taskDone();
  } catch (e) {
    log(exc(e));
  }
}

async function shutdownImmediateWithUnfinished({ rt, ctx, log }, order) {
  const q = rt.queue({ order });
  q.putNowait('data');
  q.putNowait('data');
  const joinTask = rt.createTask((t) => t.wait(q.join()));
  log(`got ${await ctx.wait(q.get())}`);
  q.shutdown(true);
  log(`qsize ${q.qsize()}`);
  await ctx.sleep(0);
  log(`join done ${yn(joinTask.done())}`);
  q.taskDone();
  try {
    q.taskDone();
  } catch (e) {
    log(exc(e));
  }
  await ctx.sleep(0);
  log(`join done ${yn(joinTask.done())}`);
}

scenario('queue_shutdown', async (s) => {
  for (const [name, order] of CLASSES) {
    s.log(name);
    await shutdownEmpty(s, order);
    await shutdownNonempty(s, order);
    await shutdownImmediate(s, order);
    await shutdownImmediateWithUnfinished(s, order);
  }
});

scenario('queue_shutdown_waiters', async ({ rt, ctx, log, settle }) => {
  const q = rt.queue();
  const g1 = rt.createTask((t) => t.wait(q.get()));
  const g2 = rt.createTask((t) => t.wait(q.get()));
  await ctx.sleep(0);
  q.shutdown();
  await settle('g1', g1);
  await settle('g2', g2);
  const full = rt.queue({ maxsize: 1 });
  full.putNowait('x');
  const p1 = rt.createTask((t) => t.wait(full.put('y')));
  const p2 = rt.createTask((t) => t.wait(full.put('z')));
  await ctx.sleep(0);
  full.shutdown();
  await settle('p1', p1);
  await settle('p2', p2);
  log(`qsize ${full.qsize()} got ${full.getNowait()}`);
  await settle('get', full.get());
  const q3 = rt.queue();
  q3.putNowait(1);
  q3.putNowait(2);
  log(`got ${await ctx.wait(q3.get())}`);
  q3.shutdown(true);
  await settle('get', q3.get());
  log(`qsize ${q3.qsize()}`);
});
