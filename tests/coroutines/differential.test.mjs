// Differential test: random scenarios (tests/coroutines/scenario/LANGUAGE.md), made
// and run on CPython 3.13's asyncio by tests/coroutines/scenario/reference.py in one
// Python process, then each run here by src/coroutines/scenario.c on a fresh runtime.
// Both must print the same lines and end the root the same way, and every
// task must be freed once the run is over.
//
//   SCENARIO_SEED=n   which scenarios (default below)
//   SCENARIO_COUNT=n  how many (default 500)
//
// CPython 3.13 is required: without it the test fails, saying so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { testModule, testRuntime } from '../helpers.mjs';
import { diffLines, findPython, runReference, runScenario } from './scenario/harness.mjs';

function envInt(name, fallback, min) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${name} must be an integer >= ${min}, not '${text}'`);
  return n;
}

const SEED = envInt('SCENARIO_SEED', 20240613, 0);
const COUNT = envInt('SCENARIO_COUNT', 500, 1);
const SHOWN = 5; // mismatches described in full

function describe(seed, index, c, got) {
  const parts = [
    `seed ${seed}, index ${index} (reproduce: PYENV_VERSION=3.13.0 python3 tests/coroutines/scenario/reference.py --generate ${seed} ${index + 1} --run | tail -1)`,
    `scenario: ${JSON.stringify(c.steps)}`,
  ];
  if (got.outcome !== c.outcome) parts.push(`outcome: CPython ${c.outcome}\n         wasm    ${got.outcome}`);
  if (JSON.stringify(got.lines) !== JSON.stringify(c.lines)) {
    parts.push(`lines (- CPython only, + wasm only):\n${diffLines(c.lines, got.lines)}`);
  }
  if (got.leaked) parts.push(`${got.leaked} task(s) still in memory after the run`);
  return parts.join('\n');
}

test(`differential: ${COUNT} random scenarios (seed ${SEED}) print the same lines and end the same way on CPython 3.13 and here`, async () => {
  findPython(); // throws, naming what it tried, when there is no CPython 3.13
  const cases = runReference(['--generate', String(SEED), String(COUNT), '--run']);
  assert.equal(cases.length, COUNT, 'reference.py ran every scenario');
  // Read the module once; each runtime compiles it from these bytes.
  const module = { ...testModule, wasm: await readFile(testModule.wasm) };
  const failures = [];
  for (const [index, c] of cases.entries()) {
    const { rt, lines } = await testRuntime({ module });
    const got = await runScenario(rt, lines, c.steps);
    if (got.outcome !== c.outcome || JSON.stringify(got.lines) !== JSON.stringify(c.lines) || got.leaked) {
      failures.push(describe(SEED, index, c, got));
    }
  }
  if (failures.length) {
    const more = failures.length > SHOWN ? `\n\n... and ${failures.length - SHOWN} more` : '';
    assert.fail(`${failures.length} of ${COUNT} scenarios differ from CPython:\n\n${failures.slice(0, SHOWN).join('\n\n')}${more}`);
  }
});
