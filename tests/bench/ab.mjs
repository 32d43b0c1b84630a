// A/B: this tree's test module against another tree's, interleaved in one
// process (the machines are noisy; alternating cancels most of the drift).
//   node tests/bench/ab.mjs <other tree> [rounds]
// The other tree must be built (its build/wasyncio_test.{mjs,wasm}); for an
// older commit: git worktree add /tmp/old <commit>, then build it there
// (emcmake cmake -S . -B build && cmake --build build --target wasyncio_test,
// with NODE_PATH=/usr/share/nodejs on Debian). Prints the medians and
// new/old per operation; compare the other tree with itself to see the noise.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [otherArg, roundsArg = '7'] = process.argv.slice(2);
if (!otherArg) {
  console.error('usage: node tests/bench/ab.mjs <other tree> [rounds]');
  process.exit(2);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function load(tree) {
  const entry = ['src/js/node.mjs', 'src/wasyncio.mjs'].map((p) => resolve(tree, p)).find(existsSync);
  if (!entry) throw new Error(`${tree}: no JS entry (src/js/node.mjs or src/wasyncio.mjs)`);
  const { createRuntime } = await import(pathToFileURL(entry).href);
  const build = new URL('build/', `${pathToFileURL(resolve(tree)).href}/`).href;
  const module = { factory: () => import(`${build}wasyncio_test.mjs`), wasm: new URL('wasyncio_test.wasm', build) };
  const rt = await createRuntime({ clock: 'real', module, print: () => {} });
  await rt.run('bench_pingpong', { switches: 10_000 }); // warm up
  return rt;
}

const rts = { old: await load(otherArg), new: await load(new URL('../..', import.meta.url).pathname) };
const cases = [
  ['switch', 'bench_pingpong', { switches: 500_000 }, 500_000],
  ['spawn + join', 'bench_spawn_join', { n: 100_000 }, 100_000],
  ['group', 'bench_group', { n: 100_000 }, 100_000],
  ['gather', 'bench_gather', { n: 100_000 }, 100_000],
  ['queue', 'bench_queue', { n: 100_000 }, 100_000],
];
// An older tree may lack a case's coroutine (bench_queue came later): skip it.
const shared = cases.filter(([, coroutine]) => rts.old.coroutines.includes(coroutine) && rts.new.coroutines.includes(coroutine));
const us = {};
for (let round = 0; round < Number(roundsArg); round++) {
  for (const [what, coroutine, args, n] of shared) {
    for (const side of round % 2 ? ['old', 'new'] : ['new', 'old']) {
      const t0 = performance.now();
      await rts[side].run(coroutine, args);
      ((us[what] ??= { old: [], new: [] })[side]).push(((performance.now() - t0) * 1000) / n);
    }
  }
}
for (const [what, { old, new: now }] of Object.entries(us)) {
  const o = median(old);
  const n = median(now);
  console.log(`${what}: other ${o.toFixed(3)} µs, this ${n.toFixed(3)} µs, this/other ${(n / o).toFixed(3)}`);
}
