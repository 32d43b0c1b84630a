// The TypeScript declarations (src/wasyncio.d.mts): a strict tsc over a
// typed program using every export, and every runtime export declared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as wasyncio from 'wasyncio';

test('tsc --strict accepts tests/types/usage.ts against the declarations', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const project = fileURLToPath(new URL('./types/tsconfig.json', import.meta.url));
  const r = spawnSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('every value the module exports is declared, and nothing declared is missing', () => {
  const dts = readFileSync(new URL('../../src/js/wasyncio.d.mts', import.meta.url), 'utf8');
  const declared = [...dts.matchAll(/^export declare (?:class|function) (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(declared, Object.keys(wasyncio).sort());
});
