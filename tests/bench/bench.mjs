// npm run bench: what a task switch and a task cost in this runtime, next to
// plain Node and CPython asyncio measured in the same run (the machines are
// shared and noisy, so ratios within one run are what to compare). Each
// figure is the median of RUNS runs (BENCH_RUNS, default 5).
import { spawnSync } from 'node:child_process';
import { measureWasyncio, measureSleepers, measureLateness, median, timeMs } from './measure.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SWITCHES = 1_000_000;
const TASKS = 100_000;
const SLEEPER_COUNTS = [10_000, 100_000, 1_000_000];
const sleeperRuns = (n) => (n >= 1_000_000 ? 1 : Math.min(RUNS, 3));
// How long they sleep: a million sleep 2 s, as the target for them says.
const sleepMs = (n) => (n >= 1_000_000 ? 2000 : 1000);
// Pyodide takes about 10 s for 100,000 sleepers: once each, none for a million.
const PYODIDE_SLEEPERS = [10_000, 100_000];
const LATE_TIMERS = 10_000; // timer lateness: this many deadlines over [500, 1500) ms
const FRAME_TASKS = 100_000; // frame gaps in the page while this many do the same
const PARAMS = { runs: RUNS, switches: SWITCHES, tasks: TASKS };

// The same measurement in headless Chromium, when it and playwright-core
// are installed (npm test installs both).
async function benchBrowser() {
  let browser;
  try {
    const { launchChromium } = await import('../chromium.mjs');
    browser = await launchChromium();
  } catch {
    return null;
  }
  const { serve } = await import('../../scripts/serve.mjs');
  const { server, url } = await serve(0);
  const openPage = async () => {
    const page = await browser.newPage();
    await page.goto(new URL('../tests/bench/browser.html', url).href);
    await page.waitForFunction(() => document.title === 'ready');
    return page;
  };
  try {
    const page = await openPage();
    const figures = await page.evaluate((p) => window.bench(p), PARAMS);
    await page.close();
    const sleepers = {};
    const hostSleepers = {};
    for (const n of SLEEPER_COUNTS) { // a page each: the last runtime's memory goes with it
      const args = { runs: sleeperRuns(n), sleepers: n, ms: sleepMs(n), options: {} };
      let p = await openPage();
      sleepers[n] = await p.evaluate((a) => window.benchSleepers(a), args);
      await p.close();
      p = await openPage();
      hostSleepers[n] = await p.evaluate((a) => window.benchHostSleepers(a), args);
      await p.close();
    }
    const p = await openPage();
    const lateness = await p.evaluate((a) => window.benchLateness(a), { runs: Math.min(RUNS, 3), n: LATE_TIMERS });
    const frameGaps = await p.evaluate((a) => window.benchFrameGaps(a), { n: FRAME_TASKS });
    await p.close();
    return { version: browser.version(), ...figures, sleepers, hostSleepers, lateness, frameGaps };
  } finally {
    await browser.close();
    server.close();
  }
}

// Node has no task group or gather beyond Promise.all, which spawnUs
// measures already; those rows show n/a for Node.
async function benchNode() {
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  const pingpong = async () => {
    const side = async () => {
      for (let i = 0; i < SWITCHES / 2; i++) await tick();
    };
    await Promise.all([side(), side()]);
  };
  const spawnJoin = async () => {
    const trivial = async () => 1;
    await Promise.all(Array.from({ length: TASKS }, () => trivial()));
  };
  await pingpong();
  return {
    switchUs: ((await timeMs(RUNS, pingpong)) * 1000) / SWITCHES,
    spawnUs: ((await timeMs(RUNS, spawnJoin)) * 1000) / TASKS,
  };
}

