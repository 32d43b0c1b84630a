// The demo page: runs the notebook's cells as C tasks and shows them live.
import { createRuntime, ExceptionGroup } from 'wasyncio';

const $ = (id) => document.getElementById(id);
const log = $('log');
let rt;

function say(text, cls) {
  const li = document.createElement('li');
  if (cls) li.className = cls;
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = `[${(rt ? rt.time() : 0).toFixed(0).padStart(5)} ms] `;
  li.append(time, text);
  log.append(li);
  log.scrollTop = log.scrollHeight;
}

// One table row per task, updated when the task ends.
function track(task, coroutine) {
  const row = document.createElement('tr');
  row.dataset.task = task.name;
  const cells = [task.name, coroutine, 'pending', ''].map((text) => {
    const td = document.createElement('td');
    td.textContent = text;
    return td;
  });
  cells[2].className = 'state-pending';
  const cancel = document.createElement('button');
  cancel.textContent = 'cancel';
  cancel.onclick = () => task.cancel('cancelled from the page');
  const last = document.createElement('td');
  last.append(cancel);
  row.append(...cells, last);
  $('tasks').prepend(row);
  task.addDoneCallback(() => {
    const state = task.cancelled() ? 'cancelled' : task.exception() ? 'failed' : 'done';
    cells[2].textContent = state;
    cells[2].className = `state-${state}`;
    cells[3].textContent = state === 'done' ? String(task.result() ?? '') : state === 'failed' ? task.exception().name : '';
    cancel.disabled = true;
  });
  return task;
}

function start(coroutine, args) {
  return track(rt.createTask(coroutine, args), coroutine);
}

// Runs a whole cell written in C, and logs how it ended.
async function runC(coroutine) {
  try {
    const result = await start(coroutine, {});
    say(`${coroutine}() -> ${result ?? 'done'}`, 'note');
  } catch (error) {
    say(`${coroutine}() -> ${describeError(error)}`, 'note');
  }
}

function describeError(error) {
  if (error instanceof ExceptionGroup) return `ExceptionGroup[${error.errors.map(describeError).join(', ')}]`;
  return `${error.name}(${error.message})`;
}

// The task group cell, driven from JS: two jobs, then a line after both.
async function groupJs() {
  await track(rt.taskGroup(async (tg) => {
    track(tg.createTask('job', { task_id: 1, sleep_ms: 1000 }), 'job');
    track(tg.createTask('job', { task_id: 2, sleep_ms: 2000 }), 'job');
  }, { name: 'group' }), 'taskGroup');
  say('Both tasks have completed now.');
}

// The terminate cell, driven from JS: a failing task ends the group, and
// `except* TerminateTaskGroup` is split() on the ExceptionGroup.
async function terminateJs() {
  try {
    await track(rt.taskGroup(async (tg) => {
      [500, 1500, 2500, 3500].forEach((ms, i) => track(tg.createTask('job', { task_id: i + 1, sleep_ms: ms }), 'job'));
      await tg.sleep(1000);
      track(tg.createTask('force_terminate_task_group', {}), 'force_terminate_task_group');
    }, { name: 'group' }), 'taskGroup');
  } catch (error) {
    if (!(error instanceof ExceptionGroup)) throw error;
    const [terminated, rest] = error.split('TerminateTaskGroup');
    if (rest) throw rest;
    if (terminated) say('Task group terminated.');
  }
}

async function gatherJs() {
  const tasks = [['A', 2], ['B', 3], ['C', 4]].map(([name, number]) => start('factorial', { name, number }));
  say(`[${(await track(rt.gather(tasks), 'gather')).join(', ')}]`);
}

async function timeoutJs() {
  try {
    await track(rt.timeout(1500, (ctx) => ctx.wait(start('factorial', { name: 'T', number: 4 })), { name: 'timeout' }), 'timeout');
  } catch (error) {
    say(`timeout -> ${describeError(error)}`, 'note');
  }
}

