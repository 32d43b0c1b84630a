// Shared by the package tests: packs the repository the way `npm publish`
// would, installs the tarball into a fresh project outside the repository,
// and runs commands there with a clean environment.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** What the worker fixtures (a worker thread, a Web Worker) print: the
    notebook's factorial(4) as task W. */
export const WORKER_LINES = [
  'Task W: Compute factorial(4), currently i=2...',
  'Task W: Compute factorial(4), currently i=3...',
  'Task W: Compute factorial(4), currently i=4...',
  'Task W: factorial(4) = 24',
];

/** The module the tarball ships must have been built (npm test builds it). */
export function checkBuild() {
  const missing = ['build/wasyncio.mjs', 'build/wasyncio.wasm'].filter((f) => !existsSync(join(REPO, f)));
  if (missing.length) {
    throw new Error(`${missing.join(' and ')} missing: the package tests pack the built module; run \`npm run build\` (or \`npm test\`) first`);
  }
}

/** The environment of a child: this one without what the test runner, npm
    or a caller set for Node, so the child sees what a user's shell would. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || ['NODE_TEST_CONTEXT', 'NODE_OPTIONS', 'NODE_PATH', 'NODE_CHANNEL_FD', 'EMCC'].includes(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command; resolves with {status, stdout, stderr, ms}. */
export function run(cmd, args, { cwd, env = cleanEnv(), timeout = 180000, input } = {}) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    if (input !== undefined) child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: Math.round(performance.now() - start) });
    });
  });
}

/** What a failed command said, for assertion messages. */
export const said = (r) => `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** A fresh temporary folder outside the repository. */
export const tempDir = (prefix) => mkdtempSync(join(tmpdir(), `wasyncio-${prefix}-`));

export const removeDir = (dir) => dir && rmSync(dir, { recursive: true, force: true });

/**
 * Packs the repository into dir (npm pack --ignore-scripts: the build is
 * already there) and installs the tarball into dir/project, a new npm
 * project, with no registry. Resolves with what each step took.
 */
export async function packAndInstall(dir) {
  checkBuild();
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${said(pack)}`);
  const [info] = JSON.parse(pack.stdout);
  const tarball = join(dir, info.filename);
  const project = join(dir, 'project');
  mkdirSync(project);
  const init = await run('npm', ['init', '-y'], { cwd: project });
  if (init.status !== 0) throw new Error(`npm init failed: ${said(init)}`);
  // --offline and a registry nobody answers on: the package has no
  // dependencies, so nothing may be fetched.
  const install = await run('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund',
    '--registry', 'http://127.0.0.1:9/'], { cwd: project });
  if (install.status !== 0) throw new Error(`npm install of the tarball failed: ${said(install)}`);
  return {
    tarball, project, info, install,
    size: statSync(tarball).size, packMs: pack.ms, installMs: install.ms,
    pkg: JSON.parse(readFileSync(join(project, 'node_modules/wasyncio/package.json'), 'utf8')),
  };
}

/** Copies fixture files (names relative to fixtures/) into dir. */
export function copyFixtures(dir, names) {
  for (const name of names) cpSync(join(FIXTURES, name), join(dir, name.split('/').pop()), { recursive: true });
}

/** A bin folder holding only `node` and `sh`: a PATH without Emscripten,
    CMake or npm, as on a machine that only has Node (see finds()). */
export function bareBin(dir) {
  const bin = join(dir, 'bare-bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  return bin;
}

/** Whether sh finds cmd through the PATH `path`. */
export const finds = (path, cmd) => spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { env: { PATH: path } }).status === 0;

export function writeFile(path, text) {
  writeFileSync(path, text);
  return path;
}
