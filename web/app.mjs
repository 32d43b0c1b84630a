// The demo page: runs the notebook's cells, fetch_all (C tasks fetching the
// page's files through a host function) and scenarios as tasks, draws
// every task on a live timeline (web/timeline.mjs) from rt.trace() events
// (web/model.mjs), shows a selected task's details, replays saved traces.
import { createRuntime, ExceptionGroup } from 'wasyncio';
import { TimelineModel, STATE_NAMES, callGraph, traceEvents } from './model.mjs';
import { Timeline, COLORS, describeRow } from './timeline.mjs';
import { PRESETS, formatSteps, parseSteps } from './steps.mjs';

const $ = (id) => document.getElementById(id);
const log = $('log');
let rt;
let live = new TimelineModel();  // what the runtime did since the last clear
let recorder = null;             // rt.trace() feeding `live`
let replay = null;               // {name, json, model} while replaying a file
const held = new Map();          // id -> Task the page made (it can read results)
let timeline;

// ---- the log --------------------------------------------------------------

/** A log line; `task` links it to that task's row. */
function say(text, cls, task = null) {
  const li = document.createElement('li');
  if (cls) li.className = cls;
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = `[${(rt ? rt.time() : 0).toFixed(0).padStart(5)} ms] `;
  li.append(time, String(text));
  if (task !== null && task !== undefined) li.dataset.task = String(task);
  const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.append(li);
  if (atEnd) log.scrollTop = log.scrollHeight;
}

function showError(where, message) {
  const el = $(where);
  el.textContent = message;
  el.hidden = !message;
  if (message) say(message, 'error');
}

function setupLog() {
  const over = (e) => {
    const li = e.target.closest?.('li[data-task]');
    const id = li && !replay ? Number(li.dataset.task) : null;
    if (id === timeline.highlighted) return;
    timeline.highlighted = id;
    if (id !== null) timeline.reveal(id);
    timeline.invalidate();
  };
  log.addEventListener('mouseover', over);
  log.addEventListener('mouseleave', () => { timeline.highlighted = null; timeline.invalidate(); });
  log.addEventListener('click', (e) => {
    const li = e.target.closest?.('li[data-task]');
    if (li && !replay) {
      const id = Number(li.dataset.task);
      timeline.reveal(id);
      timeline.select(id);
    }
  });
}

// ---- tasks the page makes -------------------------------------------------

function hold(task) {
  held.set(task.id, task);
  return task;
}

function start(coroutine, args, options) {
  return hold(rt.createTask(coroutine, args, options));
}

function describeError(error) {
  if (error instanceof ExceptionGroup) return `ExceptionGroup[${error.errors.map(describeError).join(', ')}]`;
  return `${error?.name ?? 'Error'}(${error?.message ?? String(error)})`;
}

// Runs a whole cell written in C, and logs how it ended.
async function runC(coroutine) {
  const task = start(coroutine, {});
  try {
    const result = await task;
    say(`${coroutine}() -> ${result ?? 'done'}`, 'note', task.id);
  } catch (error) {
    say(`${coroutine}() -> ${describeError(error)}`, 'note', task.id);
  }
}

// The task group cell, driven from JS: two jobs, then a line after both.
async function groupJs() {
  const group = hold(rt.taskGroup(async (tg) => {
    hold(tg.createTask('job', { task_id: 1, sleep_ms: 1000 }));
    hold(tg.createTask('job', { task_id: 2, sleep_ms: 2000 }));
  }, { name: 'group' }), 'taskGroup');
  try {
    await group;
    say('Both tasks have completed now.', null, group.id);
  } catch (error) {
    say(`group -> ${describeError(error)}`, 'note', group.id);
  }
}

// The terminate cell, driven from JS: a failing task ends the group, and
// `except* TerminateTaskGroup` is split() on the ExceptionGroup.
async function terminateJs() {
  const group = hold(rt.taskGroup(async (tg) => {
    [500, 1500, 2500, 3500].forEach((ms, i) => hold(tg.createTask('job', { task_id: i + 1, sleep_ms: ms })));
    await tg.sleep(1000);
    hold(tg.createTask('force_terminate_task_group', {}));
  }, { name: 'group' }), 'taskGroup');
  try {
    await group;
    say('group -> done', 'note', group.id);
  } catch (error) {
    const [terminated, rest] = error instanceof ExceptionGroup ? error.split('TerminateTaskGroup') : [null, error];
    if (terminated) say('Task group terminated.', null, group.id);
    if (rest) say(`group -> ${describeError(rest)}`, 'note', group.id);
  }
}

