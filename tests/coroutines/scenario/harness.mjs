// Runs scenarios (tests/coroutines/scenario/LANGUAGE.md) on the wasm runtime and on
// CPython's asyncio (reference.py), giving both results in the same shape:
// {lines, outcome}, the outcome being 'return V' or 'raise E' formatted as
// LANGUAGE.md says. Shared by scenario.test.mjs and differential.test.mjs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REFERENCE = fileURLToPath(new URL('./reference.py', import.meta.url));

// ---- formatting, as reference.py's format_value / format_error ----------

/** Python's repr of a float: shortest round-trip digits, exponent form
 *  below 1e-4 and from 1e16 ('1e-05', '1e+16'); whole numbers as %.0f. */
export function formatNumber(x) {
  if (Number.isInteger(x)) return Object.is(x, -0) ? '-0' : BigInt(x).toString();
  const [mantissa, exp] = x.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(x); // JS's fixed form has the same shortest digits
}

export function formatValue(v) {
  if (v === undefined || v === null) return 'None';
  if (typeof v === 'number') return formatNumber(v);
  return String(v);
}

/** Type(message); an ExceptionGroup as ExceptionGroup[e1, e2, ...]. */
export function formatError(e) {
  // Workaround, not a check: V8 keeps an error's stack frames, receivers
  // included (the Task), until .stack is read, and the task module's
  // FinalizationRegistry holds the runtime that keeps this error: a runtime
  // whose task failed is then never collected, and a long differential run
  // slows down as thousands pile up. Reading .stack lets them go.
  void e?.stack;
  if (e?.name === 'ExceptionGroup' && Array.isArray(e.errors)) {
    return `ExceptionGroup[${e.errors.map(formatError).join(', ')}]`;
  }
  return `${e?.name}(${e?.message ?? ''})`;
}

// ---- the wasm side ----------------------------------------------------------

/** Lets the loop run until nothing is ready and no timer is left, so that
 *  tasks outliving the root have finished too, or the run stalled (as
 *  reference.py's loop finds it). The clock moves only from deadline to
 *  deadline, so a run that stalls keeps the time it stalled at: a sleep(0)
 *  lets what is ready run, a sleep to the next deadline jumps there. */
export async function drain(rt, until = { stop: false }) {
  for (;;) {
    await rt.sleep(0);
    if (until.stop) return;
    const { ready, timers, nextTimer } = rt.stats();
    if (ready > 0) continue;
    if (timers === 0 || nextTimer === Infinity) return; // done, or stalled
    await rt.sleep(Math.max(0, nextTimer - rt.time()));
  }
}

const roots = new WeakMap(); // rt -> the root Tasks run on it
const hosted = new WeakSet(); // runtimes given scenario_host

/** Runs steps (an array, or JSON text) as the root of a scenario on rt,
 *  whose print function appends to `lines`, as asyncio.run(root) would, as
 *  reference.py does: until the root ends (or the run stalls: nothing
 *  ready, no timer left), then rt.close(), which cancels what is still
 *  pending and runs its cleanup. Returns {lines, outcome, leaked}: the
 *  lines printed during the run and the shutdown, the root's outcome
 *  ('pending' when the run stalled before it ended), and how many tasks
 *  are still in memory besides the root, which JS holds.
 *  {shutdown: false} leaves rt open instead: the loop runs until nothing is
 *  left to do, and rt can run another scenario. */
export async function runScenario(rt, lines, steps, { shutdown = true } = {}) {
  if (!hosted.has(rt)) { // the host function the "host" step calls
    rt.provide('scenario_host', async ({ ms, value, error }) => {
      await rt.sleep(ms);
      if (error === undefined) return value;
      const e = new Error(String(value));
      e.name = error;
      throw e;
    });
    hosted.add(rt);
  }
  const first = lines.length;
  const before = rt.stats().tasks;
  const root = rt.createTask('scenario', { steps });
  // Keep each root's handle: were an earlier run's collected during this
  // one, the count of tasks in memory would drop and hide a leak (or read -1).
  if (!roots.has(rt)) roots.set(rt, []);
  roots.get(rt).push(root);
  // The first to ask a cancelled task for its error gets the one it raised,
  // with its message; later askers get a new one without (CPython's
  // _make_cancelled_error). asyncio.run asks first, and so does this.
  let outcome = 'pending'; // unless the root ends
  const ended = root.then((value) => { outcome = `return ${formatValue(value)}`; },
    (error) => { outcome = `raise ${formatError(error)}`; });
  // A drain the root's end outran must stop, or its timer and the next
  // drain's would each keep the other looping for ever.
  const firstDrain = { stop: false };
  await (shutdown ? Promise.race([ended, drain(rt, firstDrain)]) : drain(rt));
  firstDrain.stop = true;
  // The root's outcome as the run left it: 'pending' when it stalled, even
  // if the shutdown then cancels the root, as reference.py reports it.
  const result = outcome;
  // A shutdown whose cancelled tasks never end would wait for ever, as
  // asyncio.run does; the run then stops when nothing is left to do.
  if (shutdown) await Promise.race([rt.close(), drain(rt)]);
  // Tasks that stalled for ever (waiting on a primitive nobody releases,
  // even once cancelled) stay, with what they hold (the futures they await,
  // the shutdown's gather); otherwise every task but the root must be gone.
  const { tasks, pending } = rt.stats();
  const stalled = pending > 0; // the root among them, perhaps
  return { lines: lines.slice(first), outcome: result, leaked: stalled ? 0 : tasks - before - 1 };
}

// ---- the CPython side ------------------------------------------------------

let python;

/** The command that runs CPython 3.13 ({cmd, env}); throws when none. */
export function findPython() {
  if (python) return python;
  const candidates = [
    { cmd: 'python3', env: { ...process.env, PYENV_VERSION: '3.13.0' } },
    { cmd: 'python3.13', env: process.env },
  ];
  for (const c of candidates) {
    const r = spawnSync(c.cmd, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
      env: c.env, encoding: 'utf8',
    });
    if (r.status === 0 && r.stdout.trim() === '3.13') return (python = c);
  }
  throw new Error('CPython 3.13 not found: tried `PYENV_VERSION=3.13.0 python3` and `python3.13`. '
    + 'The scenario tests compare against CPython 3.13 and cannot run without it '
    + '(install it, e.g. `pyenv install 3.13.0`).');
}

/** Runs reference.py with args and stdin in one process; its stdout lines
 *  parsed as JSON. */
export function runReference(args, input = '') {
  const { cmd, env } = findPython();
  const r = spawnSync(cmd, [REFERENCE, ...args], {
    env, input, encoding: 'utf8', maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`reference.py ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

// ---- reporting ---------------------------------------------------------------

/** A line diff (longest common subsequence): '  ' both, '- ' expected
 *  only (CPython), '+ ' actual only (wasm). */
export function diffLines(expected, actual) {
  const n = expected.length;
  const m = actual.length;
  const lcs = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = expected[i] === actual[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) {
      out.push(`  ${expected[i++]}`);
      j++;
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out.push(`+ ${actual[j++]}`);
    } else {
      out.push(`- ${expected[i++]}`);
    }
  }
  return out.join('\n');
}
