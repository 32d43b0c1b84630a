// The wasyncio measurements, shared by Node (bench.mjs) and the browser
// (browser.html): medians of `runs` runs, per operation in µs.
import { createRuntime } from 'wasyncio';
import { testModule } from '../helpers.mjs';

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function timeMs(runs, fn) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export async function measureWasyncio({ runs, switches, tasks }) {
  const rt = await createRuntime({ clock: 'real', module: testModule, print: () => {}, host: { resolved: async () => 1 } });
  await rt.run('bench_pingpong', { switches: 10_000 }); // warm up
  await rt.run('bench_spawn_join', { n: 1000 });
  const switchMs = await timeMs(runs, () => rt.run('bench_pingpong', { switches }));
  const spawnMs = await timeMs(runs, () => rt.run('bench_spawn_join', { n: tasks }));
  const groupMs = await timeMs(runs, () => rt.run('bench_group', { n: tasks }));
  const gatherMs = await timeMs(runs, () => rt.run('bench_gather', { n: tasks }));
  // The same switch while rt.trace() records (keeping the last 10,000
  // events, as the default does): what tracing costs when it is on.
  const recorder = rt.trace();
  const tracedMs = await timeMs(runs, () => rt.run('bench_pingpong', { switches }));
  recorder.stop();
  // A C task awaiting a JS async function's resolved promise, one call at
  // a time; next to it, the same number of plain awaits of an async
  // function in JS.
  const calls = tasks / 10;
  const hostMs = await timeMs(runs, () => rt.run('bench_host_calls', { n: calls, fn: 'resolved' }));
  const resolved = async () => 1;
  const plainMs = await timeMs(runs, async () => {
    for (let i = 0; i < calls; i++) await resolved();
  });
  // Queue ping-pong: items handed from a producer to a consumer through a
  // queue of maxsize 1, per item.
  const items = tasks;
  const queueMs = await timeMs(runs, () => rt.run('bench_queue', { n: items }));
  const perTask = (ms) => (ms * 1000) / tasks;
  return {
    queueUs: (queueMs * 1000) / items,
    hostCallUs: (hostMs * 1000) / calls, plainAwaitUs: (plainMs * 1000) / calls,
    switchUs: (switchMs * 1000) / switches, spawnUs: perTask(spawnMs), groupUs: perTask(groupMs), gatherUs: perTask(gatherMs),
    tracedSwitchUs: (tracedMs * 1000) / switches,
  };
}

/** n tasks sleeping ms at once: the wall time, the heap bytes each holds
 *  while sleeping (malloc's count), and the wasm memory grown per task. */
export async function measureSleepers({ runs, sleepers, ms, options }) {
  const rt = await createRuntime({ clock: 'real', module: testModule, print: () => {}, ...options });
  const before = rt.stats().memory;
  const heap = [];
  const wallMs = await timeMs(runs, async () => heap.push(await rt.run('bench_sleepers', { n: sleepers, ms })));
  return { wallMs, bytesPerTask: median(heap), grownPerTask: (rt.stats().memory - before) / sleepers };
}

/** The host's own equivalent: n setTimeout promises of ms, all awaited
 *  (wall ms, the median of `runs`). */
export async function measureHostSleepers({ runs, sleepers, ms }) {
  return timeMs(runs, () => Promise.all(Array.from({ length: sleepers }, () => new Promise((resolve) => setTimeout(resolve, ms)))));
}

/** How late n timers spread over [500, 1500) ms fire: {p50, p99, max} in
 *  ms, the median of `runs` runs of each. */
export async function measureLateness({ runs, n }) {
  const rt = await createRuntime({ clock: 'real', module: testModule, print: () => {} });
  const all = [];
  for (let i = 0; i < runs; i++) all.push((await rt.run('bench_lateness', { n })).split(' ').map(Number));
  return { p50: median(all.map((x) => x[0])), p99: median(all.map((x) => x[1])), max: median(all.map((x) => x[2])) };
}

/** In a page: the gaps between animation frames while n tasks sleep
 *  [500, 1500) ms and wake (bench_lateness): {p50, p99, max} in ms. */
export async function measureFrameGaps({ n }) {
  const rt = await createRuntime({ clock: 'real', module: testModule, print: () => {} });
  const gaps = [];
  let last = 0;
  let on = true;
  const tick = (t) => {
    if (last) gaps.push(t - last);
    last = t;
    if (on) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  await rt.run('bench_lateness', { n });
  on = false;
  gaps.sort((a, b) => a - b);
  return { p50: gaps[Math.floor(gaps.length / 2)], p99: gaps[Math.floor(gaps.length * 0.99)], max: gaps[gaps.length - 1] };
}