const PYTHON = `
import asyncio, statistics, sys, time
RUNS, SWITCHES, TASKS = ${RUNS}, 200_000, ${TASKS}
async def side(n):
    for _ in range(n): await asyncio.sleep(0)
async def pingpong():
    await asyncio.gather(side(SWITCHES // 2), side(SWITCHES // 2))
async def trivial(): return 1
async def spawn_join():
    tasks = [asyncio.create_task(trivial()) for _ in range(TASKS)]
    for t in tasks: await t
async def group():
    async with asyncio.TaskGroup() as tg:
        for _ in range(TASKS): tg.create_task(trivial())
async def gather():
    await asyncio.gather(*[asyncio.create_task(trivial()) for _ in range(TASKS)])
async def queue():
    q = asyncio.Queue(1)
    async def producer():
        for i in range(TASKS): await q.put(i)
    async def consumer():
        for i in range(TASKS): assert await q.get() == i
    await asyncio.gather(producer(), consumer())
def timed(f):
    ts = []
    for _ in range(RUNS):
        t0 = time.perf_counter(); asyncio.run(f()); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
print(sys.version.split()[0], timed(pingpong) * 1e6 / SWITCHES, timed(spawn_join) * 1e6 / TASKS,
      timed(group) * 1e6 / TASKS, timed(gather) * 1e6 / TASKS, timed(queue) * 1e6 / TASKS)
`;

function benchCPython() {
  for (const env of [{ PYENV_VERSION: '3.13.0' }, {}]) {
    const r = spawnSync('python3', ['-c', PYTHON], { encoding: 'utf8', env: { ...process.env, ...env } });
    if (r.status === 0) {
      const [version, ...figures] = r.stdout.trim().split(' ');
      const [switchUs, spawnUs, groupUs, gatherUs, queueUs] = figures.map(Number);
      return { version, switchUs, spawnUs, groupUs, gatherUs, queueUs };
    }
  }
  return null;
}

// Pyodide (CPython 3.12 on wasm, from npm: scripts/bench.sh installs it),
// its asyncio on Node's timers; each figure in a process of its own
// (tests/bench/pyodide.mjs). null when it is not installed or the run
// failed.
function pyodideFigures(what, n, ms) {
  const args = [new URL('./pyodide.mjs', import.meta.url).pathname, what, String(n), String(ms ?? '')];
  return what === 'sleepers' ? sleepersIn(process.execPath, args, 1) : childMedians(process.execPath, args, 1)?.[0] ?? null;
}
const pyodide = {
  switchUs: pyodideFigures('switch', 200_000), spawnUs: pyodideFigures('spawn', TASKS),
  groupUs: pyodideFigures('group', TASKS), gatherUs: pyodideFigures('gather', TASKS),
  queueUs: pyodideFigures('queue', TASKS),
};

