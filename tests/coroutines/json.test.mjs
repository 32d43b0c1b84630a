// The scenario interpreter's JSON parser (src/coroutines/json.c): its C checks
// (tests/c/json_test.c) built to wasm with a 16 KiB stack, as tasks have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const buildDir = process.env.WASYNCIO_BUILD ?? 'build';

test('the JSON parser passes its checks: grammar, escapes, spans, depth limit, errors with offsets', () => {
  const program = fileURLToPath(new URL(`../../${buildDir}/json_test.cjs`, import.meta.url));
  const r = spawnSync(process.execPath, [program], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /^\d+ checks, 0 failed$/m);
});
