// The scenario language (tests/coroutines/scenario/LANGUAGE.md) run by src/coroutines/scenario.c:
// every step, formatting, `return` unwinding, errors for malformed input;
// then one hand-written scenario per rule of ASYNCIO_SEMANTICS.md sections
// 3, 4, 6 and 7, plus C probes (tests/c/group_probes.c) for what steps
// cannot express.
//
// Expected lines and outcomes are literal. Those of every scenario not
// marked {cpython: false} are what tests/coroutines/scenario/reference.py prints for it
// on CPython 3.13; SCENARIO_CHECK_REFERENCE=1 re-checks them against
// CPython while the tests run. The {cpython: false} ones are the
// interpreter's own error messages, which LANGUAGE.md leaves to each side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testRuntime } from '../helpers.mjs';
import { runScenario, runReference } from './scenario/harness.mjs';

const CHECK_REFERENCE = !!process.env.SCENARIO_CHECK_REFERENCE;

/** Runs steps as a scenario and checks its lines and outcome, and that
 *  every task it made was freed. `on`: the {rt, lines} of an earlier call
 *  to run on (default: a fresh runtime), which is returned. The run ends
 *  with the runtime's shutdown (rt.close(), as asyncio.run) unless the
 *  runtime is to be used again: `on` given, or `keepOpen`. */
async function expectScenario(steps, lines, outcome, { cpython = true, on, keepOpen = false } = {}) {
  const session = on ?? await testRuntime();
  const got = await runScenario(session.rt, session.lines, steps, { shutdown: !on && !keepOpen });
  assert.deepEqual({ lines: got.lines, outcome: got.outcome }, { lines, outcome });
  assert.equal(got.leaked, 0, 'every task of the run is freed when it ends');
  if (CHECK_REFERENCE && cpython) {
    const text = typeof steps === 'string' ? steps : JSON.stringify(steps);
    const [py] = runReference([], `${text}\n`);
    assert.deepEqual(py, { lines, outcome }, 'CPython (reference.py) agrees');
  }
  return session;
}

// ["try", steps, {"*": [log_time label?, log_error]}]: catch anything, print it.
function caught(steps, label) {
  const handler = label ? [['log_time', label], ['log_error']] : [['log_error']];
  return ['try', steps, { '*': handler }];
}

// Sleeps ms; when cancelled, prints "<name> cancelled @t" and re-raises.
function noisy(name, ms = 100) {
  return [['try', [['sleep', ms]], { CancelledError: [['log_time', `${name} cancelled`], ['reraise']] }]];
}

// ---- the language ---------------------------------------------------------

test('log, log_time and sleep: the virtual clock starts at 0, times round half up to whole ms', async () => {
  await expectScenario(
    [['log', 'plain 100% text'], ['log_time', 't'], ['sleep', 10], ['log_time', 't'],
      ['sleep', 0.4], ['log_time', 'rounds down'], ['sleep', 0.2], ['log_time', 'rounds up'], ['sleep', 0], ['log_time', 'sleep 0']],
    ['plain 100% text', 't @0', 't @10', 'rounds down @10', 'rounds up @11', 'sleep 0 @11'],
    'return None');
});

test('values print as Python does: whole numbers as integers, others shortest round-trip, strings as themselves, None', async () => {
  // Text, not an array: JSON.stringify would turn -0.0 into 0.
  const values = ['3', '2.5', '0.30000000000000004', '1e-7', '0.0001', '1e21', '-0.0', '123456789.125',
    '5e-324', '"some text"'];
  const steps = values.map((v, i) => `["spawn","v${i}",[["return",${v}]]],["await","v${i}"]`);
  await expectScenario(`[${steps.join(',')},["spawn","none",[["log","no return"]]],["await","none"],["return",0.1]]`,
    ['v0 -> 3', 'v1 -> 2.5', 'v2 -> 0.30000000000000004', 'v3 -> 1e-07', 'v4 -> 0.0001',
      'v5 -> 1000000000000000000000', 'v6 -> -0', 'v7 -> 123456789.125', 'v8 -> 5e-324', 'v9 -> some text',
      'no return', 'none -> None'],
    'return 0.1');
});

