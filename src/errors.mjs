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

/** What a timeout or waitFor raises when its deadline passes. */
export class TimeoutError extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'TimeoutError';
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
    const test = toPredicate(condition, 'split');
    if (test(this)) return [this, null];
    const match = [];
    const rest = [];
    for (const error of this.errors) {
      if (error instanceof ExceptionGroup) {
        const [m, r] = error.split(test);
        if (m) match.push(m);
        if (r) rest.push(r);
      } else {
        (test(error) ? match : rest).push(error);
      }
    }
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
    default: {
      const error = new Error(message);
      error.name = type;
      return error;
    }
  }
}

/** A value, described for an error message. */
export function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
