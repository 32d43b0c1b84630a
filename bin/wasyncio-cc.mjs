#!/usr/bin/env node
// wasyncio-cc: builds a wasyncio module (<out>.mjs + <out>.wasm) of the
// runtime plus your C coroutines, with the sources, exports and flags the
// package's own module uses (src/module.json, which CMake reads too).
//
//   npx wasyncio-cc my_coros.c -o build/my_module
//
// The runtime's objects are compiled once per emcc, flags and package
// version, and kept in <out's folder>/.wasyncio-cc/.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = `usage: wasyncio-cc <file.c>... -o <out> [options] [-- <more emcc flags>]

Builds <out>.mjs and <out>.wasm: the wasyncio runtime plus the coroutines in
the .c files (each exported with WA_EXPORT_COROUTINE from "wasyncio.h").
Load it with createRuntime({ module: { factory: () => import('./<out>.mjs'),
wasm: new URL('./<out>.wasm', import.meta.url) } }).

options:
  -o <out>        output path without extension (required)
  -O0..-O3, -Os   optimisation (default -O2)
  -g              debug information
  -I<dir>, -D<name>[=value]
                  passed to the compiler for your files
  --notebook      also link the package's demo coroutines (some_coro, ...)
  --asyncify-add=f,g
                  your functions that call a suspending function through a
                  pointer: Asyncify instruments them too (it ignores indirect
                  calls otherwise; wasyncio-asyncify-check finds the ones
                  missing in a module built with -- --profiling-funcs)
  -h, --help      this text

Needs Emscripten (emcc) on the PATH, or its path in EMCC.`;

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const manifest = JSON.parse(readFileSync(join(SRC, 'module.json'), 'utf8'));

function fail(message) {
  console.error(`wasyncio-cc: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { files: [], out: null, opt: '-O2', debug: false, user: [], extra: [], notebook: false, asyncifyAdd: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { opts.extra = argv.slice(i + 1); break; }
    if (a === '-h' || a === '--help') { console.log(USAGE); process.exit(0); }
    if (a === '-o') {
      if (i + 1 >= argv.length) fail('-o needs a path');
      opts.out = argv[++i];
    } else if (/^-O[0-3sz]$/.test(a)) opts.opt = a;
    else if (a === '-g') opts.debug = true;
    else if (a === '--notebook') opts.notebook = true;
    else if (a.startsWith('--asyncify-add=')) {
      const names = a.slice('--asyncify-add='.length).split(',');
      if (names.some((n) => !/^[A-Za-z_][A-Za-z0-9_.$]*$/.test(n))) fail(`${a}: give C function names, separated by commas`);
      opts.asyncifyAdd.push(...names);
    }
    else if (/^-[ID]./.test(a)) opts.user.push(a);
    else if (a === '-I' || a === '-D') {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      opts.user.push(a + argv[++i]);
    } else if (a.startsWith('-')) fail(`unknown option ${a} (emcc's own flags go after --)\n\n${USAGE}`);
    else if (/\.c$/.test(a)) opts.files.push(a);
    else fail(`${a} is not a .c file`);
  }
  if (!opts.files.length) fail(`no .c file given\n\n${USAGE}`);
  if (!opts.out) fail(`no output given (-o <out>)\n\n${USAGE}`);
  for (const f of opts.files) if (!existsSync(f)) fail(`${f}: no such file`);
  opts.out = resolve(opts.out.replace(/\.(mjs|wasm|js)$/, ''));
  return opts;
}

function findEmcc() {
  const emcc = process.env.EMCC || 'emcc';
  const r = spawnSync(emcc, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    fail(`cannot run ${emcc} (Emscripten): ${r.error?.code === 'ENOENT' ? 'not found' : (r.stderr || r.error?.message || '').trim()}.\n` +
      'Install Emscripten (Debian/Ubuntu: apt-get install emscripten) and put emcc on the PATH, or set EMCC to its path.');
  }
  return { emcc, version: r.stdout.split('\n')[0] };
}

// Debian's emcc runs its JS optimiser with a Node that cannot find Debian's
// acorn unless NODE_PATH says where it lives.
function emccEnv() {
  const env = { ...process.env };
  if (existsSync('/usr/share/nodejs/acorn')) {
    env.NODE_PATH = ['/usr/share/nodejs', env.NODE_PATH].filter(Boolean).join(':');
  }
  return env;
}

function run(cmd, args, env) {
  return new Promise((done, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? done() : reject(new Error(`${basename(cmd)} exited with ${code}`))));
  });
}

// Runs the jobs, `limit` at a time.
async function pool(jobs, limit) {
  const queue = [...jobs];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    while (queue.length) await queue.shift()();
  });
  await Promise.all(workers);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { emcc, version } = findEmcc();
  const env = emccEnv();
  const includes = manifest.include.map((dir) => `-I${join(SRC, dir)}`);
  const cflags = [...manifest.compile, opts.opt, ...(opts.debug ? ['-g'] : []), ...includes];
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const runtime = [...manifest.runtime, ...(opts.notebook ? manifest.product : [])];

  // The runtime's objects depend only on emcc, the flags and the sources.
  const key = createHash('sha256').update(JSON.stringify([version, pkg.version, cflags, runtime,
    runtime.map((f) => readFileSync(join(SRC, f), 'utf8')), readFileSync(join(SRC, 'wasyncio.h'), 'utf8')]))
    .digest('hex').slice(0, 16);
  const cache = join(dirname(opts.out), '.wasyncio-cc', key);
  const work = join(dirname(opts.out), '.wasyncio-cc', `user-${basename(opts.out)}`);
  mkdirSync(cache, { recursive: true });
  mkdirSync(work, { recursive: true });

  const objects = [];
  const jobs = [];
  for (const f of runtime) {
    const obj = join(cache, f.replace(/[/\\]/g, '_').replace(/\.c$/, '.o'));
    objects.push(obj);
    if (!existsSync(obj)) {
      jobs.push(async () => {
        await run(emcc, [...cflags, '-c', join(SRC, f), '-o', `${obj}.tmp`], env);
        renameSync(`${obj}.tmp`, obj); // a build cut short leaves no half object
      });
    }
  }
  opts.files.forEach((f, i) => {
    const obj = join(work, `${i}_${basename(f).replace(/\.c$/, '.o')}`);
    objects.push(obj);
    jobs.push(() => run(emcc, [...cflags, ...opts.user, '-c', resolve(f), '-o', obj], env));
  });
  await pool(jobs, Math.max(1, availableParallelism()));

  mkdirSync(dirname(opts.out), { recursive: true });
  await run(emcc, [
    ...objects, opts.opt, ...(opts.debug ? ['-g'] : []), ...manifest.link,
    `-sASYNCIFY_ADD=${[...manifest.asyncifyAdd, ...opts.asyncifyAdd].join(',')}`,
    `-sEXPORTED_FUNCTIONS=${manifest.exports.join(',')}`,
    `-sEXPORTED_RUNTIME_METHODS=${manifest.runtimeMethods.join(',')}`,
    '--js-library', join(SRC, manifest.jsLibrary), '--post-js', join(SRC, manifest.postJs),
    ...opts.extra, '-o', `${opts.out}.mjs`,
  ], env);
  console.log(`wasyncio-cc: built ${opts.out}.mjs and ${opts.out}.wasm`);
}

main().catch((error) => fail(error.message));