test('raise: errors print as Type(message); a null message as Type()', async () => {
  await expectScenario([caught([['raise', 'KeyError', 'k']]), caught([['raise', 'Oops', null]]), ['raise', 'ValueError', null]],
    ['KeyError(k)', 'Oops()'], 'raise ValueError()');
});

test('try: handler keys are tried in order; "*" matches anything, CancelledError included; no match goes on', async () => {
  await expectScenario([
    ['try', [['raise', 'ValueError', 'v']], {
      KeyError: [['log', 'not KeyError']], '*': [['log', 'star first']], ValueError: [['log', 'too late']],
    }],
    ['spawn', 'c', [['try', [['sleep', 10]], { '*': [['log_error'], ['return', 'swallowed']] }]]],
    ['sleep', 1], ['cancel', 'c', 'm'], ['await', 'c'],
    ['try', [['try', [['raise', 'KeyError', 'k']], { ValueError: [['log', 'no']] }]], { KeyError: [['log', 'outer caught it']] }],
    ['try', [['raise', 'TypeError', 't']], { ValueError: [['log', 'no']] }],
  ], ['star first', 'CancelledError(m)', 'c -> swallowed', 'outer caught it'], 'raise TypeError(t)');
});

test('try: finally runs last, after a handler and on return; a handler\'s or finally\'s error replaces the one in flight; return in finally wins', async () => {
  await expectScenario([
    ['try', [['raise', 'ValueError', 'v']], { ValueError: [['log', 'handler']], finally: [['log', 'finally after handler']] }],
    caught([['try', [['raise', 'ValueError', 'v']], { ValueError: [['raise', 'KeyError', 'from handler']], finally: [['log', 'finally']] }]]),
    caught([['try', [['raise', 'ValueError', 'v']], { finally: [['raise', 'TypeError', 'from finally']] }]]),
    caught([['try', [['sleep', 1]], { finally: [['sleep', 1], ['log_time', 'finally may await'], ['raise', 'KeyError', 'after']] }]]),
    ['spawn', 'r', [['try', [['raise', 'ValueError', 'lost']], { finally: [['return', 'finally wins']] }]]],
    ['await', 'r'],
    ['try', [['return', 'from body']], { finally: [['log', 'finally on return']] }],
    ['log', 'not reached'],
  ], ['handler', 'finally after handler', 'finally', 'KeyError(from handler)', 'TypeError(from finally)',
    'finally may await @2', 'KeyError(after)', 'r -> finally wins', 'finally on return'],
  'return from body');
});

test('try: "ExceptionGroup" matches a group\'s error; log_error and reraise see the caught error, nested handlers their own', async () => {
  await expectScenario([
    ['try', [['group', [['spawn', 'a', [['raise', 'ValueError', 'a']]], ['sleep', 10]]]], {
      ValueError: [['log', 'not a plain ValueError']],
      ExceptionGroup: [
        ['log_error'],
        ['try', [['raise', 'KeyError', 'inner']], { KeyError: [['log_error']], finally: [['log_error']] }],
        ['group', [['log_error']]],
        ['reraise'],
      ],
    }],
  ], ['ExceptionGroup[ValueError(a)]', 'KeyError(inner)', 'ExceptionGroup[ValueError(a)]', 'ExceptionGroup[ValueError(a)]'],
  'raise ExceptionGroup[ValueError(a)]');
});

test('return unwinds through group, timeout and try: the group waits for its children, finally steps run, nothing after runs', async () => {
  await expectScenario([
    ['try', [
      ['timeout', 100, [
        ['group', [['spawn', 'child', [['sleep', 10], ['log_time', 'child done']]], ['return', 'early'], ['log', 'not reached 1']]],
        ['log', 'not reached 2']]],
      ['log', 'not reached 3']], { finally: [['log_time', 'finally ran']] }],
    ['log', 'not reached 4'],
  ], ['child done @10', 'finally ran @10'], 'return early');
});

test('return: a group exit that fails wins over the return, as in Python', async () => {
  await expectScenario([
    ['group', [['spawn', 'f', [['sleep', 5], ['raise', 'ValueError', 'child']]], ['return', 'lost']]],
  ], [], 'raise ExceptionGroup[ValueError(child)]');
});

