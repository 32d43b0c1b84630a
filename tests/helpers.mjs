// Shared by the tests: a runtime on the test module (the product's
// coroutines plus tests/c/*.c), on the virtual clock unless asked otherwise,
// collecting printed lines and reported errors.
import { createRuntime } from '../src/wasyncio.mjs';

export const testModule = {
  factory: () => import('../build/wasyncio_test.mjs'),
  wasm: new URL('../build/wasyncio_test.wasm', import.meta.url),
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
