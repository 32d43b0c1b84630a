// The page in real headless Chromium (Debian's, driven by playwright-core;
// no browser is downloaded): load the module, click the cells, read the log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from '../chromium.mjs';
import { serve } from '../../scripts/serve.mjs';

let server, url, browser, page;
const pageErrors = [];

before(async () => {
  ({ server, url } = await serve(0));
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
});

after(async () => {
  await browser?.close();
  server?.close();
});

const logLines = () => page.$$eval('#log li', (lis) => lis.map((li) => li.lastChild.textContent));

test('the page loads the module and lists its coroutines', async () => {
  const status = await page.textContent('#status');
  for (const name of ['some_coro', 'display_date', 'job', 'factorial', 'terminate_cell', 'gather_cell', 'scenario']) {
    assert.ok(status.includes(name), `${name} in ${status}`);
  }
});

const waitForLog = (text) => page.waitForFunction(
  (t) => [...document.querySelectorAll('#log li')].some((li) => li.lastChild.textContent === t), text, { timeout: 30000 });

// The terminate cell, in C and from JS, prints the notebook's lines.
for (const button of ['#run-terminate-c', '#run-terminate-js']) {
  test(`${button}: four starts, task 1 done, then the group is terminated`, async () => {
    await page.click('#clear');
    await page.click(button);
    await waitForLog('Task group terminated.');
    const lines = (await logLines()).filter((l) => l.startsWith('Task'));
    assert.deepEqual(lines, [
      'Task 1: start', 'Task 2: start', 'Task 3: start', 'Task 4: start', 'Task 1: done', 'Task group terminated.',
    ]);
  });
}

test('a scenario preset runs in the page: the failing child cancels its sibling', async () => {
  await page.click('#clear');
  await page.selectOption('#preset', 'a child fails: the group cancels the rest');
  await page.click('#run-scenario');
  await waitForLog('scenario -> return None');
  const lines = (await logLines()).filter((l) => !l.startsWith('scenario'));
  assert.equal(lines.length, 4, lines.join(' | '));
  assert.match(lines[0], /^a fails @\d+$/);
  assert.match(lines[1], /^b cancelled @\d+$/);
  assert.equal(lines[2], 'ExceptionGroup[ValueError(boom)]');
  assert.match(lines[3], /^after the group @\d+$/);
});

test('the cancel cell prints the three cancellations first, then the seven completions', async () => {
  await page.click('#clear');
  await page.click('#run-cancel');
  await page.waitForFunction(() => document.querySelector('#log').textContent.includes('results:'), null, { timeout: 30000 });
  const lines = (await logLines()).filter((l) => l.includes('coro with param'));
  assert.deepEqual(lines, [
    'Cancelled coro with param: 7', 'Cancelled coro with param: 2', 'Cancelled coro with param: 5',
    'Completed coro with param: 0', 'Completed coro with param: 1', 'Completed coro with param: 3',
    'Completed coro with param: 4', 'Completed coro with param: 6', 'Completed coro with param: 8',
    'Completed coro with param: 9',
  ]);
  const states = await page.$$eval('#tasks tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
  assert.equal(states.filter((s) => s === 'cancelled').length, 3);
  assert.equal(states.filter((s) => s === 'done').length, 7);
});

test('the page keeps painting frames while tasks sleep', async () => {
  await page.click('#run-date');
  const before = Number(await page.textContent('#frames'));
  await page.waitForFunction(() => document.querySelector('#log').textContent.includes('display_date() done'), null, { timeout: 30000 });
  const frames = Number(await page.textContent('#frames')) - before;
  assert.ok(frames >= 10, `${frames} frames painted during display_date's 1 s`);
  const dates = (await logLines()).filter((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/.test(l));
  assert.equal(dates.length, 3);
});

test('a task cancelled from its row ends cancelled', async () => {
  await page.fill('#param', '42');
  await page.click('#run-one');
  const row = page.locator('#tasks tr').first();
  await row.locator('button').click();
  await page.waitForFunction(() => document.querySelector('#log').textContent.includes('some_coro(42) -> CancelledError'), null, { timeout: 30000 });
  assert.equal(await row.locator('td').nth(2).textContent(), 'cancelled');
  assert.ok((await logLines()).includes('Cancelled coro with param: 42'));
});

test('no errors in the page console', () => {
  assert.deepEqual(pageErrors, []);
});
