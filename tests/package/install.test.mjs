// The npm package as a new user gets it: `npm pack`, installed into a fresh
// project outside the repository with no registry, then used from Node
// (ESM, require, a worker thread), from TypeScript, and to build the user's
// own C coroutines (wasyncio-cc and CMake). Needs the built module
// (build/wasyncio.{mjs,wasm}); npm test builds it first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  REPO, WORKER_LINES, bareBin, checkBuild, cleanEnv, copyFixtures, finds, packAndInstall, removeDir, run, said, tempDir, writeFile,
} from './pack.mjs';

let dir; // the temporary folder: tarball, project/, bare-bin/
let pack; // what packAndInstall gave
let project; // the user's project, with node_modules/wasyncio installed
let bare; // a PATH with node and sh only
let installed; // project/node_modules/wasyncio

const repoVersion = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version;
const bareEnv = () => cleanEnv({ PATH: bare });

before(async () => {
  checkBuild();
  dir = tempDir('install');
  pack = await packAndInstall(dir);
  project = pack.project;
  installed = join(project, 'node_modules/wasyncio');
  bare = bareBin(dir);
  copyFixtures(project, [
    'my.c', 'dispatch.c', 'CMakeLists.txt', 'esm.mjs', 'cjs.cjs', 'resolve.mjs', 'worker-main.mjs', 'worker.mjs', 'run-module.mjs',
  ]);
});

after(() => removeDir(dir));

test('the tarball holds the module, sources, bin, CMake config and docs, and none of the repository\'s own files', (t) => {
  const files = execFileSync('tar', ['tzf', pack.tarball], { encoding: 'utf8' })
    .split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
  for (const f of [
    'build/wasyncio.mjs', 'build/wasyncio.wasm', 'src/wasyncio.h', 'src/module.json', 'src/js/node.mjs',
    'src/js/browser.mjs', 'src/js/runtime.mjs', 'src/js/wasyncio.d.mts', 'bin/wasyncio-cc.mjs', 'bin/wasyncio-asyncify-check.mjs',
    'cmake/wasyncioConfig.cmake', 'LICENSE', 'README.md', 'package.json',
  ]) {
    assert.ok(files.includes(f), `${f} in the tarball:\n${files.join('\n')}`);
  }
  const unwanted = files.filter((f) => /^(tests|web|scripts|build-[^/]*|node_modules|\.git|\.ci)\//.test(f) ||
    (f.startsWith('build/') && /test|small|CMake|Makefile|\.log$/.test(f)) || f === 'src/js/asan.js');
  assert.deepEqual(unwanted, [], 'files of the repository that users do not need');
  const kb = (pack.size / 1024).toFixed(1);
  t.diagnostic(`tarball ${pack.info.filename}: ${pack.size} bytes (${kb} KiB), ${files.length} files, unpacked ${pack.info.unpackedSize} bytes; npm pack ${pack.packMs} ms`);
  console.log(`# tarball size: ${pack.size} bytes (${kb} KiB), ${files.length} files`);
});

test('npm installs the tarball into a new project with no registry, linking wasyncio-cc', (t) => {
  assert.equal(pack.pkg.name, 'wasyncio');
  assert.equal(pack.pkg.version, repoVersion);
  assert.ok(existsSync(join(installed, 'build/wasyncio.wasm')), 'the prebuilt wasm is installed');
  assert.ok(!existsSync(join(installed, 'scripts')), 'no scripts/ installed (prepare cannot run from the tarball)');
  assert.ok(statSync(join(project, 'node_modules/.bin/wasyncio-cc')).isFile(), 'node_modules/.bin/wasyncio-cc');
  const deps = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).dependencies;
  assert.match(deps?.wasyncio ?? '', /wasyncio-.*\.tgz$/, 'the project depends on the tarball');
  t.diagnostic(`npm install of the tarball: ${pack.installMs} ms`);
  const warnings = pack.install.stderr.trim();
  if (warnings) t.diagnostic(`npm install warned:\n${warnings}`);
  console.log(`# install time: ${pack.installMs} ms`);
});

test('the PATH the next tests run with has node but no emcc, emcmake, cmake or npm', () => {
  assert.ok(finds(bare, 'node'), 'node is found');
  for (const cmd of ['emcc', 'emcmake', 'cmake', 'npm']) assert.ok(!finds(bare, cmd), `${cmd} is not found`);
  assert.ok(finds(process.env.PATH, 'node'), 'sanity: finds() finds what is there');
});