test('return: the value in flight survives a finally whose own return was replaced by an error and caught', async () => {
  await expectScenario([
    ['spawn', 'a', [['try', [['return', 'X']], {
      finally: [['try', [['group', [['spawn', 'f', [['sleep', 1], ['raise', 'ValueError', 'v']]], ['return', 'Y']]]],
        { '*': [['log_error']] }]],
    }]]],
    ['await', 'a'],
  ], ['ExceptionGroup[ValueError(v)]', 'a -> X'], 'return None');
});

test('return from deep inside a spawned task is what awaiting it gives', async () => {
  await expectScenario([
    ['spawn', 'a', [['group', [['timeout', null, [['try', [['return', 42]], { finally: [['log', 'a finally']] }]]]]], ['log', 'no']]],
    ['await', 'a'],
  ], ['a finally', 'a -> 42'], 'return None');
});

test('uncancel: a task that cancels itself and uncancels goes on; without uncancel its next await is cancelled', async () => {
  await expectScenario([
    ['spawn', 'a', [['cancel', 'a', 'self'], ['uncancel'], ['sleep', 1], ['return', 'went on']]],
    ['await', 'a'],
    ['spawn', 'b', [['cancel', 'b', 'self'], ['sleep', 1], ['return', 'not reached']]],
    caught([['await', 'b']]),
  ], ['a -> went on', 'CancelledError(self)'], 'return None');
});

test('spawn: in a group body into the group, and a child inherits it; gather children are plain tasks even there', async () => {
  await expectScenario([
    ['group', [
      ['spawn', 'a', [['sleep', 5], ['spawn', 'b', [['sleep', 10], ['log_time', 'b (joined the group)']]]]],
      ['gather', [['g', [['spawn', 'c', [['sleep', 30], ['log_time', 'c (plain task)']]]]]], false],
    ]],
    ['log_time', 'after group'],
    ['sleep', 20], // c outlives the group; the shutdown would cancel it once the root ends
  ], ['gather -> [None]', 'b (joined the group) @15', 'after group @15', 'c (plain task) @30'], 'return None');
});

test('spawn: an id spawned again refers to the newer task', async () => {
  await expectScenario([
    ['spawn', 'x', [['return', 'first']]], ['spawn', 'x', [['sleep', 1], ['return', 'second']]], ['await', 'x'],
  ], ['x -> second'], 'return None');
});

test('steps may be given as JSON text or as an array the JS layer stringifies', async () => {
  const s = await expectScenario('[["log", "from text"], ["return", "t"]]', ['from text'], 'return t', { keepOpen: true });
  await expectScenario([['log', 'from array'], ['return', 'a']], ['from array'], 'return a', { on: s });
});

test('deep nesting (30 levels of group, timeout and try) suspends fine on the default 16 KiB stack and 4 KiB Asyncify buffer', async () => {
  let steps = [['sleep', 1], ['log_time', 'innermost']];
  for (let i = 0; i < 30; i++) {
    steps = [[['group', steps], ['timeout', 1000, steps], ['try', steps, { finally: [['sleep', 0]] }]][i % 3]];
  }
  await expectScenario(steps, ['innermost @1'], 'return None');
});

// ---- errors the interpreter raises --------------------------------------------

test('malformed JSON fails with ScenarioError saying where; the runtime stays usable', async () => {
  const s = await expectScenario('[["log", "a"],', [], 'raise ScenarioError(malformed JSON: JSON error at offset 14: unexpected end of input)', { cpython: false, keepOpen: true });
  await expectScenario(`${'['.repeat(70)}${']'.repeat(70)}`, [], 'raise ScenarioError(malformed JSON: JSON error at offset 64: nesting too deep)', { cpython: false, on: s });
  await expectScenario([['log', 'still works']], ['still works'], 'return None', { on: s });
});

test('an unknown step fails the task with ScenarioError naming the step; the steps before it ran', async () => {
  const s = await expectScenario([['log', 'a'], ['sleep', 1], ['slep', 5], ['log', 'b']], ['a'],
    'raise ScenarioError(step 3: unknown step "slep")', { cpython: false, keepOpen: true });
  await expectScenario([['log', 'after']], ['after'], 'return None', { on: s });
});

