// Shared by the tests: a runtime on the test module (the product's
// coroutines plus tests/c/*.c), on the virtual clock unless asked otherwise,
// collecting printed lines and reported errors.
import { createRuntime } from 'wasyncio';

// WASYNCIO_BUILD=dir runs the tests on a module built there (scripts/build.sh).
const buildDir = globalThis.process?.env?.WASYNCIO_BUILD ?? 'build'; // also loaded in the browser
export const testModule = {
  factory: () => import(new URL(`../${buildDir}/wasyncio_test.mjs`, import.meta.url)),
  wasm: new URL(`../${buildDir}/wasyncio_test.wasm`, import.meta.url),
};

export async function testRuntime(options = {}) {
  const lines = [];
  const errors = [];
  const rt = await createRuntime({
    clock: 'virtual',
    module: testModule,
    print: (line) => lines.push(line),
    onError: (message, error) => errors.push({ message, error }),
    ...options,
  });
  return { rt, lines, errors };
}

/** Awaits p and tells how it settled, without throwing. */
export async function settle(p) {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}
