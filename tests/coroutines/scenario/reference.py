#!/usr/bin/env python3
"""Run scenarios (tests/coroutines/scenario/LANGUAGE.md) on CPython's own asyncio.

This is the CPython half of the differential test: src/coroutines/scenario.c runs the
same JSON step lists on the runtime, and the two outputs must match line for
line. Everything that decides scheduling here is the stdlib's (the event
loop's _run_once, Task, TaskGroup, gather, shield, timeout); this file only
supplies a virtual clock and pins down the two orders CPython leaves open.

Usage:
    python3 reference.py < scenarios.jsonl
        one JSON array (the root's steps) per input line; prints one line
        {"lines": [...], "outcome": "..."} per input line.
    python3 reference.py --generate SEED COUNT
        prints COUNT random well-formed scenarios, one JSON array per line.
    python3 reference.py --generate SEED COUNT --run
        prints {"steps": ..., "lines": ..., "outcome": ...} per scenario.
    python3 reference.py --generate SEED COUNT --histogram
        runs them and prints how often each kind of outcome occurred.

Written for CPython 3.13 (the version the runtime mirrors); it also runs on
3.11 and 3.12, whose TaskGroup and timeout semantics differ slightly.
"""

import asyncio
import collections
import heapq
import json
import logging
import math
import random
import selectors
import sys

# ---------------------------------------------------------------------------
# Virtual-clock event loop
# ---------------------------------------------------------------------------


class _VirtualSelector(selectors._BaseSelectorImpl):
    """A selector that never waits: asked to block for `timeout` seconds, it
    advances the virtual clock by that much instead. The loop only asks to
    block when nothing is ready, and then exactly until the earliest timer,
    so time jumps straight to the next deadline (like test_utils.TestLoop).

    timeout None means nothing is ready and no timer is pending: the loop
    would wait forever, so instead it is told to stop. That is how a run ends,
    whether every task finished or the rest are waiting on each other."""

    def __init__(self):
        super().__init__()
        self.on_block = None  # set by the loop: on_block(timeout or None)

    def select(self, timeout=None):
        self.on_block(timeout)
        return []


class _OrderedTimerHandle(asyncio.TimerHandle):
    """A timer that sorts by (deadline, scheduling order).

    CPython's heap compares deadlines only, so equal deadlines fire in an
    order that depends on the heap's shape; LANGUAGE.md fixes it to
    scheduling order. The deadline is compared in whole nanoseconds so that
    float noise (1 ms + 29 ms is 0.030000000000000002 s, 10 ms + 20 ms is
    0.03 s) does not split deadlines that are equal in milliseconds."""

    __slots__ = ("_key",)

    def __init__(self, when, callback, args, loop, context, seq):
        super().__init__(when, callback, args, loop, context)
        self._key = (round(when * 1e9), seq)

    def __lt__(self, other):
        return self._key < other._key

    def __le__(self, other):
        return self._key <= other._key

    def __gt__(self, other):
        return self._key > other._key

    def __ge__(self, other):
        return self._key >= other._key

    def __eq__(self, other):
        return self is other

    __hash__ = object.__hash__


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose clock starts at 0 and moves only when the
    loop would otherwise block. The clock is kept in integer nanoseconds so
    repeated advances do not accumulate float error."""

    def __init__(self):
        selector = _VirtualSelector()
        super().__init__(selector)
        selector.on_block = self._on_block
        self._now_ns = 0
        self._timer_seq = 0
        self._created = {}  # task -> creation number, for the shutdown
        # A timer is due when its deadline is below now + resolution; with
        # the clock snapped to whole ns, one ns absorbs float noise.
        self._clock_resolution = 1e-9

    def time(self):
        return self._now_ns / 1e9

    def create_task(self, coro, *, name=None, context=None):
        task = super().create_task(coro, name=name, context=context)
        self._created[task] = len(self._created)
        return task

    def creation_order(self, task):
        return self._created[task]

    def _on_block(self, timeout):
        if timeout is None:
            self.stop()
        else:
            self._now_ns += round(timeout * 1e9)

    def call_at(self, when, callback, *args, context=None):
        # Same as BaseEventLoop.call_at minus debug checks, but with a
        # handle that remembers its scheduling order (see _OrderedTimerHandle).
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        self._timer_seq += 1
        timer = _OrderedTimerHandle(when, callback, args, self, context,
                                    self._timer_seq)
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer


class _InsertionOrderedSet:
    """The subset of set() that TaskGroup uses on its _tasks, iterating in
    insertion order (a dict keeps that order)."""

    __slots__ = ("_items",)

    def __init__(self):
        self._items = {}

    def add(self, item):
        self._items[item] = None

    def discard(self, item):
        self._items.pop(item, None)

    def __contains__(self, item):
        return item in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __bool__(self):
        return bool(self._items)


class OrderedTaskGroup(asyncio.TaskGroup):
    """asyncio.TaskGroup whose abort cancels children in creation order.
    CPython keeps them in a set, so its order is unspecified; LANGUAGE.md
    fixes it to creation order. Nothing else changes."""

    def __init__(self):
        super().__init__()
        self._tasks = _InsertionOrderedSet()


# ---------------------------------------------------------------------------
# Errors and formatting
# ---------------------------------------------------------------------------

_error_classes = {}


def error_class(name):
    """The class a scenario's ["raise", name, msg] raises. CancelledError
    and TimeoutError are the real ones, since asyncio treats them specially;
    any other name gets an Exception subclass of its own, created once, so
    every name works and type(e).__name__ is exactly the scenario's name."""
    if name == "CancelledError":
        return asyncio.CancelledError
    if name == "TimeoutError":
        return TimeoutError
    cls = _error_classes.get(name)
    if cls is None:
        cls = _error_classes[name] = type(name, (Exception,), {})
    return cls