test('wrong arguments fail with ScenarioError naming the step', async () => {
  const s = await testRuntime();
  const bad = [
    [['sleep', 'x'], 'step 1: bad step ["sleep","x"]'],
    [['log'], 'step 1: bad step ["log"]'],
    [[], 'step 1: bad step []'],
    [[7, 'x'], 'step 1: bad step [7,"x"]'],
    [['return', null], 'step 1: bad step ["return",null]'],
    [['raise', 'E', 5], 'step 1: bad step ["raise","E",5]'],
    [['spawn', 'a', 'steps'], 'step 1: bad step ["spawn","a","steps"]'],
    [['cancel', 'a', 3], 'step 1: bad step ["cancel","a",3]'],
    [['group', [1]], 'step 1: bad step ["group",[1]]'],
    [['gather', [['a']], true], 'step 1: bad step ["gather",[["a"]],true]'],
    [['gather', [], 'yes'], 'step 1: bad step ["gather",[],"yes"]'],
    [['timeout', 'soon', []], 'step 1: bad step ["timeout","soon",[]]'],
    [['try', [], { '*': 'no' }], 'step 1: bad step ["try",[],{"*":"no"}]'],
    [['uncancel', 1], 'step 1: bad step ["uncancel",1]'],
  ];
  for (const [step, message] of bad) {
    await expectScenario([step], [], `raise ScenarioError(${message})`, { cpython: false, on: s });
  }
  await expectScenario({ not: 'a list' }, [], 'raise ScenarioError(bad step list {"not":"a list"} (want a list of steps))', { cpython: false, on: s });
  await expectScenario([['log', 'never'], 'not a step'], [], 'raise ScenarioError(bad step list [["log","never"],"not a step"] (want a list of steps))', { cpython: false, on: s });
  await expectScenario([['log', 'fine']], ['fine'], 'return None', { on: s });
});

test('unknown ids: ScenarioError(unknown task \'x\') for await, cancel and shield', async () => {
  const s = await expectScenario([['await', 'x']], [], "raise ScenarioError(unknown task 'x')", { keepOpen: true });
  await expectScenario([['cancel', 'y', null]], [], "raise ScenarioError(unknown task 'y')", { on: s });
  await expectScenario([['spawn', 'z', []], ['shield', 'z'], ['shield', 'Z']], ['z -> None'], "raise ScenarioError(unknown task 'Z')", { on: s });
  await expectScenario([['await', 5]], [], 'raise ScenarioError(unknown task 5)', { on: s });
});

test('log_error and reraise outside a handler fail with ScenarioError', async () => {
  const s = await expectScenario([['log_error']], [], 'raise ScenarioError(step 1: log_error outside a handler)', { cpython: false, keepOpen: true });
  await expectScenario([['log', 'x'], ['try', [['reraise']], { finally: [] }]], ['x'],
    'raise ScenarioError(step 1: reraise outside a handler)', { cpython: false, on: s });
});

test('a spawned task\'s ScenarioError reaches whoever awaits it', async () => {
  await expectScenario([['spawn', 'a', [['sleep', 1], ['bogus']]], caught([['await', 'a']])],
    ['ScenarioError(step 2: unknown step "bogus")'], 'return None', { cpython: false });
});

// ---- 3. Task groups -----------------------------------------------------------

test('TG1 the group waits for all its tasks; a child adds a task while the body waits at exit; a child cancelled on purpose disturbs nothing', async () => {
  await expectScenario([
    ['group', [
      ['spawn', 'a', [['sleep', 10], ['log_time', 'a done'], ['spawn', 'c', [['sleep', 10], ['log_time', 'c done']]]]],
      ['spawn', 'b', [['sleep', 100], ['log', 'b never']]],
      ['sleep', 1], ['cancel', 'b', null], ['log_time', 'body done']]],
    ['log_time', 'after group'], caught([['await', 'b']]), ['await', 'c'],
  ], ['body done @1', 'a done @10', 'c done @20', 'after group @20', 'CancelledError()', 'c -> None'], 'return None');
});

