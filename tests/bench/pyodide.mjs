// One Pyodide measurement in a process of its own (bench.mjs runs it):
//   node tests/bench/pyodide.mjs <switch|spawn|group|gather|queue|sleepers> <n> [ms]
// prints µs per operation, or for sleepers "<wall ms> <wasm bytes grown per
// task>". Pyodide's asyncio runs on its WebLoop, on Node's timers. Pyodide
// comes from npm into build/bench-deps (scripts/bench.sh installs it); a
// process of its own, because Node 20's V8 sometimes dies in its code
// ("unreachable code" in the deoptimizer), which must cost one figure only.
const { loadPyodide } = await import(new URL('../../build/bench-deps/node_modules/pyodide/pyodide.mjs', import.meta.url));
const [what, nText, msText = '1000'] = process.argv.slice(2);
const n = Number(nText);
const py = await loadPyodide();
const CODE = {
  switch: `
async def side(k):
    for _ in range(k): await asyncio.sleep(0)
await asyncio.gather(side(N // 2), side(N // 2))`,
  spawn: `
async def trivial(): return 1
tasks = [asyncio.create_task(trivial()) for _ in range(N)]
for t in tasks: await t`,
  group: `
async def trivial(): return 1
async with asyncio.TaskGroup() as tg:
    for _ in range(N): tg.create_task(trivial())`,
  gather: `
async def trivial(): return 1
await asyncio.gather(*[asyncio.create_task(trivial()) for _ in range(N)])`,
  queue: `
q = asyncio.Queue(1)
async def producer():
    for i in range(N): await q.put(i)
async def consumer():
    for i in range(N): await q.get()
await asyncio.gather(producer(), consumer())`,
  sleepers: `
tasks = [asyncio.create_task(asyncio.sleep(MS / 1000)) for _ in range(N)]
await asyncio.sleep(0)
grown = memory() - before
await asyncio.gather(*tasks)`,
};
if (!CODE[what]) throw new Error(`unknown measurement ${what}`);
const heap = () => py._module.HEAP8.length;
py.globals.set('memory', heap);
await py.runPythonAsync(`import asyncio\nN, MS = ${n}, ${Number(msText)}\nbefore = 0`);
if (what !== 'sleepers') await py.runPythonAsync(CODE[what].replaceAll('N', '1000')); // warm up
py.globals.set('before', heap());
const t0 = performance.now();
await py.runPythonAsync(CODE[what]);
const ms = performance.now() - t0;
console.log(what === 'sleepers' ? `${ms} ${py.globals.get('grown') / n}` : `${(ms * 1000) / n}`);
