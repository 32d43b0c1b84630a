// What tests/sync/*.test.mjs share: the expected logs, printed by CPython
// 3.13 running tests/sync/sync.py, and a way to run the same scenario with
// JS tasks (and C tasks) on a fresh runtime, on the virtual clock.
//
// A scenario's JS twin gets {rt, ctx, log, soon, settle}: log(line) adds a
// line to the same list the C probes print to (so C and JS lines come in
// the order they happened), soon(f) is loop.call_soon(f) (a task whose
// first step calls f: one handle queued now, as call_soon queues one), and
// settle(label, x) awaits x and logs how it ended, as sync.py's settle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testRuntime } from '../helpers.mjs';
import { findPython } from '../coroutines/scenario/harness.mjs';

const SCRIPT = fileURLToPath(new URL('./sync.py', import.meta.url));
const logs = new Map(); // prefix -> Map(name -> log)

/** The logs CPython prints for the scenarios whose names start with
 *  prefix, by name (one run of sync.py per prefix). */
export function expectedLogs(prefix) {
  if (!logs.has(prefix)) {
    const { cmd, env } = findPython();
    const r = spawnSync(cmd, [SCRIPT, prefix], { env, encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, `sync.py ${prefix} failed: ${r.stderr}`);
    const byName = new Map();
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const at = line.indexOf(': ');
      byName.set(line.slice(0, at), line.slice(at + 2));
    }
    logs.set(prefix, byName);
  }
  return logs.get(prefix);
}

export const exc = (e) => `${e?.name}: ${e?.message}`;
export const yn = (b) => (b ? 'yes' : 'no');

/** An item as sync.py's show() prints it. */
export function show(x) {
  if (x instanceof Uint8Array) return `bytes:${Buffer.from(x).toString('hex')}`;
  return x === undefined ? 'null' : JSON.stringify(x);
}

/** Defines a test that runs fn as the scenario `name` of sync.py (its
 *  prefix is what comes before the first '_') and compares the logs. */
export function scenario(name, fn) {
  test(`${name} logs what CPython 3.13 logs`, async () => {
    const expected = expectedLogs(name.slice(0, name.indexOf('_') + 1)).get(name);
    assert.ok(expected !== undefined, `sync.py has no scenario ${name}`);
    const { rt, lines, errors } = await testRuntime();
    const log = (line) => lines.push(line);
    const soon = (f) => rt.createTask(async () => {
      f();
    }, { name: 'call_soon' });
    await rt.run(async (ctx) => {
      const settle = async (label, x) => {
        try {
          const v = await ctx.wait(x);
          log(`${label} ok ${v !== undefined && v !== null ? show(v) : ''}`.trimEnd());
        } catch (e) {
          log(`${label} ${exc(e)}`);
        }
      };
      await fn({ rt, ctx, log, soon, settle });
    }, { close: true });
    assert.equal(lines.join('; '), expected);
    assert.deepEqual(errors.map((e) => e.message), [], 'nothing reported to onError');
  });
}