test('TG2 the first failure cancels the other children and the body at its await; exit waits for all; no CancelledError inside; nothing after the block runs', async () => {
  await expectScenario([
    ['group', [
      ['spawn', 'a', [['sleep', 10], ['raise', 'ValueError', 'boom']]],
      ['spawn', 'b', [['try', [['sleep', 100]], {
        CancelledError: [['log_time', 'b cancelled'], ['sleep', 5], ['log_time', 'b cleaned up'], ['reraise']],
      }]]],
      ['try', [['sleep', 100]], { CancelledError: [['log_time', 'body cancelled'], ['log_error'], ['reraise']] }],
      ['log', 'body not reached']]],
    ['log', 'after group not reached'],
  ], ['b cancelled @10', 'body cancelled @10', 'CancelledError()', 'b cleaned up @15'],
  'raise ExceptionGroup[ValueError(boom)]');
});

test('TG3 errors are always wrapped, even one; children in finishing order, the body\'s own error last', async () => {
  await expectScenario([
    caught([['group', [['spawn', 'one', [['sleep', 1], ['raise', 'ValueError', 'only']]], ['sleep', 100]]]]),
    ['group', [
      ['spawn', 'k', [['sleep', 20], ['raise', 'KeyError', 'k']]],
      ['spawn', 'v', [['sleep', 10], ['raise', 'ValueError', 'v']]],
      ['spawn', 't', [['sleep', 10], ['raise', 'TypeError', 't']]],
      ['try', [['sleep', 100]], { CancelledError: [['raise', 'RuntimeError', 'body']] }]]],
  ], ['ExceptionGroup[ValueError(only)]'], 'raise ExceptionGroup[ValueError(v), TypeError(t), RuntimeError(body)]');
});

test('TG4 the body raises: every child is cancelled, one not yet started never runs; [bodyError]', async () => {
  await expectScenario([
    ['group', [['spawn', 'a', noisy('a')], ['sleep', 0], ['spawn', 'b', [['log', 'b never runs']]], ['raise', 'ValueError', 'body']]],
  ], ['a cancelled @0'], 'raise ExceptionGroup[ValueError(body)]');
});

test('TG5 nested groups: the outer child fails first -> flat EG[ValueError]; the inner child first -> EG[EG[KeyError]]', async () => {
  const nested = (outerMs, innerMs) => caught([['group', [
    ['spawn', 'o', [['sleep', outerMs], ['raise', 'ValueError', 'outer child']]],
    ['group', [['spawn', 'i', [['sleep', innerMs], ['raise', 'KeyError', 'inner child']]], ['sleep', 100]]]]]]);
  await expectScenario([nested(5, 10), nested(10, 5)],
    ['ExceptionGroup[ValueError(outer child)]', 'ExceptionGroup[ExceptionGroup[KeyError(inner child)]]'], 'return None');
});

test('TG6 spawning into a group that is shutting down fails with that reason (and the child never runs)', async () => {
  await expectScenario([
    ['group', [
      ['spawn', 'f', [['sleep', 5], ['raise', 'ValueError', 'f']]],
      ['spawn', 'late', [['try', [['sleep', 100]], {
        CancelledError: [caught([['spawn', 'x', [['log', 'x never runs']]]], 'spawn refused'), ['reraise']],
      }]]],
      ['sleep', 100]]],
  ], ['spawn refused @5', 'RuntimeError(TaskGroup is shutting down)'], 'raise ExceptionGroup[ValueError(f)]');
});

test('TG6 create_task on a group not entered, or finished, fails with that reason (C probe)', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('tg6_spawn_states');
  assert.deepEqual(lines, [
    'not entered: RuntimeError: TaskGroup has not been entered',
    'entered: ok',
    'exit: ok',
    'after exit: RuntimeError: TaskGroup is finished',
  ]);
});

test('TG7 the owner cancelled from outside: children cancelled, plain CancelledError propagates; a real child error during cleanup wins', async () => {
  await expectScenario([
    ['spawn', 'owner', [['group', [['spawn', 'c', noisy('c')], ['sleep', 100]]], ['log', 'owner not reached']]],
    ['sleep', 10], ['cancel', 'owner', 'stop'], caught([['await', 'owner']], 'owner'),
    ['spawn', 'owner2', [['group', [
      ['spawn', 'd', [['try', [['sleep', 100]], { CancelledError: [['sleep', 1], ['raise', 'ValueError', 'cleanup failed']] }]]],
      ['sleep', 100]]]]],
    ['sleep', 10], ['cancel', 'owner2', 'stop'], caught([['await', 'owner2']], 'owner2'),
  ], ['c cancelled @10', 'owner @10', 'CancelledError(stop)', 'owner2 @21', 'ExceptionGroup[ValueError(cleanup failed)]'],
  'return None');
});

