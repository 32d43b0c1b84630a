// Forcing garbage collection in a test (Node only: tests/helpers.mjs is
// loaded by the browser bench page too, so this lives apart).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** V8's gc(), made available without a command-line flag. */
export const gc = runInNewContext('gc');

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Collects garbage until rt's task count is at most `baseline`, or stops
 *  going down: FinalizationRegistry callbacks run on later turns. */
export async function collectTasks(rt, baseline) {
  for (let round = 0, last = Infinity, stale = 0; round < 40 && stale < 6; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 2 ** stale));
    await tick();
    const { tasks } = rt.stats();
    if (tasks <= baseline) return;
    stale = tasks < last ? 0 : stale + 1;
    last = tasks;
  }
}
