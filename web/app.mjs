// The demo page: runs the notebook's cells as C tasks and shows them live.
import { createRuntime } from '../src/wasyncio.mjs';

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
  $('clear').onclick = () => log.replaceChildren();
  $('status').textContent = `Ready: coroutines ${rt.coroutines.join(', ')}.`;
  document.body.dataset.ready = 'true';
  countFrames();
  setInterval(showStats, 200);
}

main();