const fmt = (us) => (us === undefined || us === null ? 'n/a' : `${us < 10 ? us.toFixed(3) : us.toFixed(1)} µs`);
console.log(`wasyncio benchmarks: Node ${process.version}, medians of ${RUNS} runs\n`);
const wa = await measureWasyncio(PARAMS);
const inBrowser = await benchBrowser();
const node = await benchNode();
const py = benchCPython();
const row = (what, key) => {
  const ratio = py ? `${(py[key] / wa[key]).toFixed(1)}x` : '-';
  return `| ${what} | ${fmt(wa[key])} | ${fmt(inBrowser?.[key])} | ${fmt(node[key])} | ${fmt(py?.[key])} | ${fmt(pyodide[key])} | ${ratio} |`;
};
console.log('| per operation | wasyncio, Node | wasyncio, Chromium | Node native | CPython asyncio | Pyodide asyncio, Node | CPython / wasyncio (Node) |');
console.log('|---|---|---|---|---|---|---|');
console.log(row(`switch: two tasks alternating sleep(0), ${SWITCHES.toLocaleString('en')} switches`, 'switchUs'));
console.log(`| the same switch while rt.trace() records | ${fmt(wa.tracedSwitchUs)} | ${fmt(inBrowser?.tracedSwitchUs)} | n/a | n/a | n/a | - |`);
console.log(row(`spawn + join one trivial task, ${TASKS.toLocaleString('en')} tasks`, 'spawnUs'));
console.log(row(`task group: spawn one trivial task into it, ${TASKS.toLocaleString('en')} tasks, then exit`, 'groupUs'));
console.log(row(`gather: one trivial task of ${TASKS.toLocaleString('en')}, results read in order`, 'gatherUs'));
console.log(row(`queue ping-pong: a producer hands ${TASKS.toLocaleString('en')} items to a consumer through a Queue(maxsize=1), per item`, 'queueUs'));
console.log(`| host call: a C task awaits a JS async function's value (wa_host_call), ${(TASKS / 10).toLocaleString('en')} in turn | ${fmt(wa.hostCallUs)} | ${fmt(inBrowser?.hostCallUs)} | ${fmt(wa.plainAwaitUs)} (a plain \`await\` of an async function) | n/a | n/a | - |`);
console.log(`\n(${inBrowser ? `Chromium ${inBrowser.version}` : 'Chromium: not installed, skipped'}; ${py ? `CPython ${py.version}, its switch figure from 200,000 switches` : 'CPython: not found, skipped'}; Pyodide 0.26 (CPython 3.12), one run each, its switch from 200,000 switches.)`);
// n tasks sleeping 1 s at once (a million: 2 s): wall time from the first
// spawn to the last wake-up, and memory per sleeping task. wasyncio:
// malloc's bytes in use while they sleep (a fresh runtime each count,
// default sizes; the wasm memory grown is in brackets, which its growth
// steps make coarse below a million). Node: n setTimeout promises (JS heap
// grown); Chromium the same in a page (wall only). CPython: n asyncio.sleep
// tasks (RSS grown). Pyodide: the same (wasm memory grown). Node, CPython
// and Pyodide run in processes of their own. The million is run once, the
// others min(BENCH_RUNS, 3) times (Pyodide once, and not the million).
const NODE_SLEEPERS = `
const n = Number(process.argv[1]), ms = Number(process.argv[2]);
globalThis.gc?.();
const m0 = process.memoryUsage().heapUsed, t0 = performance.now();
const all = Array.from({ length: n }, () => new Promise((resolve) => setTimeout(resolve, ms)));
const m1 = process.memoryUsage().heapUsed;
await Promise.all(all);
console.log(performance.now() - t0, (m1 - m0) / n);`;
const PYTHON_SLEEPERS = `
import asyncio, os, sys, time
def rss(): return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
async def main(n, ms):
    r0, t0 = rss(), time.perf_counter()
    tasks = [asyncio.create_task(asyncio.sleep(ms / 1000)) for _ in range(n)]
    await asyncio.sleep(0)
    r1 = rss()
    await asyncio.gather(*tasks)
    print((time.perf_counter() - t0) * 1000, (r1 - r0) / n)
asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))`;

// Runs a measuring child process `runs` times (CPython 3.13 where pyenv
// has it); it prints numbers separated by spaces. The median of each, or
// null when it failed.
function childMedians(command, args, runs) {
  const rows = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, PYENV_VERSION: '3.13.0' } });
    if (r.status !== 0) return null;
    rows.push(r.stdout.trim().split(' ').map(Number));
  }
  return rows[0].map((_, column) => median(rows.map((row) => row[column])));
}

function sleepersIn(command, args, runs) {
  const m = childMedians(command, args, runs);
  return m && { wallMs: m[0], bytesPerTask: m[1] };
}