async function gatherJs() {
  const tasks = [['A', 2], ['B', 3], ['C', 4]].map(([name, number]) => start('factorial', { name, number }));
  const all = hold(rt.gather(tasks));
  try {
    say(`[${(await all).join(', ')}]`, null, all.id);
  } catch (error) {
    say(`gather -> ${describeError(error)}`, 'note', all.id);
  }
}

async function timeoutJs() {
  const scope = hold(rt.timeout(1500, (ctx) => ctx.wait(start('factorial', { name: 'T', number: 4 })), { name: 'timeout' }));
  try {
    await scope;
  } catch (error) {
    say(`timeout -> ${describeError(error)}`, 'note', scope.id);
  }
}

// ---- C tasks meeting the world: fetch_all (src/coroutines/fetch.c) ----------

// What C's wa_host_call("fetchText", {url, delay_ms}) runs on this page:
// waits delay_ms (a made-up slow network, so that the two-at-a-time shows on
// the timeline), then fetches url from the server. The signal aborts when C
// cancels the call, and stops the wait or the fetch, whichever is under way.
async function fetchText({ url, delay_ms: delay = 0 }, { signal }) {
  signal.addEventListener('abort', () => say(`fetchText ${url}: signal aborted`, 'note'), { once: true });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, delay);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
  const response = await fetch(url, { signal });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  return response.text();
}

// The page's own files (relative to it), each with its made-up delay in ms.
const PAGE_FILES = [['index.html', 400], ['style.css', 250], ['app.mjs', 600], ['model.mjs', 300],
  ['timeline.mjs', 500], ['steps.mjs', 350]];

// fetch_all over PAGE_FILES; `slow`: timeline.mjs takes a minute, and the
// 2 s timeout ends the run with TimeoutError.
async function fetchCell(slow) {
  const urls = PAGE_FILES.map(([url, ms]) => ({ url, delay_ms: slow && url === 'timeline.mjs' ? 60_000 : ms }));
  const timeout = slow ? 2000 : 10_000;
  const call = `fetch_all(6 files, limit 2, timeout ${timeout / 1000} s)`;
  const task = start('fetch_all', { urls, limit: 2, timeout_ms: timeout }, { name: 'fetch_all' });
  try {
    say(`${call} -> ${JSON.stringify(await task)}`, 'note', task.id);
  } catch (error) {
    say(`${call} -> ${describeError(error)}`, 'note', task.id);
  }
}

