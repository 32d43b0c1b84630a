// fetch_all (src/coroutines/fetch.c): C tasks fetching resources through a
// host function, at most `limit` at a time (a Semaphore), each result on a
// Queue for a consumer task, in a task group under a timeout. In Node the
// host function reads the page's own files (web/), as the page fetches them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { ExceptionGroup, TimeoutError } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';
import { collectTasks } from '../gc.mjs';

const WEB = new URL('../../web/', import.meta.url);

/** After a run: no task pending, no call in flight, and once the JS
 *  handles are collected, as many tasks in memory as before it. */
async function assertNothingLeft(rt, before) {
  await collectTasks(rt, before);
  const { tasks, pending, hostCalls } = rt.stats();
  assert.deepEqual({ tasks, pending, hostCalls }, { tasks: before, pending: 0, hostCalls: 0 });
}

/** The line the consumer prints for a file of web/, as fetch.c writes it:
 *  its size in bytes and its first line, cut at 60 bytes. */
function got(url) {
  const bytes = readFileSync(new URL(url, WEB));
  const end = bytes.findIndex((b) => b === 0x0a || b === 0x0d || b === 0);
  let line = bytes.subarray(0, end < 0 ? bytes.length : end);
  let more = '';
  if (line.length > 60) {
    let n = 60;
    while (n > 0 && (line[n] & 0xc0) === 0x80) n--;
    line = line.subarray(0, n);
    more = '…';
  }
  return `got ${url} (${bytes.length} bytes): ${line.toString()}${more}`;
}

const size = (url) => readFileSync(new URL(url, WEB)).length;

/**
 * The host function of the virtual-clock tests: waits delay_ms of loop time
 * (a JS task's sleep, cancelled when the signal aborts), then reads the
 * file. The read is synchronous on purpose: virtual time jumps whenever the
 * runtime has nothing ready, so an awaited read would let it jump to the
 * timeout's deadline first. `calls` counts what is in flight, from the
 * call until its function settles, and records the aborted signals.
 */
function fileHost(rt) {
  const calls = { inFlight: 0, most: 0, started: [], aborted: [] };
  const fetchText = async ({ url, delay_ms: ms = 0 }, { signal }) => {
    calls.started.push(url);
    calls.most = Math.max(calls.most, ++calls.inFlight);
    let wait = rt.createTask((ctx) => ctx.sleep(ms));
    const onAbort = () => {
      calls.aborted.push(url);
      wait.cancel();
    };
    signal.addEventListener('abort', onAbort);
    try {
      await wait;
      return readFileSync(new URL(url, WEB), 'utf8');
    } finally {
      wait = null;
      calls.inFlight--;
      signal.removeEventListener('abort', onAbort);
    }
  };
  return { fetchText, calls };
}

async function virtualRuntime() {
  const { rt, lines, errors } = await testRuntime();
  const { fetchText, calls } = fileHost(rt);
  rt.provide('fetchText', fetchText);
  return { rt, lines, errors, calls };
}

// The page's six files, each with its delay in ms; no two end at once.
const FILES = [['index.html', 400], ['style.css', 250], ['app.mjs', 600], ['model.mjs', 300],
  ['timeline.mjs', 500], ['steps.mjs', 300]];
const urlsOf = (slow = {}) => FILES.map(([url, ms]) => ({ url, delay_ms: slow[url] ?? ms }));

test('fetch_all is in the package\'s module, with its parameters', async () => {
  const { rt } = await testRuntime();
  assert.deepEqual(rt.parameters('fetch_all'), [
    { name: 'urls', type: 'json', optional: false },
    { name: 'limit', type: 'number', optional: true },
    { name: 'timeout_ms', type: 'number', optional: true },
  ]);
});

test('six files, two at a time: each starts when a slot frees, the consumer gets every one, the result adds them up', async () => {
  const { rt, lines, errors, calls } = await virtualRuntime();
  const before = rt.stats().tasks;
  const result = await rt.run('fetch_all', { urls: urlsOf(), limit: 2, timeout_ms: 5000 });
  const total = FILES.reduce((sum, [url]) => sum + size(url), 0);
  assert.deepEqual(result, { files: 6, bytes: total, most_in_flight: 2 });
  assert.deepEqual(lines, [
    'start index.html (1 in flight)',
    'start style.css (2 in flight)',
    'start app.mjs (2 in flight)', // @250: style.css's slot
    got('style.css'),
    'start model.mjs (2 in flight)', // @400: index.html's
    got('index.html'),
    'start timeline.mjs (2 in flight)', // @700: model.mjs's
    got('model.mjs'),
    'start steps.mjs (2 in flight)', // @850: app.mjs's
    got('app.mjs'),
    got('steps.mjs'), // @1150
    got('timeline.mjs'), // @1200
    `fetched 6 files, ${total} bytes, at most 2 at a time`,
  ]);
  assert.equal(rt.time(), 1200);
  assert.equal(calls.most, 2, 'never more than two calls in flight, as the host counts them');
  assert.deepEqual(calls.started, FILES.map(([url]) => url));
  assert.deepEqual(calls.aborted, []);
  assert.deepEqual(errors, []);
  await assertNothingLeft(rt, before);
});