const kb = (s) => (s ? `${Math.round(s.bytesPerTask).toLocaleString('en')} B` : 'n/a');
const wall = (s) => (s ? `${(s.wallMs / 1000).toFixed(2)} s` : 'n/a');
const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : '-');
console.log('\n| tasks sleeping at once (1 s; a million: 2 s) | wasyncio wall | wasyncio memory per task | wasyncio in Chromium: wall, memory | Chromium setTimeout wall | Node setTimeout wall | Node memory per task | CPython wall | CPython memory per task | Pyodide wall | Pyodide memory per task | wasyncio / Node wall | wasyncio / setTimeout wall, Chromium |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const n of SLEEPER_COUNTS) {
  const runs = sleeperRuns(n);
  const ms = sleepMs(n);
  const c = inBrowser?.sleepers?.[n];
  const cHost = inBrowser?.hostSleepers?.[n];
  const w = await measureSleepers({ runs, sleepers: n, ms, options: {} });
  const nd = sleepersIn(process.execPath, ['--expose-gc', '--input-type=module', '-e', NODE_SLEEPERS, String(n), String(ms)], runs);
  const py = sleepersIn('python3', ['-c', PYTHON_SLEEPERS, String(n), String(ms)], runs);
  const pyo = PYODIDE_SLEEPERS.includes(n) ? pyodideFigures('sleepers', n, ms) : null;
  console.log(`| ${n.toLocaleString('en')} | ${wall(w)} | ${kb(w)} (${Math.round(w.grownPerTask).toLocaleString('en')} B) | ${c ? `${wall(c)}, ${kb(c)}` : 'n/a'} | ${cHost ? wall({ wallMs: cHost }) : 'n/a'} | ${wall(nd)} | ${kb(nd)} | ${wall(py)} | ${kb(py)} | ${wall(pyo)} | ${kb(pyo)} | ${ratio(w.wallMs, nd?.wallMs)} | ${ratio(c?.wallMs, cHost)} |`);
}

// Timer lateness: how late LATE_TIMERS timers with deadlines spread over
// [500, 1500) ms fire (p50, p99, max of each run; medians of the runs).
// Node: setTimeout promises; CPython: asyncio.sleep to the deadline.
const NODE_LATENESS = `
const n = Number(process.argv[1]), t0 = performance.now(), late = [];
let seed = 12345;
await Promise.all(Array.from({ length: n }, () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  const deadline = t0 + 500 + ((seed >>> 8) % 1000000) / 1000;
  return new Promise((resolve) => setTimeout(() => { late.push(performance.now() - deadline); resolve(); }, deadline - performance.now()));
}));
late.sort((a, b) => a - b);
console.log(late[n >> 1], late[Math.floor(n * 0.99)], late[n - 1]);`;
const PYTHON_LATENESS = `
import asyncio, sys
async def one(loop, deadline, late):
    await asyncio.sleep(deadline - loop.time())
    late.append((loop.time() - deadline) * 1000)
async def main(n):
    loop, late, seed = asyncio.get_running_loop(), [], 12345
    t0, tasks = loop.time(), []
    for _ in range(n):
        seed = (seed * 1103515245 + 12345) % 2**32
        tasks.append(asyncio.create_task(one(loop, t0 + 0.5 + ((seed >> 8) % 1000000) / 1e6, late)))
    await asyncio.gather(*tasks)
    late.sort()
    print(late[n // 2], late[int(n * 0.99)], late[-1])
asyncio.run(main(int(sys.argv[1])))`;

function latenessIn(command, args, runs) {
  const m = childMedians(command, args, runs);
  return m && { p50: m[0], p99: m[1], max: m[2] };
}

const ms = (x) => (x ? `${x.p50.toFixed(2)} / ${x.p99.toFixed(2)} / ${x.max.toFixed(1)} ms` : 'n/a');
const lateRuns = Math.min(RUNS, 3);
const late = {
  wasyncio: await measureLateness({ runs: lateRuns, n: LATE_TIMERS }),
  node: latenessIn(process.execPath, ['--input-type=module', '-e', NODE_LATENESS, String(LATE_TIMERS)], lateRuns),
  python: latenessIn('python3', ['-c', PYTHON_LATENESS, String(LATE_TIMERS)], lateRuns),
};
console.log(`\n| ${LATE_TIMERS.toLocaleString('en')} timers over [500, 1500) ms: how late they fire (p50 / p99 / max) | wasyncio, Node | wasyncio, Chromium | Node setTimeout | CPython asyncio |`);
console.log('|---|---|---|---|---|');
console.log(`| lateness | ${ms(late.wasyncio)} | ${ms(inBrowser?.lateness)} | ${ms(late.node)} | ${ms(late.python)} |`);
console.log(`\nFrame gaps in Chromium while ${FRAME_TASKS.toLocaleString('en')} tasks do the same (p50 / p99 / max): ${ms(inBrowser?.frameGaps)}`);