async function cancelCell() {
  say('create 10 some_coro tasks, let them start, cancel tasks 7, 2 and 5', 'note');
  const tasks = Array.from({ length: 10 }, (_, i) => start('some_coro', { param: i }));
  await rt.sleep(0);
  for (const i of [7, 2, 5]) tasks[i].cancel();
  const results = await Promise.allSettled(tasks);
  say(`results: [${results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason.name)).join(', ')}]`, 'note');
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** The param field as a number, or an Error saying why it is not one. */
export function readNumber(text) {
  const s = text.trim();
  if (!NUMBER.test(s)) return new Error(`param: ${JSON.stringify(text)} is not a number`);
  const n = Number(s);
  if (!Number.isFinite(n)) return new Error(`param: ${s} is too large for a number (it would be ${n})`);
  return n;
}

async function runOne() {
  const input = $('param');
  const param = readNumber(input.value);
  input.setAttribute('aria-invalid', String(param instanceof Error));
  if (param instanceof Error) {
    showError('param-error', param.message);
    return;
  }
  showError('param-error', '');
  const task = start('some_coro', { param });
  try {
    say(`some_coro(${param}) -> ${await task}`, 'note', task.id);
  } catch (error) {
    say(`some_coro(${param}) -> ${error.name}: ${error.message}`, 'note', task.id);
  }
}

async function runDate() {
  const task = start('display_date', {});
  try {
    await task;
    say('display_date() done', 'note', task.id);
  } catch (error) {
    say(`display_date() -> ${describeError(error)}`, 'note', task.id);
  }
}

// ---- scenarios --------------------------------------------------------------

function setupScenarios() {
  const select = $('preset');
  for (const name of Object.keys(PRESETS)) select.append(new Option(name, name));
  const show = () => {
    $('steps').value = formatSteps(PRESETS[select.value]());
    showError('steps-error', '');
  };
  select.onchange = show;
  show();
  $('run-scenario').onclick = guard(async () => {
    if (replay) $('live').click();
    const text = $('steps').value;
    try {
      parseSteps(text); // a clear error here for what is not JSON at all
    } catch (error) {
      showError('steps-error', error.message);
      return;
    }
    let task;
    try {
      // The text as it is: C reads the numbers itself (1e400 is inf, as
      // for Python's json), and a 10,000-step list is not copied again.
      task = start('scenario', { steps: text });
    } catch (error) { // refused before it ran: bad input
      showError('steps-error', `scenario: ${error.name}: ${error.message}`);
      return;
    }
    showError('steps-error', '');
    try {
      say(`scenario -> return ${(await task) ?? 'None'}`, 'note', task.id);
    } catch (error) {
      say(`scenario -> raise ${describeError(error)}`, 'note', task.id);
    }
  });
}

// ---- the timeline, its details and the trace -------------------------------

const model = () => replay?.model ?? live;

function startRecording() {
  recorder?.stop(); // its last events go to the old model: then it knows every id made
  // Tasks made before a Clear may still run; their rows stay cleared.
  let since = 0;
  for (const id of live?.tasks.keys() ?? []) since = Math.max(since, id + 1);
  live = new TimelineModel({ since });
  const m = live;
  recorder = rt.trace({
    limit: 1_000_000,
    onEvent: (e) => {
      m.apply(e);
      if (!replay) timeline.invalidate();
    },
  });
  if (!replay) timeline.setModel(live);
}

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

function taskLink(id) {
  const t = model().tasks.get(id);
  if (!t) return document.createTextNode(`#${id}`);
  const a = el('a', { tabIndex: 0, textContent: `${t.type === 'Future' ? `${t.kind ?? 'future'} ` : ''}${t.name} (#${id})` });
  a.onclick = () => { timeline.reveal(id); timeline.select(id); };
  return a;
}

function showDetails() {
  const box = $('details');
  const id = timeline.selected;
  const m = model();
  const t = id === null ? null : m.tasks.get(id);
  if (!t) {
    box.replaceChildren(el('p', { className: 'hint', textContent: 'Click a task\'s bar to see its details.' }));
    return;
  }
  const rows = [];
  const row = (term, ...value) => rows.push(el('dt', { textContent: term }), el('dd', {}, ...value));
  const now = TimelineModel.segmentAt(t, Infinity);
  row('state', el('span', { className: `state-${t.state}`, textContent: t.state === 'pending' ? `pending: ${STATE_NAMES[t.segS[now]]}` : t.state }));
  if (t.coroutine) row('coroutine', t.coroutine);
  if (t.parent !== null) row('made by', taskLink(t.parent));
  if (t.container !== null) row(`in ${t.containerType}`, taskLink(t.container));
  if (t.state === 'pending') {
    if (t.waitingOn === 'sleep') row('awaits', `a timer, until ${t.until === null ? 'ever' : `${t.until.toFixed(0)} ms`}`);
    else if (t.waitingOn === 'task' && t.awaiting !== null) row('awaits', taskLink(t.awaiting));
    else if (t.waitingOn === 'yield') row('awaits', 'the next loop iteration');
    else if (t.type === 'Future') row('awaits', `its ${t.kind === 'gather' ? 'gathered tasks' : 'group\'s tasks'}`);
    if (t.cancels) row('cancelling', `${t.cancels} request${t.cancels > 1 ? 's' : ''}`);
  }
  row('made at', `${t.created.toFixed(1)} ms`);
  if (t.ended !== null) row('ended at', `${t.ended.toFixed(1)} ms (after ${(t.ended - t.created).toFixed(1)} ms)`);
  row('steps', String(t.steps));
  const task = replay ? null : held.get(id);
  if (t.state === 'done') {
    let result = t.result === undefined ? 'not known (the trace carries C coroutines\' results only)'
      : t.result === null ? 'None' : typeof t.result === 'number' ? String(t.result) : JSON.stringify(t.result);
    if (task?.done()) {
      try {
        result = JSON.stringify(task.result()) ?? 'None';
      } catch (error) {
        result = describeError(error);
      }
    }
    row('result', result);
  }
  if (t.state === 'failed') row('error', el('span', { className: 'state-failed', textContent: t.error ?? '' }));
  if (t.state === 'cancelled') row('message', t.message ? t.message : '(none)');
  // Who awaits it, and who awaits them.
  const graph = callGraph(m, id);
  const tree = (node) => el('li', {}, taskLink(node.task.id), ...(node.awaitedBy.length ? [el('ul', {}, ...node.awaitedBy.map(tree))] : []));
  const calls = graph.awaitedBy.length ? el('ul', {}, ...graph.awaitedBy.map(tree)) : el('span', { textContent: 'nobody awaits it now' });
  row('awaited by', calls);

  const cancel = el('button', { id: 'cancel-task', textContent: 'Cancel' });
  cancel.disabled = !!replay || t.state !== 'pending' || (t.type === 'Future' && !task);
  cancel.onclick = guard(() => {
    const ok = task ? task.cancel('cancelled from the page') : rt.cancelTask(id, 'cancelled from the page');
    say(ok ? `cancel ${t.name} (#${id}): requested` : `cancel ${t.name} (#${id}): refused (it is not pending)`, 'note', id);
  });
  box.replaceChildren(
    el('h3', { textContent: `${t.type === 'Future' ? `${t.kind ?? 'future'} ` : ''}${t.name} (#${id})` }),
    el('dl', {}, ...rows), cancel);
  box.dataset.task = String(id);
  box.dataset.state = t.state;
}

function setupTimeline() {
  timeline = new Timeline({
    scroller: $('timeline'),
    canvas: $('timeline-canvas'),
    spacer: $('timeline-spacer'),
    now: (m) => (m === live && rt && !replay ? rt.time() : Number.isFinite(m.end) ? m.end : 0),
    onSelect: () => showDetails(),
    onChange: () => {
      $('follow').textContent = timeline.follow ? 'Pause' : 'Follow';
      $('follow').setAttribute('aria-pressed', String(timeline.follow));
    },
  });
  $('follow').onclick = () => timeline.setFollow(!timeline.follow);
  $('zoom-in').onclick = () => timeline.zoom(1 / 1.6);
  $('zoom-out').onclick = () => timeline.zoom(1.6);
  $('pan-left').onclick = () => timeline.pan(-timeline.barWidth * timeline.msPerPx * 0.4);
  $('pan-right').onclick = () => timeline.pan(timeline.barWidth * timeline.msPerPx * 0.4);
  $('fit').onclick = () => timeline.fit();
  $('save-trace').onclick = guard(saveTrace);
  $('open-trace').onchange = guard(async (e) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (file) openTrace(file.name, await file.text());
  });
  $('live').onclick = () => {
    replay = null;
    $('replay').hidden = true;
    $('live').hidden = true;
    timeline.setModel(live);
    showDetails();
  };
  $('legend').replaceChildren(...STATE_NAMES.map((name, i) => el('span', {}, el('i', { style: `background:${COLORS[i]}` }), name)),
    el('span', { textContent: '✓ done · ✗ failed (hover: error) · ⊘ cancelled' }));
  // The details of a running task change: refresh them a few times a second.
  setInterval(() => {
    const t = timeline.selected === null ? null : model().tasks.get(timeline.selected);
    if (t && (t.state === 'pending' || $('details').dataset.state !== t.state)) showDetails();
  }, 250);
}