ScenarioError = error_class("ScenarioError")


def format_value(v):
    if v is None:
        return "None"
    if isinstance(v, BaseException):  # gather(return_exceptions=True)
        return format_error(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if float(v).is_integer():
            return "%.0f" % v
        return repr(float(v))  # shortest decimal that reads back the same
    return str(v)


def format_error(e):
    if isinstance(e, BaseExceptionGroup):
        return "ExceptionGroup[" + ", ".join(
            format_error(x) for x in e.exceptions) + "]"
    # The message is args[0], never str(e): str(KeyError("x")) adds quotes.
    msg = e.args[0] if e.args else None
    return "%s(%s)" % (type(e).__name__, "" if msg is None else msg)


# ---------------------------------------------------------------------------
# The interpreter
# ---------------------------------------------------------------------------


class Return:
    """What run() hands back when a `return` step ran. Each enclosing
    construct passes it outward after its own exit logic, just as a Python
    `return` leaves `async with` and `try` blocks; using a value rather than
    an exception keeps the stdlib context managers seeing a normal exit."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Ctx:
    """What one stretch of steps runs with. `table` and `out` are shared by
    the whole run; `group` (innermost task group) and `caught` (the error
    the enclosing handler caught) are per task and nest lexically."""

    __slots__ = ("table", "out", "group", "caught")

    def __init__(self, table, out, group=None, caught=None):
        self.table = table
        self.out = out
        self.group = group
        self.caught = caught

    def with_group(self, group):
        return Ctx(self.table, self.out, group, self.caught)

    def with_caught(self, caught):
        return Ctx(self.table, self.out, self.group, caught)

    def for_new_task(self, group):
        return Ctx(self.table, self.out, group, None)


def _bad(step):
    return ScenarioError("bad step " + json.dumps(step, separators=(",", ":")))


def _is_steps(x):
    return isinstance(x, list) and all(isinstance(s, list) for s in x)


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_ms(x):
    return _is_number(x)  # asyncio takes any delay; negative is none


def _lookup(ctx, task_id):
    task = ctx.table.get(task_id) if isinstance(task_id, str) else None
    if task is None:
        raise ScenarioError("unknown task %r" % (task_id,))
    return task


async def _task_main(steps, ctx):
    r = await run(steps, ctx)
    return None if r is None else r.value


def _spawn(ctx, task_id, steps):
    if ctx.group is None:
        task = asyncio.create_task(_task_main(steps, ctx.for_new_task(None)),
                                   name=task_id)
    else:
        group = ctx.group
        coro = _task_main(steps, ctx.for_new_task(group))
        try:
            task = group.create_task(coro, name=task_id)
        except RuntimeError as e:
            # CPython's message embeds the group's repr; LANGUAGE.md wants
            # the bare reason. (3.11/3.12 leave the coroutine unclosed.)
            coro.close()
            text = e.args[0] if e.args else ""
            for reason in ("is shutting down", "is finished",
                           "has not been entered"):
                if reason in text:
                    raise RuntimeError("TaskGroup " + reason) from None
            raise
    ctx.table[task_id] = task
    return task


def _handler_for(handlers, error):
    name = type(error).__name__
    for key, steps in handlers.items():
        if key == "finally":
            continue
        if (key == name or key == "*" or
                (key == "ExceptionGroup" and
                 isinstance(error, BaseExceptionGroup))):
            return steps
    return None


async def _try(ctx, body, handlers):
    # Spelled out rather than as Python try/except/finally so a `return` in
    # the finally steps can override the error in flight without a Python
    # `return` inside `finally:` (a SyntaxWarning from 3.14 on). The effect
    # is Python's: a handler's or finally's error replaces the one in
    # flight, and finally runs last in every case.
    result = error = None
    try:
        result = await run(body, ctx)
    except BaseException as e:
        error = e
    if error is not None:
        handler = _handler_for(handlers, error)
        if handler is not None:
            caught, error = error, None
            try:
                result = await run(handler, ctx.with_caught(caught))
            except BaseException as e:
                error = e
    final = handlers.get("finally")
    if final is not None:
        r = await run(final, ctx)
        if r is not None:
            return r
    if error is not None:
        raise error
    return result


async def run(steps, ctx):
    """Run a step list; returns a Return if a `return` step ran, else None."""
    if not _is_steps(steps):
        raise ScenarioError("bad step list " +
                            json.dumps(steps, separators=(",", ":")))
    for step in steps:
        if not step or not isinstance(step[0], str):
            raise _bad(step)
        op, n = step[0], len(step)

        if op == "log" and n == 2 and isinstance(step[1], str):
            ctx.out.append(step[1])

        elif op == "log_time" and n == 2 and isinstance(step[1], str):
            ms = asyncio.get_running_loop().time() * 1000
            ctx.out.append("%s @%d" % (step[1], math.floor(ms + 0.5)))

        elif op == "sleep" and n == 2 and _is_ms(step[1]):
            await asyncio.sleep(step[1] / 1000)

        elif op == "return" and n == 2 and (_is_number(step[1]) or
                                            isinstance(step[1], str)):
            return Return(step[1])

        elif (op == "raise" and n == 3 and isinstance(step[1], str) and
              (step[2] is None or isinstance(step[2], str))):
            cls = error_class(step[1])
            raise cls() if step[2] is None else cls(step[2])

        elif (op == "spawn" and n == 3 and isinstance(step[1], str) and
              _is_steps(step[2])):
            _spawn(ctx, step[1], step[2])

        elif op == "await" and n == 2:
            task = _lookup(ctx, step[1])
            v = await task
            ctx.out.append("%s -> %s" % (step[1], format_value(v)))

        elif (op == "cancel" and n == 3 and
              (step[2] is None or isinstance(step[2], str))):
            _lookup(ctx, step[1]).cancel(step[2])

        elif op == "shield" and n == 2:
            task = _lookup(ctx, step[1])
            v = await asyncio.shield(task)
            ctx.out.append("%s -> %s" % (step[1], format_value(v)))

        elif op == "group" and n == 2 and _is_steps(step[1]):
            async with OrderedTaskGroup() as tg:
                r = await run(step[1], ctx.with_group(tg))
            if r is not None:
                return r

        elif (op == "gather" and n == 3 and isinstance(step[2], bool) and
              isinstance(step[1], list) and
              all(isinstance(c, list) and len(c) == 2 and
                  isinstance(c[0], str) and _is_steps(c[1])
                  for c in step[1])):
            # Gather children are plain tasks even inside a group body.
            plain = ctx.with_group(None)
            children = [_spawn(plain, cid, csteps) for cid, csteps in step[1]]
            values = await asyncio.gather(*children,
                                          return_exceptions=step[2])
            ctx.out.append("gather -> [%s]" %
                           ", ".join(format_value(v) for v in values))

        elif (op == "timeout" and n == 3 and
              (step[1] is None or _is_ms(step[1])) and _is_steps(step[2])):
            delay = None if step[1] is None else step[1] / 1000
            async with asyncio.timeout(delay):
                r = await run(step[2], ctx)
            if r is not None:
                return r

        elif op == "uncancel" and n == 1:
            asyncio.current_task().uncancel()

        elif (op == "try" and n == 3 and _is_steps(step[1]) and
              isinstance(step[2], dict) and
              all(_is_steps(h) for h in step[2].values())):
            r = await _try(ctx, step[1], step[2])
            if r is not None:
                return r

        elif op == "log_error" and n == 1:
            if ctx.caught is None:
                raise ScenarioError("log_error outside a handler")
            ctx.out.append(format_error(ctx.caught))

        elif op == "reraise" and n == 1:
            if ctx.caught is None:
                raise ScenarioError("reraise outside a handler")
            raise ctx.caught

        elif (op == "wait_tasks" and n == 4 and isinstance(step[1], list) and
              step[2] in ("FIRST_COMPLETED", "FIRST_EXCEPTION",
                          "ALL_COMPLETED") and
              (step[3] is None or _is_ms(step[3]))):
            tasks = [_lookup(ctx, i) for i in step[1]]
            timeout = None if step[3] is None else max(step[3], 0) / 1000
            done, _ = await asyncio.wait(tasks, timeout=timeout,
                                         return_when=step[2])
            ctx.out.append("wait -> done [%s] pending [%s]" % (
                ", ".join(i for i, t in zip(step[1], tasks) if t in done),
                ", ".join(i for i, t in zip(step[1], tasks) if t not in done)))

        elif (op == "as_completed" and n == 3 and isinstance(step[1], list) and
              (step[2] is None or _is_ms(step[2]))):
            tasks = [_lookup(ctx, i) for i in step[1]]
            timeout = None if step[2] is None else max(step[2], 0) / 1000
            async for t in OrderedAsCompleted(tasks, timeout):
                ctx.out.append("next -> %s" % step[1][tasks.index(t)])

        elif (op == "host" and n == 4 and _is_ms(step[1]) and
              (_is_number(step[2]) or isinstance(step[2], str)) and
              (step[3] is None or isinstance(step[3], str))):
            v = await _host_call(step[1], step[2], step[3])
            ctx.out.append("host -> %s" % format_value(v))

        elif op in _SYNC_STEPS:
            r = await _sync_step(ctx, step)
            if r is not None:
                return r

        elif op in _STEP_NAMES:
            raise _bad(step)
        else:
            raise ScenarioError("unknown step %r" % (op,))
    return None


def _host_call(ms, value, error):
    """What the wasm side's wa_host_call of the harness's scenario_host
    is: a future that a timer set at the call ends after ms (the JS
    function's rt.sleep(ms)); cancelling the future leaves the timer, as
    aborting the function's signal leaves its sleep."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def settle():
        if fut.done():
            return
        if error is None:
            fut.set_result(value)
        else:
            fut.set_exception(error_class(error)(value))

    loop.call_later(max(ms, 0) / 1000, settle)
    return fut


class OrderedAsCompleted(asyncio.tasks._AsCompletedIterator):
    """asyncio.as_completed's async iterator, registering its done
    callbacks in argument order: CPython takes them from a set, whose order
    follows memory addresses, so tasks done before the iteration came out
    in no fixed order. Everything else is CPython's own."""

    def __init__(self, aws, timeout):
        self._done = asyncio.Queue()
        self._timeout_handle = None
        todo = list(dict.fromkeys(aws))  # a set in argument order
        for f in todo:
            f.add_done_callback(self._handle_completion)
        if todo and timeout is not None:
            self._timeout_handle = asyncio.get_running_loop().call_later(
                timeout, self._handle_timeout)
        self._todo = todo
        self._todo_left = len(todo)


# ---- steps on synchronization primitives ------------------------------------

_PRIM_KINDS = {
    "lock": lambda n: asyncio.Lock(),
    "event": lambda n: asyncio.Event(),
    "semaphore": lambda n: asyncio.Semaphore(1 if n is None else int(n)),
    "bounded_semaphore": lambda n: asyncio.BoundedSemaphore(
        1 if n is None else int(n)),
    "condition": lambda n: asyncio.Condition(),
    "barrier": lambda n: asyncio.Barrier(int(n)),
    "queue": lambda n: asyncio.Queue(0 if n is None else int(n)),
    "lifo_queue": lambda n: asyncio.LifoQueue(0 if n is None else int(n)),
    "priority_queue": lambda n: asyncio.PriorityQueue(
        0 if n is None else int(n)),
}
_LOCKS = (asyncio.Lock, asyncio.Semaphore, asyncio.Condition)

# step name -> (its length, the classes it takes)
_SYNC_STEPS = {
    "make": (4, None), "acquire": (2, _LOCKS), "release": (2, _LOCKS),
    "with": (3, _LOCKS), "set": (2, (asyncio.Event,)),
    "clear": (2, (asyncio.Event,)),
    "wait": (2, (asyncio.Event, asyncio.Condition, asyncio.Barrier)),
    "notify": (3, (asyncio.Condition,)), "reset": (2, (asyncio.Barrier,)),
    "abort": (2, (asyncio.Barrier,)), "put": (3, (asyncio.Queue,)),
    "put_nowait": (3, (asyncio.Queue,)), "get": (2, (asyncio.Queue,)),
    "get_nowait": (2, (asyncio.Queue,)), "task_done": (2, (asyncio.Queue,)),
    "join": (2, (asyncio.Queue,)), "shutdown": (3, (asyncio.Queue,)),
}


def _make(ctx, step):
    _, name, kind, n = step
    if (not isinstance(name, str) or kind not in _PRIM_KINDS or
            not (n is None or _is_number(n)) or
            (kind == "barrier" and n is None)):
        raise _bad(step)
    # Primitives share the run's table with tasks, under keys of their own.
    ctx.table[("prim", name)] = _PRIM_KINDS[kind](n)


def _prim(ctx, step, classes):
    name = step[1]
    if not isinstance(name, str):
        raise ScenarioError("step %s: a primitive's name must be a string"
                            % step[0])
    p = ctx.table.get(("prim", name))
    if p is None:
        raise ScenarioError("unknown primitive '%s'" % name)
    if not isinstance(p, classes):
        raise ScenarioError("step %s: '%s' is a %s"
                            % (step[0], name, type(p).__name__))
    return p


async def _sync_step(ctx, step):
    op = step[0]
    length, classes = _SYNC_STEPS[op]
    if len(step) != length:
        raise _bad(step)
    if op == "make":
        return _make(ctx, step)
    if op == "notify" and not (step[2] is None or _is_number(step[2])):
        raise _bad(step)
    if op in ("put", "put_nowait") and not (_is_number(step[2]) or
                                            isinstance(step[2], str)):
        raise _bad(step)
    if op == "with" and not _is_steps(step[2]):
        raise _bad(step)
    if op == "shutdown" and not isinstance(step[2], bool):
        raise _bad(step)
    p = _prim(ctx, step, classes)
    name = step[1]
    if op == "acquire":
        await p.acquire()
        ctx.out.append("%s acquired" % name)
    elif op == "release":
        p.release()
    elif op == "with":
        async with p:
            ctx.out.append("%s acquired" % name)
            return await run(step[2], ctx)
    elif op == "set":
        p.set()
    elif op == "clear":
        p.clear()
    elif op == "wait":
        r = await p.wait()
        if isinstance(p, asyncio.Barrier):
            ctx.out.append("%s -> %d" % (name, r))
        else:
            ctx.out.append("%s waited" % name)
    elif op == "notify":
        if step[2] is None:
            p.notify_all()
        else:
            p.notify(int(step[2]))
    elif op == "reset":
        await p.reset()
    elif op == "abort":
        await p.abort()
    elif op in ("put", "put_nowait"):
        if op == "put":
            await p.put(step[2])
        else:
            p.put_nowait(step[2])
        ctx.out.append("%s put %s" % (name, format_value(step[2])))
    elif op in ("get", "get_nowait"):
        v = await p.get() if op == "get" else p.get_nowait()
        ctx.out.append("%s -> %s" % (name, format_value(v)))
    elif op == "task_done":
        p.task_done()
    elif op == "join":
        await p.join()
        ctx.out.append("%s joined" % name)
    else:  # shutdown
        p.shutdown(step[2])
    return None


_STEP_NAMES = frozenset((
    "log", "log_time", "sleep", "return", "raise", "spawn", "await", "cancel",
    "shield", "group", "gather", "timeout", "uncancel", "try", "log_error",
    "reraise", "wait_tasks", "as_completed", "host"))

# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

# Tasks still pending when a run stalls (waiting on each other with no timer
# left) are kept alive here: if the garbage collector destroyed them it would
# close their coroutines, which runs `finally` steps and TaskGroup exits
# outside any loop.
_stalled_tasks = []

# Each loop gets a silent exception handler (see run_scenario); this also
# mutes what asyncio logs directly, e.g. debug mode's slow-callback warnings,
# which measure real time and mean nothing under the virtual clock.
logging.getLogger("asyncio").setLevel(logging.CRITICAL + 1)


def shutdown(loop):
    """What asyncio.run does once main has ended (Runner.close): cancel
    every pending task and run the loop until they have ended, then
    shutdown_asyncgens and shutdown_default_executor, two iterations each.
    The one change: _cancel_all_tasks cancels in all_tasks()'s order, a
    set's, which depends on memory addresses; here, as on the wasm side, it
    is creation order."""
    to_cancel = sorted(asyncio.all_tasks(loop), key=loop.creation_order)
    if to_cancel:
        for task in to_cancel:
            task.cancel()
        try:
            loop.run_until_complete(asyncio.gather(*to_cancel,
                                                   return_exceptions=True))
        except RuntimeError:
            # A cancelled task's cleanup waits for ever (on a primitive
            # nobody will release): asyncio.run would hang; the wasm side's
            # harness stops once nothing is left to do, and so does this.
            return
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())


def run_scenario(steps):
    """Runs one scenario as asyncio.run(root) would, on a fresh
    virtual-clock loop, and returns (lines, outcome): the lines printed
    until the root ended and then through the shutdown (the cleanup of the
    tasks it cancels included). The outcome is the root's, or "pending"
    when the run stalled before it ended (nothing ready, no timer left,
    where asyncio.run would wait for ever); the shutdown then cancels the
    root too."""
    loop = VirtualClockLoop()
    # Unretrieved task errors are routine in scenarios; don't report them.
    loop.set_exception_handler(lambda loop, context: None)
    out = []
    try:
        root = loop.create_task(_task_main(steps, Ctx({}, out)), name="root")
        # As asyncio.run, the first to ask for the root's outcome: a task
        # that raised CancelledError hands its own (with its message) once.
        try:
            outcome = "return " + format_value(loop.run_until_complete(root))
        except BaseException as e:
            outcome = "raise " + format_error(e) if root.done() else "pending"
        shutdown(loop)
        _stalled_tasks.extend(t for t in asyncio.all_tasks(loop)
                              if not t.done())
    finally:
        loop.close()
    return out, outcome


def run_line(line):
    try:
        steps = json.loads(line)
    except ValueError:
        return [], "raise ScenarioError(malformed JSON)"
    return run_scenario(steps)


# ---------------------------------------------------------------------------
# Random scenario generator
# ---------------------------------------------------------------------------

SLEEPS = (0, 1, 5, 10, 20)
TIMEOUTS = (0, 1, 5, 10, 15, 20, 50, None)
RAISE_TYPES = ("ValueError",) * 4 + ("KeyError",) * 3 + (
    "TimeoutError", "CancelledError")
HANDLER_KEYS = ("ValueError", "KeyError", "CancelledError", "TimeoutError",
                "ExceptionGroup", "*")
MAX_DEPTH = 3
MAX_STEPS = 30


class Generator:
    """Builds random scenarios that always terminate and compare cleanly:

    - sleeps and timeouts come from small sets, so deadlines often coincide;
    - a task only awaits, cancels or shields ids it spawned itself earlier
      on a path that must have run to get here (earlier in the same list or
      an enclosing one, or in a group/timeout body that completed; never in
      a `try` body or handler, which may have stopped short), so waits form
      a tree and every id exists when used;
    - ids are unique (t1, t2, ...), nesting is at most MAX_DEPTH deep, lists
      hold 1-5 steps (1-3 when deep) and no new nesting starts once a
      scenario has MAX_STEPS steps (so it stays under about 70);
    - log_error/reraise appear only directly in a handler; `return` nowhere
      inside `finally` steps (Python lets it swallow the error in flight, a
      corner not worth comparing);
    - log text and labels carry the task id and a counter (`t3.17`), so a
      mismatch points at its step."""

    def __init__(self, rng):
        self.rng = rng

    def scenario(self):
        # Redraw the trivial ones (a few flat steps, no second task or
        # scope): they test nothing the others don't.
        while True:
            self.ids = 0
            self.counter = 0
            self.size = 0
            self.held = []  # conditions whose `with` body is being made
            made = self.make_prims()
            steps = made + self.steps("root", 0, [], min_len=2)
            if self.size >= 5 and any(s[0] in self.STRUCTURED for s in steps):
                return steps

    STRUCTURED = frozenset(("spawn", "group", "gather", "timeout", "try"))

    PRIM_KINDS = ("lock", "event", "semaphore", "bounded_semaphore",
                  "condition", "barrier", "queue", "lifo_queue",
                  "priority_queue")

    def make_prims(self):
        """Half the scenarios share one or two primitives (p1, p2) that
        any task may use; the steps on them are drawn in step()."""
        rng = self.rng
        self.prims = []
        if rng.random() < 0.5:
            return []
        made = []
        for i in range(rng.randint(1, 2)):
            kind = rng.choice(self.PRIM_KINDS)
            n = None
            if kind in ("semaphore", "bounded_semaphore"):
                n = rng.choice((None, 1, 2))
            elif kind == "barrier":
                n = rng.choice((2, 3))
            elif kind.endswith("queue"):
                n = rng.choice((0, 1, 2))
            name = "p%d" % (i + 1)
            self.prims.append((name, kind))
            made.append(["make", name, kind, n])
        return made

    def prim_step(self, task, depth, scope, handler, in_finally,
                  group_body, nest):
        """A step on one of the scenario's primitives."""
        rng = self.rng
        name, kind = rng.choice(self.prims)
        if kind in ("lock", "semaphore", "bounded_semaphore", "condition"):
            if name in self.held and kind == "condition":
                if rng.random() < 0.5:
                    return ["wait", name]
                return ["notify", name, rng.choice((None, 1, 2))]
            if nest and rng.random() < 0.8:
                self.held.append(name)
                body = self.steps(task, depth + 1, list(scope),
                                  handler=handler, in_finally=in_finally,
                                  group_body=group_body)
                self.held.pop()
                return ["with", name, body]
            return [rng.choice(("acquire", "release")), name]
        if kind == "event":
            return [rng.choices(("set", "clear", "wait"), (3, 1, 3))[0], name]
        if kind == "barrier":
            return [rng.choices(("wait", "reset", "abort"), (8, 1, 1))[0],
                    name]
        op = rng.choices(("put", "get", "put_nowait", "get_nowait",
                          "task_done", "join", "shutdown"),
                         (4, 4, 2, 2, 2, 1, 0.5))[0]
        if op in ("put", "put_nowait"):
            self.counter += 1
            v = (self.counter if kind == "priority_queue" or
                 rng.random() < 0.5 else "%s.q%d" % (task, self.counter))
            return [op, name, v]
        if op == "shutdown":
            return [op, name, rng.random() < 0.5]
        return [op, name]

    # -- helpers

    def tag(self, task):
        self.counter += 1
        return "%s.%d" % (task, self.counter)

    def new_id(self):
        self.ids += 1
        return "t%d" % self.ids

    def sleep(self):
        return ["sleep", self.rng.choice(SLEEPS)]

    def value(self, task):
        self.counter += 1
        kind = self.rng.randrange(3)
        if kind == 0:
            return self.counter
        if kind == 1:
            return self.counter + 0.5
        return "%s.v%d" % (task, self.counter)

    # -- step lists

    def steps(self, task, depth, scope, min_len=1, handler=False,
              in_finally=False, group_body=False):
        """A step list for `task`. `scope` lists the ids this task may use
        here; it is extended in place by the spawns in this list. `handler`:
        directly in a handler; `in_finally`: anywhere inside finally steps;
        `group_body`: spawns go into a group."""
        rng = self.rng
        out = []
        for _ in range(rng.randint(min_len, 5 if depth < 2 else 3)):
            step = self.step(task, depth, scope, handler, in_finally,
                             group_body)
            out.append(step)
            self.size += 1
            if step[0] in ("raise", "return", "reraise"):
                break  # anything after would never run
        return out

    def step(self, task, depth, scope, handler, in_finally, group_body):
        rng = self.rng
        nest = depth < MAX_DEPTH and self.size < MAX_STEPS
        # The root raising outright ends the scenario early; keep that rare
        # so most failures come from interactions instead.
        root_top = task == "root" and depth == 0
        choices = [("log", 3), ("log_time", 7), ("sleep", 7), ("host", 1.5),
                   ("raise", 0.5 if root_top else 1.2),
                   ("return", 0 if in_finally else 1), ("uncancel", 0.3)]
        if nest:
            choices += [("spawn", 5 if group_body else 3), ("group", 3),
                        ("gather", 1.5), ("timeout", 2.5), ("try", 3)]
        if scope:
            choices += [("await", 3), ("cancel", 1.5), ("shield", 1),
                        ("wait_tasks", 1.5), ("as_completed", 1)]
        if handler:
            choices += [("log_error", 4), ("reraise", 2)]
        if self.prims:
            choices += [("prim", 8)]
        kinds, weights = zip(*choices)
        kind = rng.choices(kinds, weights)[0]

        if kind == "prim":
            return self.prim_step(task, depth, scope, handler, in_finally,
                                  group_body, nest)
        if kind == "log":
            return ["log", self.tag(task)]
        if kind == "log_time":
            return ["log_time", self.tag(task)]
        if kind == "sleep":
            return self.sleep()
        if kind == "host":
            error = rng.choice((None, None, None, "ValueError", "KeyError"))
            return ["host", rng.choice(SLEEPS), self.value(task), error]
        if kind == "raise":
            return ["raise", rng.choice(RAISE_TYPES), self.tag(task) + "!"]
        if kind == "return":
            return ["return", self.value(task)]
        if kind in ("uncancel", "log_error", "reraise"):
            return [kind]
        if kind == "spawn":
            child = self.new_id()
            steps = self.child_steps(child, depth + 1, group_body)
            scope.append(child)
            return ["spawn", child, steps]
        if kind == "group":
            return ["group", self.group_body(task, depth + 1, scope,
                                             in_finally)]
        if kind == "gather":
            children = []
            for _ in range(rng.randint(1, 3)):
                child = self.new_id()
                children.append([child, self.child_steps(child, depth + 1,
                                                         True)])
            scope.extend(c[0] for c in children)
            return ["gather", children, rng.random() < 0.5]
        if kind == "timeout":
            return ["timeout", rng.choice(TIMEOUTS),
                    self.steps(task, depth + 1, scope, in_finally=in_finally,
                               group_body=group_body)]
        if kind == "try":
            return self.try_step(task, depth, scope, in_finally, group_body)
        if kind in ("wait_tasks", "as_completed"):
            ids = rng.sample(scope, rng.randint(1, min(3, len(scope))))
            timeout = rng.choice(TIMEOUTS)
            if kind == "as_completed":
                return [kind, ids, timeout]
            return [kind, ids, rng.choice(("FIRST_COMPLETED",
                                           "FIRST_EXCEPTION",
                                           "ALL_COMPLETED")), timeout]
        # await / cancel / shield: of an earlier own spawn in scope
        target = rng.choice(scope)
        if kind == "cancel":
            msg = None if rng.random() < 0.5 else self.tag(task) + "c"
            return ["cancel", target, msg]
        return [kind, target]

    def child_steps(self, task, depth, sibling):
        """A spawned task's steps. Children with siblings (in a group or a
        gather) mostly sleep first, so they overlap; a share of them are
        the short `sleep, log_time, raise` kind, whose few possible
        deadlines make siblings fail in the same slice as well as apart."""
        rng = self.rng
        if sibling and rng.random() < 0.15:
            self.size += 3
            return [["sleep", rng.choice((0, 5, 10))],
                    ["log_time", self.tag(task)],
                    ["raise", rng.choice(RAISE_TYPES), self.tag(task) + "!"]]
        if sibling and rng.random() < 0.1:
            # Catches its cancellation and spawns: into an aborting group
            # that is RuntimeError(TaskGroup is shutting down).
            late = self.new_id()
            self.size += 5
            return [["try", [self.sleep(), ["log_time", self.tag(task)]],
                     {"CancelledError": [
                         ["log_time", self.tag(task)],
                         ["spawn", late, [["log", self.tag(late)]]],
                         ["log", self.tag(task)]]}]]
        steps = []
        if sibling and rng.random() < 0.7:
            steps.append(self.sleep())
            self.size += 1
        steps += self.steps(task, depth, [])
        if (steps[-1][0] not in ("raise", "return") and
                rng.random() < 0.1):
            steps.append(["raise", rng.choice(RAISE_TYPES),
                          self.tag(task) + "!"])
            self.size += 1
        return steps

    def group_body(self, task, depth, scope, in_finally):
        """Mostly opens with a few children so they run side by side, then
        goes on with ordinary steps (which may spawn more)."""
        body = []
        if self.rng.random() < 0.8:
            for _ in range(self.rng.randint(1, 3)):
                child = self.new_id()
                body.append(["spawn", child,
                             self.child_steps(child, depth, True)])
                scope.append(child)
                self.size += 1
        return body + self.steps(task, depth, scope, min_len=0 if body else 1,
                                 in_finally=in_finally, group_body=True)

    def try_step(self, task, depth, scope, in_finally, group_body):
        rng = self.rng
        body = self.steps(task, depth + 1, list(scope), in_finally=in_finally,
                          group_body=group_body)
        handlers = {}
        for key in rng.sample(HANDLER_KEYS, rng.randint(0, 3)):
            handlers[key] = self.steps(task, depth + 1, list(scope),
                                       handler=True, in_finally=in_finally,
                                       group_body=group_body)
        if not handlers or rng.random() < 0.35:
            handlers["finally"] = self.steps(task, depth + 1, list(scope),
                                             in_finally=True,
                                             group_body=group_body)
        return ["try", body, handlers]


def generate(seed, count):
    gen = Generator(random.Random(seed))
    return [gen.scenario() for _ in range(count)]


def outcome_kind(outcome):
    """`return` or `raise Type` (groups as ExceptionGroup), for histograms."""
    if outcome.startswith("raise "):
        name = outcome[6:]
        return "raise " + name[:min(i for i in (name.find("("),
                                                 name.find("["), len(name))
                                     if i >= 0)]
    return outcome.split(" ", 1)[0]


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

USAGE = """usage: reference.py < scenarios.jsonl
       reference.py --generate SEED COUNT [--run | --histogram]"""


def _dump(obj):
    return json.dumps(obj, separators=(",", ":"))


def main(argv):
    write = sys.stdout.write
    if not argv:
        for line in sys.stdin:
            if line.strip():
                lines, outcome = run_line(line)
                write(_dump({"lines": lines, "outcome": outcome}) + "\n")
        return 0
    if argv[0] != "--generate" or len(argv) not in (3, 4):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        seed, count = int(argv[1]), int(argv[2])
    except ValueError:
        print(USAGE, file=sys.stderr)
        return 2
    mode = argv[3] if len(argv) == 4 else None
    if mode not in (None, "--run", "--histogram"):
        print(USAGE, file=sys.stderr)
        return 2
    scenarios = generate(seed, count)
    if mode is None:
        for steps in scenarios:
            write(_dump(steps) + "\n")
    elif mode == "--run":
        for steps in scenarios:
            lines, outcome = run_scenario(steps)
            write(_dump({"steps": steps, "lines": lines,
                         "outcome": outcome}) + "\n")
    else:
        counts = collections.Counter(outcome_kind(run_scenario(s)[1])
                                     for s in scenarios)
        for kind, n in counts.most_common():
            write("%6d  %s\n" % (n, kind))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
