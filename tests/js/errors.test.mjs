// The error classes of the JS API: ExceptionGroup (Python's, with split,
// subgroup and derive), CancelledError, TimeoutError, InvalidStateError, and
// errors crossing between JS and C. split's structure and the order in which
// a predicate is called were checked against CPython 3.13's ExceptionGroup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, ExceptionGroup, InvalidStateError, TimeoutError } from 'wasyncio';
import { testRuntime, settle } from '../helpers.mjs';

class ValueError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ValueError';
  }
}

class KeyError extends Error {
  constructor(message) {
    super(message);
    this.name = 'KeyError';
  }
}

// 'ExceptionGroup(top, [ValueError(v1), ...])', as the Python programs print.
function show(e) {
  if (e === null) return 'null';
  if (e instanceof ExceptionGroup) return `ExceptionGroup(${e.message}, [${e.errors.map(show).join(', ')}])`;
  return `${e.name}(${e.message})`;
}

// top: [v1, mid: [t1, v2], t2]
function sample() {
  const v1 = new ValueError('v1');
  const v2 = new ValueError('v2');
  const t1 = new TypeError('t1');
  const t2 = new TypeError('t2');
  const mid = new ExceptionGroup('mid', [t1, v2]);
  const top = new ExceptionGroup('top', [v1, mid, t2]);
  return { v1, v2, t1, t2, mid, top };
}

test('ExceptionGroup is an AggregateError with a message, errors and Python\'s exceptions', () => {
  const { v1, mid, t2, top } = sample();
  assert.ok(top instanceof AggregateError);
  assert.ok(top instanceof Error);
  assert.equal(top.name, 'ExceptionGroup');
  assert.equal(top.message, 'top');
  assert.deepEqual(top.errors, [v1, mid, t2]);
  assert.equal(top.exceptions, top.errors);
  const fromSet = new ExceptionGroup('set', new Set([v1, t2]));
  assert.ok(Array.isArray(fromSet.errors));
  assert.equal(fromSet.errors[0], v1);
  assert.equal(fromSet.errors[1], t2);
});

test('ExceptionGroup constructor checks its arguments', () => {
  const v = new ValueError('v');
  assert.throws(() => new ExceptionGroup(42, [v]), { name: 'TypeError', message: 'ExceptionGroup: message must be a string, not 42' });
  assert.throws(() => new ExceptionGroup('m', []), { name: 'TypeError', message: 'ExceptionGroup: errors must not be empty' });
  assert.throws(() => new ExceptionGroup('m', 5), { name: 'TypeError', message: 'ExceptionGroup: errors must be iterable, not 5' });
  assert.throws(() => new ExceptionGroup('m', null), { name: 'TypeError', message: 'ExceptionGroup: errors must be iterable, not null' });
  assert.throws(() => new ExceptionGroup('m'), { name: 'TypeError' });
});

test('split by name keeps the nesting; leaves are the same objects; groups are derived', () => {
  const { v1, v2, t1, t2, mid, top } = sample();
  const [match, rest] = top.split('ValueError');
  assert.equal(show(match), 'ExceptionGroup(top, [ValueError(v1), ExceptionGroup(mid, [ValueError(v2)])])');
  assert.equal(show(rest), 'ExceptionGroup(top, [ExceptionGroup(mid, [TypeError(t1)]), TypeError(t2)])');
  assert.equal(match.errors[0], v1);
  assert.equal(match.errors[1].errors[0], v2);
  assert.equal(rest.errors[0].errors[0], t1);
  assert.equal(rest.errors[1], t2);
  assert.notEqual(match, top);
  assert.notEqual(match.errors[1], mid);
  assert.ok(match instanceof ExceptionGroup && match.errors[1] instanceof ExceptionGroup);
  assert.equal(show(top), 'ExceptionGroup(top, [ValueError(v1), ExceptionGroup(mid, [TypeError(t1), ValueError(v2)]), TypeError(t2)])', 'the original is unchanged');
});

test('split by class: an Error subclass, the exported classes, ExceptionGroup itself', () => {
  const { top } = sample();
  const [match, rest] = top.split(TypeError);
  assert.equal(show(match), 'ExceptionGroup(top, [ExceptionGroup(mid, [TypeError(t1)]), TypeError(t2)])');
  assert.equal(show(rest), 'ExceptionGroup(top, [ValueError(v1), ExceptionGroup(mid, [ValueError(v2)])])');
  const [none, all] = top.split(KeyError);
  assert.equal(none, null);
  assert.equal(show(all), show(top));
  const [whole, nothing] = top.split(ExceptionGroup);
  assert.equal(whole, top, 'a condition that matches the group gives the group itself');
  assert.equal(nothing, null);
  const mixed = new ExceptionGroup('m', [new CancelledError('c'), new TimeoutError('t'), new InvalidStateError('i')]);
  assert.equal(show(mixed.split(TimeoutError)[0]), 'ExceptionGroup(m, [TimeoutError(t)])');
  assert.equal(show(mixed.split(CancelledError)[1]), 'ExceptionGroup(m, [TimeoutError(t), InvalidStateError(i)])');
});