const PRESETS = {
  'a child fails: the group cancels the rest': [
    ['try', [
      ['group', [
        ['spawn', 'a', [['sleep', 500], ['log_time', 'a fails'], ['raise', 'ValueError', 'boom']]],
        ['spawn', 'b', [['try', [['sleep', 2000]], { CancelledError: [['log_time', 'b cancelled'], ['reraise']] }]]],
        ['sleep', 3000],
        ['log', 'never printed'],
      ]],
    ], { ExceptionGroup: [['log_error']] }],
    ['log_time', 'after the group'],
  ],
  'gather with returnExceptions': [
    ['gather', [
      ['x', [['sleep', 300], ['return', 1]]],
      ['y', [['sleep', 100], ['raise', 'KeyError', 'k']]],
      ['z', [['sleep', 200], ['return', 'three']]],
    ], true],
  ],
  'nested timeouts': [
    ['try', [
      ['timeout', 1000, [
        ['try', [['timeout', 200, [['sleep', 500]]]], { TimeoutError: [['log_time', 'inner timed out'], ['log_error']] }],
        ['sleep', 2000],
      ]],
    ], { TimeoutError: [['log_time', 'outer timed out']] }],
  ],
  'shield keeps the inner task running': [
    ['spawn', 'inner', [['sleep', 1000], ['log_time', 'inner done'], ['return', 42]]],
    ['try', [['timeout', 300, [['shield', 'inner']]]], { TimeoutError: [['log_time', 'gave up waiting']] }],
    ['await', 'inner'],
  ],
};

function setupScenarios() {
  const select = $('preset');
  for (const name of Object.keys(PRESETS)) select.append(new Option(name, name));
  const show = () => { $('steps').value = JSON.stringify(PRESETS[select.value], null, 1); };
  select.onchange = show;
  show();
  $('run-scenario').onclick = async () => {
    let steps;
    try {
      steps = JSON.parse($('steps').value);
    } catch (error) {
      say(`the steps are not JSON: ${error.message}`, 'note');
      return;
    }
    try {
      say(`scenario -> return ${(await start('scenario', { steps })) ?? 'None'}`, 'note');
    } catch (error) {
      say(`scenario -> raise ${describeError(error)}`, 'note');
    }
  };
}

async function cancelCell() {
  say('create 10 some_coro tasks, let them start, cancel tasks 7, 2 and 5', 'note');
  const tasks = Array.from({ length: 10 }, (_, i) => start('some_coro', { param: i }));
  await rt.sleep(0);
  for (const i of [7, 2, 5]) tasks[i].cancel();
  const results = await Promise.allSettled(tasks);
  say(`results: [${results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason.name)).join(', ')}]`, 'note');
}

async function runOne() {
  const param = Number($('param').value);
  try {
    say(`some_coro(${param}) -> ${await start('some_coro', { param })}`, 'note');
  } catch (error) {
    say(`some_coro(${param}) -> ${error.name}: ${error.message}`, 'note');
  }
}

async function runDate() {
  await start('display_date', {});
  say('display_date() done', 'note');
}

// A frame counter: it keeps counting while tasks run, because every wait is
// a browser timer and the scheduler hands the event loop back.
function countFrames() {
  let frames = 0;
  const tick = () => {
    $('frames').textContent = String(++frames);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function showStats() {
  const s = rt.stats();
  $('stats').textContent = `tasks in memory ${s.tasks} · stacks ${s.slabs} (${s.idleSlabs} idle) · timers ${s.timers}`;
}

async function main() {
  try {
    rt = await createRuntime({ clock: 'real', print: (line) => say(line) });
  } catch (error) {
    $('status').textContent = `Could not load the module: ${error.message}`;
    return;
  }
  $('run-cancel').onclick = cancelCell;
  $('run-one').onclick = runOne;
  $('run-date').onclick = runDate;
  $('run-group-c').onclick = () => runC('task_group_cell');
  $('run-terminate-c').onclick = () => runC('terminate_cell');
  $('run-gather-c').onclick = () => runC('gather_cell');
  $('run-group-js').onclick = groupJs;
  $('run-terminate-js').onclick = terminateJs;
  $('run-gather-js').onclick = gatherJs;
  $('run-timeout-js').onclick = timeoutJs;
  setupScenarios();
  $('clear').onclick = () => {
    log.replaceChildren();
    $('tasks').replaceChildren();
  };
  $('status').textContent = `Ready: coroutines ${rt.coroutines.join(', ')}.`;
  document.body.dataset.ready = 'true';
  countFrames();
  setInterval(showStats, 200);
}

main();