test('ESM: import { createRuntime } from \'wasyncio\' runs some_coro with no emcc and no flags', async () => {
  const r = await run('node', ['esm.mjs'], { cwd: project, env: bareEnv() });
  assert.equal(r.status, 0, said(r));
  assert.equal(r.stdout, 'Completed coro with param: 7\n7\n');
  assert.equal(r.stderr, '');
});

test('CommonJS: require(\'wasyncio\') gives createRuntime and CancelledError that work', async () => {
  const r = await run('node', ['cjs.cjs'], { cwd: project, env: bareEnv() });
  assert.equal(r.status, 0, said(r));
  assert.deepEqual(JSON.parse(r.stdout), {
    result: 5,
    lines: ['Cancelled coro with param: 6', 'Completed coro with param: 5'],
    cancelledError: 'function',
    caughtIsCancelledError: true,
    message: 'enough',
  });
  // Node may warn that require() loads an ES module; nothing else.
  const rest = r.stderr.split('\n').filter((l) => l && !/ExperimentalWarning|--trace-warnings/.test(l));
  assert.deepEqual(rest, [], r.stderr);
});

test('the package\'s version and wasm resolve from the project (import and require)', async () => {
  const r = await run('node', ['resolve.mjs'], { cwd: project, env: bareEnv() });
  assert.equal(r.status, 0, said(r));
  const got = JSON.parse(r.stdout);
  assert.equal(got.version, repoVersion);
  assert.equal(got.requiredVersion, repoVersion);
  assert.equal(got.main, pathToFileURL(join(installed, 'src/js/node.mjs')).href, 'Node takes the node entry');
  assert.equal(got.requiredMain, join(installed, 'src/js/node.mjs'));
  const wasm = fileURLToPath(got.wasm);
  assert.equal(got.requiredWasm, wasm);
  assert.equal(wasm, join(installed, 'build/wasyncio.wasm'));
  assert.deepEqual([...readFileSync(wasm).subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'a wasm file (\\0asm)');
});

// The specifiers a module imports: static import/export ... from, bare
// imports, and import('...') with a literal.
function specifiers(text) {
  const statics = /(?:^|[\n;])\s*(?:import|export)\s+(?:[^'";]*?\bfrom\s*)?['"]([^'"\n]+)['"]/g;
  const dynamics = /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g;
  return [...text.matchAll(statics), ...text.matchAll(dynamics)].map((m) => m[1]);
}

// Every file reachable from entry through relative specifiers, with the
// specifiers each imports.
function moduleGraph(entry) {
  const graph = new Map();
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift();
    if (graph.has(file)) continue;
    const specs = specifiers(readFileSync(file, 'utf8'));
    graph.set(file, specs);
    for (const spec of specs.filter((s) => s.startsWith('.'))) {
      const target = fileURLToPath(new URL(spec, pathToFileURL(file)));
      assert.ok(existsSync(target), `${relative(installed, file)} imports ${spec}, which is not in the package`);
      queue.push(target);
    }
  }
  return graph;
}

test('bundlers\' browser condition gives browser.mjs, whose whole import graph has no node: import', async () => {
  const r = await run('node', ['--conditions=browser', '--input-type=module', '-e', 'console.log(import.meta.resolve(\'wasyncio\'))'],
    { cwd: project, env: bareEnv() });
  assert.equal(r.status, 0, said(r));
  const entry = fileURLToPath(r.stdout.trim());
  assert.equal(entry, join(installed, 'src/js/browser.mjs'));
  assert.equal(pack.pkg.exports['.'].default, './src/js/browser.mjs', 'other hosts (workers, Deno, bundlers) get it too');

  const graph = moduleGraph(entry);
  const files = [...graph.keys()].map((f) => relative(installed, f)).sort();
  for (const f of ['src/js/browser.mjs', 'src/js/runtime.mjs', 'src/js/errors.mjs', 'src/js/task.mjs', 'src/js/jstask.mjs', 'build/wasyncio.mjs']) {
    assert.ok(files.includes(f), `${f} is reached from browser.mjs (${files.join(', ')})`);
  }
  assert.ok(!files.includes('src/js/node.mjs'), 'node.mjs is not reached');
  const outside = [...graph].flatMap(([file, specs]) => specs.filter((s) => !s.startsWith('.')).map((s) => `${relative(installed, file)}: ${s}`));
  assert.deepEqual(outside, [], 'non-relative imports (node: builtins or dependencies) in the browser graph');

  // The scan sees node: imports where there are some.
  const nodeSpecs = moduleGraph(join(installed, 'src/js/node.mjs')).get(join(installed, 'src/js/node.mjs'));
  assert.ok(nodeSpecs.includes('node:fs/promises'), `node.mjs imports node:fs/promises (${nodeSpecs})`);
});

test('a worker thread in the project runs its own runtime and posts the result back', async () => {
  const r = await run('node', ['worker-main.mjs'], { cwd: project, env: bareEnv() });
  assert.equal(r.status, 0, said(r));
  assert.deepEqual(JSON.parse(r.stdout), {
    isMainThread: false,
    result: 24,
    lines: WORKER_LINES,
    time: 3000,
  });
});

test('TypeScript: a strict tsc accepts the typed usage against the installed declarations, and refuses wrong calls', async (t) => {
  const ts = join(project, 'ts');
  mkdirSync(ts);
  for (const f of ['usage.ts', 'tsconfig.json']) copyFileSync(join(REPO, 'tests/js/types', f), join(ts, f));
  copyFixtures(ts, ['bad.ts', 'tsconfig.bad.json']);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const good = await run(process.execPath, [tsc, '-p', join(ts, 'tsconfig.json'), '--listFiles'], { cwd: ts });
  assert.equal(good.status, 0, said(good));
  // The declarations checked are the installed package's.
  assert.ok(good.stdout.split('\n').includes(join(installed, 'src/js/wasyncio.d.mts')), good.stdout);

  const bad = await run(process.execPath, [tsc, '-p', join(ts, 'tsconfig.bad.json')], { cwd: ts });
  assert.notEqual(bad.status, 0, `tsc accepted bad.ts:\n${said(bad)}`);
  const errors = bad.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
  assert.equal(errors.length, 2, bad.stdout);
  assert.match(errors[0], /^bad\.ts\(6,/, 'rt.createTask(42)');
  assert.match(errors[1], /^bad\.ts\(7,.*'"fast"'/, "clock: 'fast'");
  t.diagnostic(`tsc: ${good.ms} ms`);
});

test('wasyncio-cc without arguments, with a missing file, or without emcc says what is wrong', async () => {
  const cc = join(project, 'node_modules/.bin/wasyncio-cc');
  const none = await run(cc, [], { cwd: project, env: bareEnv() });
  assert.equal(none.status, 2, said(none));
  assert.match(none.stderr, /no \.c file given/);
  assert.match(none.stderr, /usage: wasyncio-cc <file\.c>\.\.\. -o <out>/);

  const missing = await run(cc, ['nothere.c', '-o', 'build/x'], { cwd: project, env: bareEnv() });
  assert.equal(missing.status, 2, said(missing));
  assert.match(missing.stderr, /nothere\.c: no such file/);

  const noEmcc = await run(cc, ['my.c', '-o', 'build/x'], { cwd: project, env: bareEnv() });
  assert.equal(noEmcc.status, 2, said(noEmcc));
  assert.match(noEmcc.stderr, /cannot run emcc \(Emscripten\): not found/);
  assert.match(noEmcc.stderr, /apt-get install emscripten/);

  const badEmcc = await run(cc, ['my.c', '-o', 'build/x'], { cwd: project, env: cleanEnv({ EMCC: '/nonexistent' }) });
  assert.equal(badEmcc.status, 2, said(badEmcc));
  assert.match(badEmcc.stderr, /cannot run \/nonexistent \(Emscripten\): not found/);
  assert.match(badEmcc.stderr, /Install Emscripten \(Debian\/Ubuntu: apt-get install emscripten\)/);
  assert.match(badEmcc.stderr, /set EMCC to its path/);
  assert.ok(!existsSync(join(project, 'build/x.mjs')), 'nothing built');
});

// The .o files of the runtime wasyncio-cc keeps, with their mtimes.
function cachedObjects(out) {
  const cache = join(project, dirname(out), '.wasyncio-cc');
  const objects = {};
  for (const key of existsSync(cache) ? readdirSync(cache).filter((d) => !d.startsWith('user-')) : []) {
    for (const f of readdirSync(join(cache, key))) objects[`${key}/${f}`] = statSync(join(cache, key, f)).mtimeMs;
  }
  return objects;
}

test('npx wasyncio-cc builds the user\'s coroutine outside the repository; the module runs it, without the notebook', async (t) => {
  const cold = await run('npx', ['wasyncio-cc', 'my.c', '-o', 'build/my'], { cwd: project, timeout: 300000 });
  assert.equal(cold.status, 0, said(cold));
  assert.match(cold.stdout, /wasyncio-cc: built .*\/build\/my\.mjs and .*\/build\/my\.wasm/);
  t.diagnostic(`wasyncio-cc, cold (runtime compiled): ${cold.ms} ms`);
  console.log(`# wasyncio-cc build time, cold: ${cold.ms} ms`);

  const r = await run('node', ['run-module.mjs', 'build/my'], { cwd: project, env: bareEnv() });
  assert.equal(r.status, 0, said(r));
  const got = JSON.parse(r.stdout);
  assert.ok(got.coroutines.includes('scale_later'), `scale_later in ${got.coroutines}`);
  assert.ok(!got.coroutines.includes('some_coro'), `the notebook is not linked without --notebook: ${got.coroutines}`);
  assert.deepEqual(got.parameters, [{ name: 'n', type: 'number', optional: false }, { name: 'ms', type: 'number', optional: false }]);
  assert.equal(got.result, 42);
  assert.deepEqual(got.lines, ['scaled 21 by 2']);
  assert.equal(got.time, 5000);

  // Again with a -D: the runtime's objects come from the cache untouched.
  const objects = cachedObjects('build/my');
  assert.ok(Object.keys(objects).length >= 10, `runtime objects cached: ${Object.keys(objects)}`);
  const cached = await run('npx', ['wasyncio-cc', 'my.c', '-DFACTOR=3', '-o', 'build/my3'], { cwd: project, timeout: 300000 });
  assert.equal(cached.status, 0, said(cached));
  assert.deepEqual(cachedObjects('build/my3'), objects, 'no runtime object rebuilt');
  const r3 = await run('node', ['run-module.mjs', 'build/my3'], { cwd: project, env: bareEnv() });
  assert.equal(r3.status, 0, said(r3));
  assert.equal(JSON.parse(r3.stdout).result, 63, '-DFACTOR=3 reached my.c');
  t.diagnostic(`wasyncio-cc, cached runtime: ${cached.ms} ms`);
  console.log(`# wasyncio-cc build time, cached: ${cached.ms} ms`);
});

test('wasyncio-asyncify-check names the functions a module must add to ASYNCIFY_ADD; with them added the coroutine runs', async () => {
  // dispatch.c reaches its sleeps through a table of function pointers.
  const check = (wasm) => run('npx', ['wasyncio-asyncify-check', wasm], { cwd: project });
  const build = (out, add) => run('npx', ['wasyncio-cc', 'dispatch.c', ...(add.length ? [`--asyncify-add=${add}`] : []),
    '-o', out, '--', '--profiling-funcs'], { cwd: project, timeout: 300000 });
  // The workflow the check's messages give: add what it names, build, check again.
  const added = [];
  let result, out;
  for (let round = 0; ; round++) {
    out = `build/dispatch${round}`;
    const built = await build(out, added);
    assert.equal(built.status, 0, said(built));
    result = await check(`${out}.wasm`);
    const named = [...result.stdout.matchAll(/^(\w+): .*; add it to ASYNCIFY_ADD \(wasyncio-cc --asyncify-add=\1\)$/gm)].map((m) => m[1]);
    if (round === 0) {
      assert.equal(result.status, 1, said(result));
      assert.ok(named.length, `the check names what is missing:\n${result.stdout}`);
      assert.match(result.stdout, /^(run_naps|dispatch): calls through a pointer of the type of nap, nap_twice, which can suspend;/m);
    }
    if (result.status === 0) break;
    assert.equal(result.status, 1, said(result));
    for (const name of named) assert.ok(['run_naps', 'dispatch'].includes(name), `only dispatch.c's own functions are named:\n${result.stdout}`);
    added.push(...named);
    assert.ok(round < 2, `still missing after ${round + 1} rounds:\n${result.stdout}`);
  }
  assert.match(result.stdout, /^\d+ of \d+ functions instrumented; 0 missing$/m);
  const r = await run('node', ['run-module.mjs', out, 'dispatch', '{"n": 3, "ms": 100}'],
    { cwd: project, env: bareEnv() });
  assert.equal(r.status, 0, said(r));
  const got = JSON.parse(r.stdout);
  assert.equal(got.result, 400, 'three naps of 100 ms, the middle one twice');
  assert.deepEqual(got.lines, ['napped until 400']);

  const bad = await run('npx', ['wasyncio-cc', 'dispatch.c', '--asyncify-add=run naps', '-o', 'build/x'], { cwd: project });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--asyncify-add=run naps: give C function names, separated by commas/);
  const unnamed = await check(join(installed, 'build/wasyncio.wasm'));
  assert.equal(unnamed.status, 2);
  assert.match(unnamed.stderr, /the module has no function names: link it with --profiling-funcs \(or -g\)/);
});

// The find_package() call cmake/wasyncioConfig.cmake tells users to write.
function documentedFindPackage() {
  const config = readFileSync(join(installed, 'cmake/wasyncioConfig.cmake'), 'utf8');
  const comment = config.split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/^#\s?/, '')).join('\n');
  const call = /find_package\(\s*wasyncio\b[^)]*\)/.exec(comment)?.[0];
  assert.ok(call, `cmake/wasyncioConfig.cmake documents a find_package(wasyncio ...) call:\n${comment}`);
  return call;
}

test('the find_package() call documented in cmake/wasyncioConfig.cmake finds the package under emcmake', async () => {
  const doc = join(project, 'doc-cmake');
  mkdirSync(doc);
  symlinkSync(join(project, 'node_modules'), join(doc, 'node_modules')); // a project root with the package installed
  copyFixtures(doc, ['my.c']);
  writeFile(join(doc, 'CMakeLists.txt'),
    `cmake_minimum_required(VERSION 3.21)\nproject(doc C)\n${documentedFindPackage()}\nwa_add_module(doc my.c)\n`);
  const r = await run('emcmake', ['cmake', '-S', '.', '-B', 'build'], { cwd: doc });
  assert.equal(r.status, 0, `configuring a project with the documented\n  ${documentedFindPackage()}\nfailed: Emscripten's toolchain file sets CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY, which re-roots PATHS under its sysroot unless the call says NO_CMAKE_FIND_ROOT_PATH\n${said(r)}`);
});

test('CMake from outside: find_package(wasyncio) + wa_add_module builds a module that runs the user\'s coroutine', async (t) => {
  const env = cleanEnv(); // no NODE_PATH: the config file sees to it
  const configure = await run('emcmake', ['cmake', '-S', '.', '-B', 'build-cmake'], { cwd: project, env });
  assert.equal(configure.status, 0, said(configure));
  const build = await run('cmake', ['--build', 'build-cmake', '--parallel', '2'], { cwd: project, env, timeout: 300000 });
  assert.equal(build.status, 0, said(build));
  assert.ok(existsSync(join(project, 'build-cmake/mycm.wasm')), 'build-cmake/mycm.wasm');
  t.diagnostic(`CMake configure ${configure.ms} ms, build ${build.ms} ms`);
  console.log(`# CMake build time: configure ${configure.ms} ms + build ${build.ms} ms`);

  const r = await run('node', ['run-module.mjs', 'build-cmake/mycm'], { cwd: project, env: bareEnv() });
  assert.equal(r.status, 0, `the module CMake built (configured with no CMAKE_BUILD_TYPE, so linked at -O0, where emcc defaults to -sASSERTIONS=1 and the ENVIRONMENT=web glue then refuses Node) does not load in Node:\n${said(r)}`);
  const got = JSON.parse(r.stdout);
  assert.ok(got.coroutines.includes('scale_later'), `scale_later in ${got.coroutines}`);
  assert.ok(!got.coroutines.includes('some_coro'), `the notebook is not linked: ${got.coroutines}`);
  assert.equal(got.result, 42);
  assert.deepEqual(got.lines, ['scaled 21 by 2']);
});

test('scripts/prepare.mjs without emcc and cmake, and no build, fails naming both and the npm tarball', async () => {
  const clone = join(dir, 'clone');
  mkdirSync(join(clone, 'scripts'), { recursive: true });
  copyFileSync(join(REPO, 'scripts/prepare.mjs'), join(clone, 'scripts/prepare.mjs'));
  const r = await run('node', ['scripts/prepare.mjs'], { cwd: clone, env: bareEnv() });
  assert.equal(r.status, 1, said(r));
  assert.match(r.stderr, /needs emcc and cmake, missing here/);
  assert.match(r.stderr, /apt-get install emscripten cmake/);
  assert.match(r.stderr, /install the npm tarball/);
  assert.match(r.stderr, /WASYNCIO_SKIP_PREPARE=1/);

  const skipped = await run('node', ['scripts/prepare.mjs'], { cwd: clone, env: cleanEnv({ PATH: bare, WASYNCIO_SKIP_PREPARE: '1' }) });
  assert.equal(skipped.status, 0, said(skipped));
  // With the module already built (as in the tarball), it has nothing to do.
  mkdirSync(join(clone, 'build'));
  writeFile(join(clone, 'build/wasyncio.mjs'), '');
  writeFile(join(clone, 'build/wasyncio.wasm'), '');
  const built = await run('node', ['scripts/prepare.mjs'], { cwd: clone, env: bareEnv() });
  assert.equal(built.status, 0, said(built));
  assert.equal(built.stderr, '');
});
