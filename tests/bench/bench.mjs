// npm run bench: what a task switch and a task cost in this runtime, next to
// plain Node and CPython asyncio measured in the same run (the machines are
// shared and noisy, so ratios within one run are what to compare). Each
// figure is the median of RUNS runs (BENCH_RUNS, default 5).
import { spawnSync } from 'node:child_process';
import { createRuntime } from '../../src/wasyncio.mjs';
import { testModule } from '../helpers.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SWITCHES = 1_000_000;
const TASKS = 100_000;
const SLEEPERS = 10_000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeMs(fn) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function runtime(options = {}) {
  return createRuntime({ clock: 'real', module: testModule, print: () => {}, ...options });
}

async function benchWasyncio() {
  const rt = await runtime();
  await rt.run('bench_pingpong', { switches: 10_000 }); // warm up
  await rt.run('bench_spawn_join', { n: 1000 });
  const switchMs = await timeMs(() => rt.run('bench_pingpong', { switches: SWITCHES }));
  const spawnMs = await timeMs(() => rt.run('bench_spawn_join', { n: TASKS }));
  const sleepers = {};
  for (const [label, options] of [['default', {}], ['small', { stackSize: 4096, asyncifySize: 1024 }]]) {
    const fresh = await runtime(options);
    const before = fresh.stats().memory;
    const wall = await timeMs(() => fresh.run('bench_sleepers', { n: SLEEPERS, ms: 1000 }));
    sleepers[label] = { wall, bytesPerTask: (fresh.stats().memory - before) / SLEEPERS };
  }
  return { switchUs: (switchMs * 1000) / SWITCHES, spawnUs: (spawnMs * 1000) / TASKS, sleepers };
}

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
    switchUs: ((await timeMs(pingpong)) * 1000) / SWITCHES,
    spawnUs: ((await timeMs(spawnJoin)) * 1000) / TASKS,
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
    await asyncio.gather(*[asyncio.create_task(trivial()) for _ in range(TASKS)])
def timed(f):
    ts = []
    for _ in range(RUNS):
        t0 = time.perf_counter(); asyncio.run(f()); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
print(sys.version.split()[0], timed(pingpong) * 1e6 / SWITCHES, timed(spawn_join) * 1e6 / TASKS)
`;

function benchCPython() {
  for (const env of [{ PYENV_VERSION: '3.13.0' }, {}]) {
    const r = spawnSync('python3', ['-c', PYTHON], { encoding: 'utf8', env: { ...process.env, ...env } });
    if (r.status === 0) {
      const [version, switchUs, spawnUs] = r.stdout.trim().split(' ');
      return { version, switchUs: Number(switchUs), spawnUs: Number(spawnUs) };
    }
  }
  return null;
}

const fmt = (us) => (us < 10 ? us.toFixed(3) : us.toFixed(1));
console.log(`wasyncio benchmarks: Node ${process.version}, medians of ${RUNS} runs\n`);
const wa = await benchWasyncio();
const node = await benchNode();
const py = benchCPython();
const ratio = (x) => (py ? `${(x / wa.switchUs).toFixed(1)}x` : '-');
console.log('| per operation | wasyncio | Node native | CPython asyncio | CPython / wasyncio |');
console.log('|---|---|---|---|---|');
console.log(`| switch: two tasks alternating sleep(0), ${SWITCHES.toLocaleString('en')} switches | ${fmt(wa.switchUs)} µs | ${fmt(node.switchUs)} µs | ${py ? fmt(py.switchUs) + ' µs' : 'n/a'} | ${py ? ratio(py.switchUs) : '-'} |`);
console.log(`| spawn + join one trivial task, ${TASKS.toLocaleString('en')} tasks | ${fmt(wa.spawnUs)} µs | ${fmt(node.spawnUs)} µs | ${py ? fmt(py.spawnUs) + ' µs' : 'n/a'} | ${py ? (py.spawnUs / wa.spawnUs).toFixed(1) + 'x' : '-'} |`);
if (py) console.log(`\n(CPython ${py.version}; its switch figure is from ${(200_000).toLocaleString('en')} switches.)`);
console.log(`\n${SLEEPERS.toLocaleString('en')} tasks sleeping 1 s at once:`);
for (const [label, s] of Object.entries(wa.sleepers)) {
  const sizes = label === 'default' ? '16 KiB stack + 4 KiB Asyncify buffer' : '4 KiB stack + 1 KiB Asyncify buffer';
  console.log(`  ${sizes}: wall ${s.wall.toFixed(0)} ms, wasm memory ${Math.round(s.bytesPerTask)} B per task`);
}
