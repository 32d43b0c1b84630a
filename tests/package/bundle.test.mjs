// The npm package through a bundler: the tarball installed into a fresh
// project outside the repository, bundled by esbuild for the browser (the
// `browser` export condition, the wasm as a file asset), and run in headless
// Chromium (Debian's, driven by playwright-core) on a page and in a module
// Web Worker. Needs the built module; npm test builds it first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { launchChromium } from '../chromium.mjs';
import { serve } from '../../scripts/serve.mjs';
import { WORKER_LINES, checkBuild, copyFixtures, packAndInstall, removeDir, tempDir } from './pack.mjs';

let dir, project, out, metafile, server, origin, browser;

before(async () => {
  checkBuild();
  dir = tempDir('bundle');
  ({ project } = await packAndInstall(dir));
  copyFixtures(project, ['bundle/main.js', 'bundle/worker.js', 'bundle/missing.js']);
  out = join(project, 'dist');
  const started = performance.now();
  const result = await build({
    absWorkingDir: project,
    entryPoints: ['main.js', 'worker.js', 'missing.js'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    loader: { '.wasm': 'file' },
    outdir: out,
    metafile: true,
    logLevel: 'silent',
  });
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.warnings, []);
  metafile = result.metafile;
  console.log(`# esbuild: ${Math.round(performance.now() - started)} ms`);
  copyFixtures(out, ['bundle/index.html', 'bundle/worker.html', 'bundle/missing.html']);
  let url;
  ({ server, url } = await serve(0, out));
  origin = new URL('/', url).href;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  removeDir(dir);
});

// Opens a page of dist/ and waits for window.result; fails on any page
// error, console error or failed request (but the requests whose URL
// `allowed` accepts: Chromium also logs those as console errors).
async function resultOf(file, allowed = () => false) {
  const page = await browser.newPage();
  const problems = [];
  const failedUrls = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && failedUrls.push(r.url()));
  page.on('requestfailed', (r) => failedUrls.push(r.url()));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console.error: ${m.text()}`));
  try {
    await page.goto(new URL(file, origin).href);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30000 });
    const result = await page.evaluate(() => window.result);
    const unexpected = failedUrls.filter((u) => !allowed(u));
    const loadErrors = failedUrls.length - unexpected.length;
    const reported = problems.filter((p) => /Failed to load resource/.test(p));
    assert.deepEqual(unexpected, [], `failed requests on ${file}`);
    assert.ok(reported.length <= loadErrors, `console errors about loads beyond the allowed ones: ${reported}`);
    assert.deepEqual(problems.filter((p) => !/Failed to load resource/.test(p)), [], `errors on ${file}`);
    return { result, failedUrls };
  } finally {
    await page.close();
  }
}

test('esbuild bundles the browser entry, not the Node one, and the bundles have no node: import', () => {
  const inputs = Object.keys(metafile.inputs);
  assert.ok(inputs.includes('node_modules/wasyncio/src/js/browser.mjs'), inputs.join('\n'));
  assert.ok(inputs.includes('node_modules/wasyncio/build/wasyncio.mjs'), 'the prebuilt glue is bundled');
  assert.ok(!inputs.some((f) => f.endsWith('/node.mjs')), `node.mjs is not bundled:\n${inputs.join('\n')}`);
  const files = readdirSync(out);
  const bundles = files.filter((f) => f.endsWith('.js'));
  assert.deepEqual(bundles.sort(), ['main.js', 'missing.js', 'worker.js']);
  for (const f of bundles) {
    const text = readFileSync(join(out, f), 'utf8');
    assert.ok(!text.includes('node:'), `${f} mentions node:`);
  }
  const wasms = files.filter((f) => f.endsWith('.wasm'));
  assert.equal(wasms.length, 1, `one wasm asset: ${files}`);
  assert.deepEqual(readFileSync(join(out, wasms[0])), readFileSync(join(project, 'node_modules/wasyncio/build/wasyncio.wasm')),
    'the asset is the package\'s wasm');
  assert.match(readFileSync(join(out, 'main.js'), 'utf8'), new RegExp(`"\\./${wasms[0].replace('.', '\\.')}"`), 'main.js refers to it');
  console.log(`# bundle: ${bundles.map((f) => `${f} ${readFileSync(join(out, f)).length} B`).join(', ')}; ${relative(out, join(out, wasms[0]))}`);
});

test('the bundle runs some_coro on a page, on the page\'s own timers', async () => {
  const { result: got } = await resultOf('index.html');
  assert.equal(got.error, undefined, got.error);
  assert.equal(got.result, 7);
  assert.deepEqual(got.lines, ['Completed coro with param: 7']);
  assert.ok(got.coroutines.includes('some_coro'), got.coroutines);
  assert.match(got.wasm, /^\.\/wasyncio-[\w-]+\.wasm$/, 'esbuild\'s file loader gives the asset\'s URL');
});

test('the bundle runs in a module Web Worker and posts its result back', async () => {
  const { result: got } = await resultOf('worker.html');
  assert.equal(got.error, undefined, got.error);
  assert.deepEqual(got, {
    result: 24,
    lines: WORKER_LINES,
    time: 3000,
    inWorker: true,
  });
});

test('bundled without {wasm}, createRuntime() rejects saying where the wasm was looked for and how to say where it is', async () => {
  // The request for the wasm fails, as it should.
  const { result: got, failedUrls } = await resultOf('missing.html', (url) => url.endsWith('/wasyncio.wasm'));
  assert.equal(failedUrls.length, 1, `the wasm was asked for once: ${failedUrls}`);
  assert.ok(got.error?.includes(failedUrls[0]), `the error names the URL ${failedUrls[0]}: ${got.error}`);
  assert.equal(got.created, undefined, 'createRuntime() must not succeed without a wasm');
  assert.match(got.error, /^wasyncio: cannot load the wasm from http:\/\/127\.0\.0\.1:\d+\/\S*wasyncio\.wasm: HTTP 404 /);
  assert.ok(got.error.includes('say where it is with createRuntime({wasm})'), got.error);
});