test('TG8 an outside cancel survives the ExceptionGroup: after catching it the next await is cancelled; one uncancel drops it', async () => {
  const inner = (id, child, after) => ['spawn', id, [
    ['try', [['group', [['spawn', child, [['sleep', 0], ['raise', 'RuntimeError', 'boom']]], ['sleep', 1000]]]],
      { ExceptionGroup: [['log_error']] }],
    ...after]];
  await expectScenario([
    inner('inner', 'e', [['log', 'caught'], ['sleep', 1000], ['log', 'not reached']]),
    ['sleep', 0], ['sleep', 0], ['cancel', 'inner', null], caught([['await', 'inner']], 'inner'),
    inner('inner2', 'e2', [['uncancel'], ['sleep', 10], ['log_time', 'after uncancel the next await runs']]),
    ['sleep', 0], ['sleep', 0], ['cancel', 'inner2', null], ['await', 'inner2'],
  ], ['ExceptionGroup[RuntimeError(boom)]', 'caught', 'inner @0', 'CancelledError()',
    'ExceptionGroup[RuntimeError(boom)]', 'after uncancel the next await runs @10', 'inner2 -> None'], 'return None');
});

test('TG8 cancelling() is 1 after catching the ExceptionGroup, and stays 1 (C probe of test_error_and_cancel)', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('tg8_outside_cancel');
  assert.deepEqual(lines, [
    'cancel true, cancelling 1',
    'inner caught, cancelling 1',
    'next await cancelled, cancelling 1',
    'inner cancelled true, cancelling 1',
  ]);
});

test('TG9 after catching the group\'s ExceptionGroup the owner\'s cancel level is back to 0, so a second group does not re-cancel it', async () => {
  // Were the level left at 1, the second group's exit would re-cancel the
  // owner (to keep an "outside" cancel alive) and the sleep would fail.
  await expectScenario([
    caught([['group', [['spawn', 'e1', [['raise', 'RuntimeError', 'first']]], ['sleep', 100]]]]),
    caught([['group', [['spawn', 'e2', [['raise', 'RuntimeError', 'second']]], ['sleep', 100]]]]),
    ['sleep', 10], ['log_time', 'next await runs'],
  ], ['ExceptionGroup[RuntimeError(first)]', 'ExceptionGroup[RuntimeError(second)]', 'next await runs @10'], 'return None');
});

test('TG9 cancelling() is 0 after catching the ExceptionGroup (C probe of test_cancelling_level_preserved)', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('tg9_level');
  assert.deepEqual(lines, ['group caught, cancelling 0', 'after, cancelling 0']);
});

test('TG10 an aborting group cancels the siblings (in creation order, as LANGUAGE.md fixes), then the body', async () => {
  await expectScenario([
    ['group', [
      ['spawn', 'a', noisy('a')], ['spawn', 'b', noisy('b')],
      ['spawn', 'f', [['sleep', 10], ['raise', 'ValueError', 'f']]],
      ['spawn', 'c', noisy('c')],
      ['try', [['sleep', 100]], { CancelledError: [['log_time', 'body cancelled'], ['reraise']] }]]],
  ], ['a cancelled @10', 'b cancelled @10', 'c cancelled @10', 'body cancelled @10'], 'raise ExceptionGroup[ValueError(f)]');
});

// ---- 4. gather ------------------------------------------------------------------

test('G1 results in argument order whatever the finishing order; with return_exceptions errors sit in their slots', async () => {
  await expectScenario([
    ['gather', [['a', [['sleep', 30], ['return', 1]]], ['b', [['sleep', 10], ['return', 'two']]], ['c', [['sleep', 20], ['return', 3.5]]]], false],
    ['gather', [['d', [['sleep', 5], ['raise', 'ValueError', 'd']]], ['e', [['sleep', 1], ['return', 5]]], ['f', []]], true],
  ], ['gather -> [1, two, 3.5]', 'gather -> [ValueError(d), 5, None]'], 'return None');
});