test('the limit is the Semaphore\'s value: one at a time takes the sum of the delays, six at a time the longest', async () => {
  for (const [limit, time] of [[1, 2350], [3, 900], [6, 600]]) {
    const { rt, lines, calls } = await virtualRuntime();
    const result = await rt.run('fetch_all', { urls: urlsOf(), limit });
    assert.equal(result.most_in_flight, limit);
    assert.equal(calls.most, limit);
    assert.equal(rt.time(), time, `limit ${limit}`);
    assert.equal(lines.filter((l) => l.startsWith('got ')).length, 6);
  }
});

test('a slow file: the timeout cancels everything, aborts the signals of the calls in flight, and fails with TimeoutError', async () => {
  const { rt, lines, errors, calls } = await virtualRuntime();
  const before = rt.stats().tasks;
  let r = await settle(rt.run('fetch_all', { urls: urlsOf({ 'timeline.mjs': 60_000 }), limit: 2, timeout_ms: 1000 }));
  assert.ok(r.error instanceof TimeoutError, String(r.error));
  assert.equal(rt.time(), 1000);
  // At 1000 ms timeline.mjs (since 700) and steps.mjs (since 850, due at 1150) are in flight.
  assert.deepEqual(lines.slice(-3), [
    got('app.mjs'),
    'cancelled timeline.mjs while fetching it',
    'cancelled steps.mjs while fetching it',
  ]);
  assert.equal(lines.filter((l) => l.startsWith('got ')).length, 4);
  assert.deepEqual(calls.aborted, ['timeline.mjs', 'steps.mjs']);
  assert.deepEqual(errors, []);
  r = null; // the error JS holds keeps the run's task in memory until both are collected
  await assertNothingLeft(rt, before);
  assert.equal(calls.inFlight, 0, 'the aborted calls ended');
});

test('a timeout while fetchers wait for a slot: they never call the host', async () => {
  const { rt, lines, calls } = await virtualRuntime();
  const r = await settle(rt.run('fetch_all', { urls: urlsOf(), limit: 2, timeout_ms: 300 }));
  assert.ok(r.error instanceof TimeoutError);
  // At 300 ms: index.html and app.mjs in flight, three waiting.
  assert.deepEqual(calls.started, ['index.html', 'style.css', 'app.mjs']);
  assert.deepEqual(calls.aborted, ['index.html', 'app.mjs']);
  assert.deepEqual(lines.filter((l) => l.startsWith('cancelled')), [
    'cancelled index.html while fetching it',
    'cancelled app.mjs while fetching it',
    'cancelled model.mjs while it waited for a slot',
    'cancelled timeline.mjs while it waited for a slot',
    'cancelled steps.mjs while it waited for a slot',
  ]);
});

test('a file that cannot be read fails its fetcher: the group cancels the rest and fails with its error', async () => {
  const { rt, lines, calls } = await virtualRuntime();
  const before = rt.stats().tasks;
  let r = await settle(rt.run('fetch_all', { urls: [{ url: 'index.html', delay_ms: 100 }, 'missing.txt', 'app.mjs'] }));
  assert.ok(r.error instanceof ExceptionGroup, String(r.error));
  assert.equal(r.error.errors.length, 1);
  assert.match(r.error.errors[0].message, /^ENOENT: no such file or directory, open '.*missing\.txt'$/);
  // The failed fetcher gives its slot back before it ends, and the group
  // hears of the failure through a done callback, one loop step later (as
  // asyncio's TaskGroup does): app.mjs starts, then is cancelled with the rest.
  assert.deepEqual(lines.map((l) => l.replace(/, open '.*'$/, '')), [
    'start index.html (1 in flight)',
    'start missing.txt (2 in flight)',
    'failed missing.txt: Error: ENOENT: no such file or directory',
    'start app.mjs (2 in flight)',
    'cancelled index.html while fetching it',
    'cancelled app.mjs while fetching it',
  ]);
  assert.deepEqual(calls.aborted, ['index.html', 'app.mjs'], 'the calls in flight are aborted');
  r = null; // as above
  await assertNothingLeft(rt, before);
});

test('what the host gives back: text or bytes, described by size and first line, cut whole characters at 60 bytes', async () => {
  const { rt, lines } = await testRuntime();
  const answers = {
    accents: 'é'.repeat(40), // 80 bytes: cut to 30 characters
    crlf: 'first\r\nsecond',
    empty: '',
    bytes: new Uint8Array([0x68, 0x69, 0x0a, 0xff]),
  };
  rt.provide('fetchText', async ({ url }) => answers[url]);
  const result = await rt.run('fetch_all', { urls: Object.keys(answers), limit: 4 });
  assert.deepEqual(result, { files: 4, bytes: 80 + 13 + 0 + 4, most_in_flight: 4 });
  assert.deepEqual(lines.filter((l) => l.startsWith('got ')), [
    `got accents (80 bytes): ${'é'.repeat(30)}…`,
    'got crlf (13 bytes): first',
    'got empty (0 bytes): ',
    'got bytes (4 bytes): hi',
  ]);
  rt.provide('fetchText', async () => 42);
  const r = await settle(rt.run('fetch_all', { urls: ['n'] }));
  assert.deepEqual(r.error.errors.map(String), ['TypeError: fetchText gave a number for n: want a string or bytes']);
});