function saveTrace() {
  let json = replay?.json;
  if (!json) { // what the timeline shows: no task from before a Clear
    json = recorder.toJSON();
    json = { ...json, events: json.events.filter((e) => e.task >= live.since) };
  }
  const url = URL.createObjectURL(new Blob([JSON.stringify(json)], { type: 'application/json' }));
  const a = el('a', { href: url, download: replay ? replay.name : `wasyncio-trace-${Date.now()}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Shows a saved trace (rec.toJSON()) on the timeline instead of the live one. */
function openTrace(name, text) {
  let json;
  let events;
  try {
    json = JSON.parse(text);
    events = traceEvents(json);
  } catch (error) {
    showError('trace-error', `${name}: not a trace: ${error.message}`);
    return;
  }
  showError('trace-error', '');
  const m = new TimelineModel().applyAll(events);
  replay = { name, json, model: m };
  $('replay').textContent = `Replaying ${name}: ${events.length} events, ${m.list.length} tasks, ${
    Number.isFinite(m.end) ? (m.end - m.start).toFixed(0) : 0} ms${json.dropped ? ` (${json.dropped} events were dropped)` : ''}.`;
  $('replay').hidden = false;
  $('live').hidden = false;
  timeline.setModel(m, { follow: false });
  showDetails();
}

// ---- wiring -----------------------------------------------------------------

/** fn as an event handler whose errors are shown, never uncaught. */
function guard(fn) {
  return async (...args) => {
    try {
      await fn(...args);
    } catch (error) {
      say(`the page failed: ${describeError(error)}`, 'error');
    }
  };
}

// A frame counter: it keeps counting while tasks run, because every wait is
// a browser timer and the scheduler hands the event loop back. It also
// keeps the longest time between two frames, for the tests.
const frames = { count: 0, longest: 0, last: 0, longTasks: [] };
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) frames.longTasks.push(Math.round(e.duration));
  }).observe({ type: 'longtask' });
} catch {
  // no longtask entries in this browser
}
function countFrames() {
  const tick = (now) => {
    if (frames.last) frames.longest = Math.max(frames.longest, now - frames.last);
    frames.last = now;
    $('frames').textContent = String(++frames.count);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function showStats() {
  const s = rt.stats();
  $('stats').textContent = `· tasks in memory ${s.tasks} · fibers ${s.slabs} (${s.idleSlabs} idle) · timers ${s.timers} · wasm memory ${(s.memory / 2 ** 20).toFixed(0)} MiB`;
}

async function main() {
  setupTimeline();
  setupLog();
  let flusher = null;
  try {
    rt = await createRuntime({
      clock: 'real',
      host: { fetchText },
      print: (line) => {
        // Take the events so far: the last step is the task printing.
        flusher?.events();
        say(line, null, replay ? null : live.lastStep);
      },
    });
  } catch (error) {
    $('status').textContent = `Could not load the module: ${error.message}`;
    return;
  }
  flusher = rt.trace({ limit: 1 });
  startRecording();
  // An error about an input goes once the input is edited.
  $('param').addEventListener('input', () => {
    $('param').setAttribute('aria-invalid', 'false');
    showError('param-error', '');
  });
  $('steps').addEventListener('input', () => showError('steps-error', ''));
  const cells = {
    'run-cancel': cancelCell,
    'run-one': runOne,
    'run-date': runDate,
    'run-group-c': () => runC('task_group_cell'),
    'run-terminate-c': () => runC('terminate_cell'),
    'run-gather-c': () => runC('gather_cell'),
    'run-group-js': groupJs,
    'run-terminate-js': terminateJs,
    'run-gather-js': gatherJs,
    'run-timeout-js': timeoutJs,
    'run-fetch': () => fetchCell(false),
    'run-fetch-slow': () => fetchCell(true),
  };
  for (const [id, fn] of Object.entries(cells)) {
    $(id).onclick = guard(async () => {
      if (replay) $('live').click();
      await fn();
    });
  }
  setupScenarios();
  $('clear').onclick = () => {
    log.replaceChildren();
    held.clear();
    startRecording();
    showDetails();
  };
  $('status').textContent = `Ready: coroutines ${rt.coroutines.join(', ')}.`;
  // For the page's tests: the rows drawn, and what drawing them cost.
  window.wasyncioPage = {
    rows: () => timeline.snapshot(),
    barPoint: (id) => timeline.barPoint(id),
    reveal: (id) => timeline.reveal(id),
    frames: () => ({ ...frames, longTasks: [...frames.longTasks], longestDraw: timeline.longestDraw,
      mostRowsDrawn: timeline.mostRowsDrawn }),
    resetFrames: () => {
      frames.longest = 0; frames.last = 0; frames.longTasks = []; timeline.longestDraw = 0; timeline.mostRowsDrawn = 0;
    },
    timeline,
    runtime: rt,
  };
  document.body.dataset.ready = 'true';
  countFrames();
  setInterval(showStats, 200);
}

main();
