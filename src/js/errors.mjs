// errors.mjs: the error classes of the JS API. A C error reaches JavaScript
// as one of these when its type has a class here, otherwise as an Error
// whose name is the C type ('ValueError', ...).

export class CancelledError extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'CancelledError';
  }
}

export class InvalidStateError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvalidStateError';
  }
}

/** Raised when wasm memory has no room for what a call needs; only the
 *  call or task concerned fails, and the runtime goes on. */
export class MemoryError extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'MemoryError';
  }
}

/** What a timeout or waitFor raises when its deadline passes. */
export class TimeoutError extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** What a queue's getNowait raises when it is empty. */
export class QueueEmpty extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'QueueEmpty';
  }
}

/** What a queue's putNowait raises when it is full. */
export class QueueFull extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'QueueFull';
  }
}

/** What a queue's puts (and, once it is empty, gets) raise after its
 *  shutdown(). */
export class QueueShutDown extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'QueueShutDown';
  }
}

/** What a barrier's wait raises after it was aborted or reset. */
export class BrokenBarrierError extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'BrokenBarrierError';
  }
}

/**
 * Python's ExceptionGroup: several errors raised together, as a task group
 * raises its children's errors. `errors` may hold nested groups.
 */
export class ExceptionGroup extends AggregateError {
  constructor(message, errors) {
    if (typeof message !== 'string') {
      throw new TypeError(`ExceptionGroup: message must be a string, not ${describe(message)}`);
    }
    if (errors === null || typeof errors?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`ExceptionGroup: errors must be iterable, not ${describe(errors)}`);
    }
    const list = [...errors];
    if (list.length === 0) throw new TypeError('ExceptionGroup: errors must not be empty');
    super(list, message);
    this.name = 'ExceptionGroup';
  }

  /** Python's name for `errors`. */
  get exceptions() {
    return this.errors;
  }

  /**
   * [match, rest]: the errors that satisfy condition and those that do not,
   * each as a group with the same nesting, or null when empty. condition is
   * an error name ('ValueError'), a class, or a predicate; it is tried on
   * the groups too, so 'ExceptionGroup' matches a whole group.
   */
  split(condition) {
    return this.#split(toPredicate(condition, 'split'), new Set());
  }

  // `errors` is a mutable array, so a group may hold itself: one met again
  // on the way down counts as a leaf.
  #split(test, seen) {
    if (test(this)) return [this, null];
    seen.add(this);
    const match = [];
    const rest = [];
    for (const error of this.errors) {
      if (Object(error) === error && #split in error && !seen.has(error)) {
        const [m, r] = error.#split(test, seen);
        if (m) match.push(m);
        if (r) rest.push(r);
      } else {
        (test(error) ? match : rest).push(error);
      }
    }
    seen.delete(this);
    return [match.length ? this.derive(match) : null, rest.length ? this.derive(rest) : null];
  }

  /** The part of split(condition) that matches, or null. */
  subgroup(condition) {
    return this.split(condition)[0];
  }

  /** A group with this one's message and other errors. */
  derive(errors) {
    return new ExceptionGroup(this.message, errors);
  }
}

function toPredicate(condition, what) {
  if (typeof condition === 'string') return (e) => e?.name === condition;
  if (typeof condition === 'function' && condition.prototype instanceof Error) {
    return (e) => e instanceof condition;
  }
  if (typeof condition === 'function') return condition;
  throw new TypeError(`${what}: condition must be an error name, an Error class or a predicate, not ${describe(condition)}`);
}

/** Makes an Error of the runtime's kind for a C error type and message. */
export function errorOfType(type, message) {
  switch (type) {
    case 'CancelledError':
      return new CancelledError(message);
    case 'TimeoutError':
      return new TimeoutError(message);
    case 'InvalidStateError':
      return new InvalidStateError(message);
    case 'MemoryError':
      return new MemoryError(message);
    case 'QueueEmpty':
      return new QueueEmpty(message);
    case 'QueueFull':
      return new QueueFull(message);
    case 'QueueShutDown':
      return new QueueShutDown(message);
    case 'BrokenBarrierError':
      return new BrokenBarrierError(message);
    default: {
      const error = new Error(message);
      error.name = type;
      return error;
    }
  }
}

/** A value, described for an error message (never throws). */
export function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'string') {
    return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value)}`;
  }
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `the bigint ${value}n`;
  if (attempt(() => Array.isArray(value), false)) return 'an array';
  return typeof value;
}

function attempt(fn, fallback) {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

const NOT_TEXT = /\0|\p{Cs}/u; // NUL, or a lone surrogate (a pair is one code point)

/** Throws a TypeError naming `what` when s cannot reach C unchanged: C
 *  strings end at NUL, and a lone surrogate is not Unicode text. */
export function checkText(s, what) {
  if (!s.includes('\0') && s.isWellFormed?.()) return s; // both native: fast on long text
  const bad = NOT_TEXT.exec(s);
  if (!bad) return s;
  const why = bad[0] === '\0' ? 'a NUL character' : `a lone surrogate (\\u${bad[0].charCodeAt(0).toString(16)})`;
  throw new TypeError(`${what} contains ${why} at index ${bad.index}, which a C string cannot carry`);
}

/** s with each NUL and lone surrogate replaced by U+FFFD, for text that C
 *  only displays (error messages, results JS keeps intact). */
export function wellFormed(s) {
  return s.replace(/\0|\p{Cs}/gu, '\uFFFD');
}

/** What C keeps of a thrown value: a type, a message, and a group's
 *  errors (null for others). Never throws, whatever the value's getters
 *  and traps do; a group already in `seen` is a leaf. */
export function errorParts(value, seen) {
  const isError = attempt(() => value instanceof Error, false);
  const isGroup = !seen.has(value) && attempt(() => value instanceof ExceptionGroup, false);
  const children = isGroup ? attempt(() => [...value.errors], null) : null;
  const name = isError ? attempt(() => value.name, undefined) : undefined;
  const type = typeof name === 'string' && name ? name : 'Error';
  const message = isError ? attempt(() => String(value.message), '')
    : attempt(() => String(value), `a thrown ${describe(value)} that has no string form`);
  return { type: wellFormed(type), message: wellFormed(message), children: children?.length ? children : null };
}