test('G2 without return_exceptions the first error reaches the awaiter at once; the other children are not cancelled and finish', async () => {
  await expectScenario([
    caught([['gather', [['a', [['sleep', 10], ['raise', 'ValueError', 'a']]],
      ['b', [['sleep', 30], ['log_time', 'b finished'], ['return', 2]]]], false]], 'gather failed'),
    ['await', 'b'],
  ], ['gather failed @10', 'ValueError(a)', 'b finished @30', 'b -> 2'], 'return None');
});

test('G3 the children start when gather is called and run side by side', async () => {
  await expectScenario([
    ['gather', [['a', [['log_time', 'a starts'], ['sleep', 10], ['log_time', 'a ends']]],
      ['b', [['log_time', 'b starts'], ['sleep', 20], ['log_time', 'b ends']]]], false],
    ['log_time', 'gathered'],
  ], ['a starts @0', 'b starts @0', 'a ends @10', 'b ends @20', 'gather -> [None, None]', 'gathered @20'], 'return None');
});

test('G4 cancelling the gather cancels every unfinished child with the message; the awaiter gets CancelledError even with return_exceptions', async () => {
  const logged = [['try', [['sleep', 100]], { CancelledError: [['log_error'], ['reraise']] }]];
  await expectScenario([
    ['spawn', 'w', [['gather', [['a', logged], ['b', [['return', 1]]], ['c', logged]], true]]],
    ['sleep', 10], ['cancel', 'w', 'stop'], caught([['await', 'w']], 'w'),
  ], ['CancelledError(stop)', 'CancelledError(stop)', 'w @10', 'CancelledError(stop)'], 'return None');
});

test('G5 one child cancelled on its own: without return_exceptions the awaiter gets CancelledError and the others run on; with it, CancelledError() in the slot', async () => {
  await expectScenario([
    caught([['gather', [['a', [['sleep', 100], ['log_time', 'a still ran']]], ['b', [['sleep', 100]]],
      ['x', [['sleep', 5], ['cancel', 'b', 'own']]]], false]], 'gather failed'),
    ['await', 'a'],
    // The slot never carries the message: a cancelled task's _cancel_message is None.
    ['gather', [['c', [['sleep', 100]]], ['d', [['sleep', 1], ['cancel', 'c', 'own'], ['return', 'd']]]], true],
  ], ['gather failed @5', 'CancelledError(own)', 'a still ran @100', 'a -> None', 'gather -> [CancelledError(), d]'],
  'return None');
});

test('G6 gather of nothing gives []', async () => {
  await expectScenario([['gather', [], false], ['gather', [], true]], ['gather -> []', 'gather -> []'], 'return None');
});

test('G6 the same task twice runs once, its result repeated; cancel() after done is false (C probe)', async () => {
  const { rt, lines } = await testRuntime();
  await rt.run('g6_repeats');
  assert.deepEqual(lines, ['[5, 5] runs 1, cancel after done false', 'gather() done true, 0 results']);
});

// ---- 6. shield ------------------------------------------------------------------

test('SH1 the awaiter of shield(inner) is cancelled; inner keeps running and finishes', async () => {
  await expectScenario([
    ['spawn', 'inner', [['sleep', 20], ['log_time', 'inner finished'], ['return', 7]]],
    ['spawn', 'w', [['shield', 'inner'], ['log', 'w not reached']]],
    ['sleep', 5], ['cancel', 'w', null], caught([['await', 'w']], 'w'), ['await', 'inner'],
  ], ['w @5', 'CancelledError()', 'inner finished @20', 'inner -> 7'], 'return None');
});

test('SH2 inner\'s result, error or cancellation (without its message) passes through to the awaiter', async () => {
  await expectScenario([
    ['spawn', 'r', [['sleep', 1], ['return', 'ok']]], ['shield', 'r'],
    ['spawn', 'e', [['sleep', 1], ['raise', 'KeyError', 'bad']]], caught([['shield', 'e']]),
    ['spawn', 'c', [['sleep', 10]]], ['spawn', 'k', [['sleep', 1], ['cancel', 'c', 'm']]], caught([['shield', 'c']]),
  ], ['r -> ok', 'KeyError(bad)', 'CancelledError()'], 'return None');
});

