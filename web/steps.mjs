// Scenario steps for the page's editor: compact JSON (one step per line)
// and the presets, one per seed cell and a few more. Pure: tested in Node.

const isStep = (x) => Array.isArray(x) && typeof x[0] === 'string';
const isStepList = (x) => Array.isArray(x) && x.length > 0 && x.every(isStep);
const isHandlers = (x) => x !== null && typeof x === 'object' && !Array.isArray(x)
  && Object.keys(x).length > 0 && Object.values(x).every((v) => isStepList(v) || (Array.isArray(v) && !v.length));

function formatStep(step, depth) {
  return `[${step.map((x) => formatValue(x, depth)).join(', ')}]`;
}

// A step holding no step list (nor handlers): it is all one line.
const isLeaf = (step) => step.every((x) => !isStepList(x) && !isHandlers(x));

function formatValue(x, depth) {
  const pad = '  '.repeat(depth);
  if (isStepList(x) && x.length === 1 && isLeaf(x[0]) && depth > 0) return `[${formatStep(x[0], depth)}]`;
  if (isStepList(x)) {
    return `[\n${x.map((s) => `${pad}  ${formatStep(s, depth + 1)}`).join(',\n')}\n${pad}]`;
  }
  if (isHandlers(x)) {
    return `{${Object.entries(x).map(([k, v]) => `${JSON.stringify(k)}: ${formatValue(v, depth)}`).join(', ')}}`;
  }
  return JSON.stringify(x);
}

/** Steps as compact JSON: each step on a line of its own, nested step
 *  lists indented under the step that holds them, except a nested list of
 *  one simple step, kept on its step's line (["spawn", "a", [["sleep", 5]]]:
 *  the 10,000-task preset is then 10,000 lines, not 30,000). JSON.parse
 *  gives the steps back. */
export function formatSteps(steps) {
  return isStepList(steps) ? formatValue(steps, 0) : JSON.stringify(steps);
}

/** Reads the editor's text: the steps, or throws an Error saying why not. */
export function parseSteps(text) {
  let steps;
  try {
    steps = JSON.parse(text);
  } catch (error) {
    throw new Error(`the steps are not JSON: ${error.message}`);
  }
  if (!Array.isArray(steps)) throw new Error('the steps must be a JSON array of steps, like [["log", "hi"]]');
  return steps;
}

// some_coro(param): sleeps a second; when cancelled says so and re-raises.
const someCoro = (param) => [
  ['try', [['sleep', 1000], ['log', `Completed coro with param: ${param}`], ['return', param]],
    { CancelledError: [['log', `Cancelled coro with param: ${param}`], ['reraise']] }],
];
const job = (id, ms) => [['log', `Task ${id}: start`], ['sleep', ms], ['log', `Task ${id}: done`]];
const factorial = (name, n) => {
  const steps = [];
  for (let i = 2; i <= n; i++) steps.push(['log', `Task ${name}: Compute factorial(${n}), currently i=${i}...`], ['sleep', 1000]);
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return [...steps, ['log', `Task ${name}: factorial(${n}) = ${f}`], ['return', f]];
};

/** `count` tasks: groups of 100 children each, starting 5 ms apart, each
 *  child sleeping 50 to 450 ms. */
export function manyTasks(count = 10000) {
  const groups = [];
  for (let g = 0; g * 100 < count; g++) {
    const kids = [];
    for (let i = 0; i < 100 && g * 100 + i < count; i++) kids.push(['spawn', `t${g}.${i}`, [['sleep', 50 + ((g * 37 + i * 11) % 400)]]]);
    groups.push(['spawn', `g${g}`, [['sleep', g * 5], ['group', kids]]]);
  }
  return [['group', groups], ['log_time', `${count} tasks done`]];
}

/** name -> steps (a function for the big one: made when chosen). */
export const PRESETS = {
  'some_coro(7)': () => someCoro(7),
  'ten some_coro tasks, cancel three': () => [
    ...Array.from({ length: 10 }, (_, i) => ['spawn', `c${i}`, someCoro(i)]),
    ['sleep', 0],
    ['cancel', 'c7', null], ['cancel', 'c2', null], ['cancel', 'c5', null],
    ...Array.from({ length: 10 }, (_, i) => ['try', [['await', `c${i}`]], { CancelledError: [['log', `c${i} -> cancelled`]] }]),
  ],
  'display_date()': () => [['log_time', 'date'], ['sleep', 500], ['log_time', 'date'], ['sleep', 500], ['log_time', 'date']],
  'job(1, 500)': () => job(1, 500),
  'factorial("A", 3)': () => factorial('A', 3),
  'task group cell': () => [
    ['group', [['spawn', 'job1', job(1, 1000)], ['spawn', 'job2', job(2, 2000)]]],
    ['log', 'Both tasks have completed now.'],
  ],
  'terminate cell': () => [
    ['try', [
      ['group', [
        ...[500, 1500, 2500, 3500].map((ms, i) => ['spawn', `job${i + 1}`, job(i + 1, ms)]),
        ['sleep', 1000],
        ['spawn', 'terminator', [['raise', 'TerminateTaskGroup', '']]],
      ]],
    ], { ExceptionGroup: [['log', 'Task group terminated.']] }],
  ],
  'gather cell': () => [['gather', [['A', factorial('A', 2)], ['B', factorial('B', 3)], ['C', factorial('C', 4)]], false]],
  'factorial(4) with a 1.5 s timeout': () => [
    ['spawn', 'T', factorial('T', 4)],
    ['try', [['timeout', 1500, [['await', 'T']]]], { TimeoutError: [['log_time', 'timed out'], ['log_error']] }],
  ],
  'a child fails: the group cancels the rest': () => [
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
  'gather with returnExceptions': () => [
    ['gather', [
      ['x', [['sleep', 300], ['return', 1]]],
      ['y', [['sleep', 100], ['raise', 'KeyError', 'k']]],
      ['z', [['sleep', 200], ['return', 'three']]],
    ], true],
  ],
  'nested timeouts': () => [
    ['try', [
      ['timeout', 1000, [
        ['try', [['timeout', 200, [['sleep', 500]]]], { TimeoutError: [['log_time', 'inner timed out'], ['log_error']] }],
        ['sleep', 2000],
      ]],
    ], { TimeoutError: [['log_time', 'outer timed out']] }],
  ],
  'shield keeps the inner task running': () => [
    ['spawn', 'inner', [['sleep', 1000], ['log_time', 'inner done'], ['return', 42]]],
    ['try', [['timeout', 300, [['shield', 'inner']]]], { TimeoutError: [['log_time', 'gave up waiting']] }],
    ['await', 'inner'],
  ],
  '10,000 tasks (100 groups of 100)': () => manyTasks(10000),
};