test('bad arguments and a missing host function are errors that name them', async () => {
  const { rt } = await testRuntime();
  const failure = async (args) => String((await settle(rt.run('fetch_all', args))).error);
  assert.equal(await failure({ urls: { url: 'x' } }), 'TypeError: fetch_all: urls must be a JSON array');
  assert.equal(await failure({ urls: ['a', { url: 7 }] }),
    'TypeError: fetch_all: urls[1] must be a string or {"url": string, "delay_ms": number}, not {"url":7}');
  assert.equal(await failure({ urls: [{ url: 'a', delay_ms: -1 }] }),
    'ValueError: fetch_all: urls[0]: delay_ms must be from 0 to 2147483647, not -1');
  assert.equal(await failure({ urls: '["a", {"url": "b", "delay_ms": 1e400}]' }),
    'ValueError: fetch_all: urls[1]: delay_ms must be from 0 to 2147483647, not inf');
  assert.equal(await failure({ urls: '["a",' }), 'ValueError: fetch_all: urls: JSON error at offset 5: unexpected end of input');
  for (const [limit, shown] of [[0, '0'], [1.5, '1.5'], [NaN, 'nan'], [2e6, '2e+06']]) {
    assert.equal(await failure({ urls: ['a'], limit }), `ValueError: fetch_all: limit must be a whole number from 1 to 1e6, not ${shown}`);
  }
  assert.equal(await failure({ urls: ['a'], timeout_ms: NaN }), 'ValueError: Invalid delay: NaN (not a number)');
  const r = await settle(rt.run('fetch_all', { urls: ['a'] }));
  assert.deepEqual(r.error.errors.map(String), ["LookupError: no host function 'fetchText' (registered: none)"]);
  assert.deepEqual(await rt.run('fetch_all', { urls: [] }), { files: 0, bytes: 0, most_in_flight: 0 });
});

// Real time and real reads, as in the README: the order the reads end in is
// the machine's, so only what does not depend on it is checked.
function readmeHost() {
  const calls = { inFlight: 0, most: 0, aborted: [] };
  const fetchText = async ({ url, delay_ms: ms = 0 }, { signal }) => {
    calls.most = Math.max(calls.most, ++calls.inFlight);
    signal.addEventListener('abort', () => calls.aborted.push(url));
    try {
      await delay(ms, undefined, { signal });
      return await readFile(new URL(url, WEB), { encoding: 'utf8', signal });
    } finally {
      calls.inFlight--;
    }
  };
  return { fetchText, calls };
}

test('on the real clock with fs.promises.readFile: every file once, at most two reads at a time', async () => {
  const { fetchText, calls } = readmeHost();
  const { rt, lines } = await testRuntime({ clock: 'real', host: { fetchText } });
  const urls = FILES.map(([url]) => url);
  const result = await rt.run('fetch_all', { urls, limit: 2, timeout_ms: 30_000 });
  assert.deepEqual(result, { files: 6, bytes: urls.reduce((sum, url) => sum + size(url), 0), most_in_flight: 2 });
  assert.ok(calls.most <= 2, `${calls.most} reads at once`);
  assert.deepEqual(lines.filter((l) => l.startsWith('got ')).sort(), urls.map(got).sort());
  // Two reads that end in one pump both give their slot back before the
  // next fetcher starts: then it counts one in flight.
  const inFlight = lines.filter((l) => l.startsWith('start ')).map((l) => Number(/\((\d) in flight\)$/.exec(l)[1]));
  assert.equal(inFlight.length, 6);
  assert.ok(inFlight.every((n) => n === 1 || n === 2), `in flight at each start: ${inFlight}`);
});

test('on the real clock: a slow file is aborted by the timeout', async () => {
  const { fetchText, calls } = readmeHost();
  const { rt, lines } = await testRuntime({ clock: 'real', host: { fetchText } });
  const started = performance.now();
  const r = await settle(rt.run('fetch_all', { urls: ['index.html', { url: 'style.css', delay_ms: 60_000 }], timeout_ms: 500 }));
  assert.ok(r.error instanceof TimeoutError, String(r.error));
  assert.ok(performance.now() - started < 10_000, 'the slow read did not hold the run');
  assert.deepEqual(calls.aborted, ['style.css']);
  assert.deepEqual(lines, ['start index.html (1 in flight)', 'start style.css (2 in flight)', got('index.html'),
    'cancelled style.css while fetching it']);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(calls.inFlight, 0, 'the aborted wait ended');
  assert.equal(rt.stats().hostCalls, 0);
});