test('SH4 cancelling gather(shield(a), shield(b)) cancels the wrappers, not a and b', async () => {
  await expectScenario([
    ['spawn', 'a', [['sleep', 20], ['log_time', 'a finished'], ['return', 'A']]],
    ['spawn', 'b', [['sleep', 30], ['log_time', 'b finished'], ['return', 'B']]],
    ['spawn', 'w', [['gather', [['sa', [['shield', 'a']]], ['sb', [['shield', 'b']]]], false]]],
    ['sleep', 5], ['cancel', 'w', null], caught([['await', 'w']], 'w'),
    caught([['await', 'sa']]), ['await', 'a'], ['await', 'b'],
  ], ['w @5', 'CancelledError()', 'CancelledError()', 'a finished @20', 'a -> A', 'b finished @30', 'b -> B'], 'return None');
});

// ---- 7. timeouts ------------------------------------------------------------------

test('T1 expiry: the body sees CancelledError, outside it is TimeoutError, and the task is not left cancelled', async () => {
  await expectScenario([
    caught([['timeout', 10, [['try', [['sleep', 100]], {
      CancelledError: [['log_time', 'body sees'], ['log_error'], ['reraise']],
    }]]]], 'outside'),
    ['sleep', 5], ['log_time', 'not left cancelled'],
  ], ['body sees @10', 'CancelledError()', 'outside @10', 'TimeoutError()', 'not left cancelled @15'], 'return None');
});

test('T2 timeout(0) with no suspension inside exits normally; with sleep(0) inside it raises TimeoutError', async () => {
  await expectScenario([
    ['timeout', 0, [['log', 'no suspension']]], ['log', 'exited normally'],
    caught([['timeout', 0, [['sleep', 0], ['log', 'not reached']]]]),
  ], ['no suspension', 'exited normally', 'TimeoutError()'], 'return None');
});

test('T3 nested timeouts: same deadline -> only the outermost raises TimeoutError; a shorter inner one is caught and the outer goes on', async () => {
  await expectScenario([
    caught([['timeout', 10, [
      ['try', [['timeout', 10, [['sleep', 100]]]], { '*': [['log_time', 'inner exit raised'], ['log_error'], ['reraise']] }]]]],
    'outer exit raised'),
    ['timeout', 50, [
      ['try', [['timeout', 5, [['sleep', 100]]]], { TimeoutError: [['log_time', 'inner timed out']] }],
      ['sleep', 10], ['log_time', 'outer goes on']]],
    ['log_time', 'done'],
  ], ['inner exit raised @10', 'CancelledError()', 'outer exit raised @10', 'TimeoutError()',
    'inner timed out @15', 'outer goes on @25', 'done @25'], 'return None');
});

test('T4 a cancel from outside inside an unexpired timeout propagates as CancelledError', async () => {
  await expectScenario([
    ['spawn', 'w', [['timeout', 100, [['sleep', 50]]], ['log', 'not reached']]],
    ['sleep', 10], ['cancel', 'w', 'outside'], caught([['await', 'w']], 'w'),
  ], ['w @10', 'CancelledError(outside)'], 'return None');
});

test('T5 a body that swallows the cancel exits the timeout normally, and is not cancelled again', async () => {
  await expectScenario([
    ['timeout', 10, [['try', [['sleep', 100]], { CancelledError: [['log_time', 'swallowed']] }], ['sleep', 5], ['log_time', 'body goes on']]],
    ['log_time', 'after timeout'],
  ], ['swallowed @10', 'body goes on @15', 'after timeout @15'], 'return None');
});

test('a negative sleep or timeout is none, as asyncio.sleep(-0.001) and asyncio.timeout(-0.001) are', async () => {
  await expectScenario([['sleep', -1], ['log_time', 'slept']], ['slept @0'], 'return None');
  await expectScenario([['try', [['timeout', -5, [['sleep', 10], ['log', 'never']]]], { TimeoutError: [['log_time', 'timed out']] }]],
    ['timed out @0'], 'return None');
});