test('split by predicate: tried on the groups too (a matching nested group is kept whole), in Python\'s order', () => {
  const { mid, top } = sample();
  const calls = [];
  top.split((e) => {
    calls.push(`${e.name}:${e.message}`);
    return false;
  });
  assert.deepEqual(calls, ['ExceptionGroup:top', 'ValueError:v1', 'ExceptionGroup:mid', 'TypeError:t1', 'ValueError:v2', 'TypeError:t2']);
  const [match, rest] = top.split((e) => e.message.startsWith('v') || e.message === 'mid');
  assert.equal(show(match), 'ExceptionGroup(top, [ValueError(v1), ExceptionGroup(mid, [TypeError(t1), ValueError(v2)])])');
  assert.equal(match.errors[1], mid);
  assert.equal(show(rest), 'ExceptionGroup(top, [TypeError(t2)])');
  const [leaves, none] = top.split((e) => !(e instanceof ExceptionGroup));
  assert.notEqual(leaves, top, 'every leaf matching still derives a new group');
  assert.equal(show(leaves), show(top));
  assert.equal(none, null);
});

test('subgroup is the matching part of split, or null; derive keeps the message', () => {
  const { t1, top } = sample();
  assert.equal(show(top.subgroup('TypeError')), 'ExceptionGroup(top, [ExceptionGroup(mid, [TypeError(t1)]), TypeError(t2)])');
  assert.equal(top.subgroup(KeyError), null);
  assert.equal(top.subgroup(() => true), top);
  const derived = top.derive([t1]);
  assert.ok(derived instanceof ExceptionGroup);
  assert.notEqual(derived, top);
  assert.equal(show(derived), 'ExceptionGroup(top, [TypeError(t1)])');
  assert.equal(derived.errors[0], t1);
  assert.throws(() => top.derive([]), { name: 'TypeError', message: 'ExceptionGroup: errors must not be empty' });
});

test('split rejects a condition that is not a name, a class or a predicate', () => {
  const { top } = sample();
  assert.throws(() => top.split(42), {
    name: 'TypeError', message: 'split: condition must be an error name, an Error class or a predicate, not 42',
  });
  assert.throws(() => top.subgroup(null), { name: 'TypeError' });
});

test('CancelledError, TimeoutError and InvalidStateError are Errors with their names and an empty default message', () => {
  for (const [Class, name] of [[CancelledError, 'CancelledError'], [TimeoutError, 'TimeoutError']]) {
    const e = new Class();
    assert.ok(e instanceof Error);
    assert.equal(e.name, name);
    assert.equal(e.message, '');
    assert.equal(new Class('m').message, 'm');
  }
  const i = new InvalidStateError('x');
  assert.ok(i instanceof Error);
  assert.equal(i.name, 'InvalidStateError');
  assert.equal(i.message, 'x');
});

test('C errors reach JS as the class of their type when there is one, else an Error named after the type; the same object each time', async () => {
  const { rt } = await testRuntime();
  const cases = [
    ['TimeoutError', TimeoutError],
    ['InvalidStateError', InvalidStateError],
    ['ValueError', Error],
  ];
  for (const [type, Class] of cases) {
    const t = rt.createTask('fail', { ms: 1, type, message: `a ${type}` });
    const r = await settle(t);
    assert.ok(r.error instanceof Class, type);
    assert.equal(r.error.name, type);
    assert.equal(r.error.message, `a ${type}`);
    assert.equal(t.exception(), r.error, type);
    assert.equal((await settle(t)).error, r.error, type);
  }
});

test('a task group\'s ExceptionGroup splits like any other: C errors by name, JS errors by class, the objects thrown', async () => {
  const { rt } = await testRuntime();
  const jsError = new KeyError('js');
  const r = await settle(rt.taskGroup(async (tg) => {
    tg.createTask('fail', { ms: -1, type: 'ValueError', message: 'c' });
    tg.createTask(async () => {
      throw jsError;
    });
  }));
  const eg = r.error;
  assert.ok(eg instanceof ExceptionGroup && eg instanceof AggregateError);
  assert.equal(eg.exceptions, eg.errors);
  assert.equal(show(eg), 'ExceptionGroup(unhandled errors in a TaskGroup, [ValueError(c), KeyError(js)])');
  const [keys, rest] = eg.split(KeyError);
  assert.equal(keys.errors[0], jsError);
  assert.equal(keys.message, 'unhandled errors in a TaskGroup');
  assert.equal(show(rest), 'ExceptionGroup(unhandled errors in a TaskGroup, [ValueError(c)])');
  assert.equal(rest.errors[0], eg.errors[0]);
  assert.equal(show(eg.subgroup('ValueError')), show(rest));
});

test('an ExceptionGroup thrown by a JS child passes through the C group as the same object, its children too', async () => {
  const { rt } = await testRuntime();
  const a = new ValueError('a');
  const b = new KeyError('b');
  const thrown = new ExceptionGroup('mine', [a, new ExceptionGroup('deeper', [b])]);
  const r = await settle(rt.taskGroup(async (tg) => {
    tg.createTask(async () => {
      throw thrown;
    });
  }));
  assert.equal(r.error.errors.length, 1);
  assert.equal(r.error.errors[0], thrown);
  assert.equal(r.error.errors[0].errors[0], a);
  assert.equal(r.error.errors[0].errors[1].errors[0], b);
  assert.equal(r.error.subgroup(KeyError).errors[0].errors[0].errors[0], b);
});
