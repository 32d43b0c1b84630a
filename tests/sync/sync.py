# asyncio's synchronization primitives as CPython 3.13 runs them: the
# expected logs of tests/sync/*.test.mjs, which run the same scenarios
# with JS tasks (and C tasks, the mixed_* ones) on the runtime.
#
#   python3 sync.py [prefix ...]   prints "<scenario>: <log>" per scenario
#
# Each scenario runs on a fresh loop with a virtual clock (below), as the
# JS one on a fresh runtime with its virtual clock, and is written to be
# read next to its JS twin: a task made with create_task is rt.createTask,
# `await x` is `await ctx.wait(x)`, asyncio.sleep(0.01) is ctx.sleep(10),
# and soon(f) (loop.call_soon) is a JS task whose first step calls f (both
# are one handle queued now). Most
# come from Lib/test/test_asyncio/test_locks.py and test_queues.py, named
# after the test they follow; the rest check a rule of
# /work/shared/ASYNCIO_SEMANTICS.md section 9.
import asyncio
import json
import os
import sys

# CPython's loop on a virtual clock, reference.py's (the scenario
# language's): as the JS tests run the runtime on its virtual clock, time
# moves only when the loop would block, straight to the next deadline, so
# what a scenario logs never depends on how busy the machine is; equal
# deadlines fire in the order they were set, as in the runtime.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "coroutines", "scenario"))
from reference import VirtualClockLoop  # noqa: E402


SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def exc(e):
    return f"{type(e).__name__}: {e}"


def yn(b):
    return "yes" if b else "no"


def show(x):
    """An item as the JS twin prints it (JSON.stringify; bytes as hex)."""
    if isinstance(x, bytes):
        return "bytes:" + x.hex()
    return json.dumps(x, separators=(",", ":"), ensure_ascii=False)


def soon(f):
    asyncio.get_running_loop().call_soon(f)


task = asyncio.create_task


def timeout_task(ms, fn):
    """rt.timeout(ms, fn): fn in a task of its own, cancelled after ms."""
    async def body():
        async with asyncio.timeout(ms / 1000):
            return await fn()
    return task(body())


async def settle(log, label, aw):
    """Awaits aw, logging how it ended."""
    try:
        v = await aw
        log(f"{label} ok {show(v) if v is not None else ''}".rstrip())
    except BaseException as e:
        log(f"{label} {exc(e)}")


# ---- Lock --------------------------------------------------------------------


@scenario
async def lock_fifo(log):  # test_acquire
    lock = asyncio.Lock()
    await lock.acquire()

    async def c(n):
        await lock.acquire()
        log(f"c{n} acquired")

    t1 = task(c(1))
    t2 = task(c(2))
    await asyncio.sleep(0)
    log("release 1")
    lock.release()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    t3 = task(c(3))
    log("release 2")
    lock.release()
    await asyncio.sleep(0)
    log("release 3")
    lock.release()
    await asyncio.sleep(0)
    log(f"done {yn(t1.done())} {yn(t2.done())} {yn(t3.done())} locked {yn(lock.locked())}")


@scenario
async def lock_no_barging(log):  # P1: a woken waiter keeps its turn
    lock = asyncio.Lock()
    await lock.acquire()

    async def user(name):
        await lock.acquire()
        log(f"{name} acquired")
        await asyncio.sleep(0)
        lock.release()

    b = task(user("b"))
    c = task(user("c"))
    await asyncio.sleep(0)
    lock.release()
    log(f"released, locked {yn(lock.locked())}")
    d = task(user("d"))
    await lock.acquire()  # queued behind b and c, not taking it
    log("main acquired")
    lock.release()
    await d
    log(f"end locked {yn(lock.locked())} {yn(b.done())} {yn(c.done())}")


@scenario
async def lock_acquire_cancel(log):  # test_acquire_cancel
    lock = asyncio.Lock()
    await lock.acquire()
    t = task(lock.acquire())
    soon(t.cancel)
    await settle(log, "t", t)
    log(f"locked {yn(lock.locked())}")
    lock.release()
    log(f"locked {yn(lock.locked())}")
    x = task(asyncio.sleep(0))
    await lock.acquire()  # no waiter left: at once
    log(f"main acquired, x done {yn(x.done())}")


@scenario
async def lock_cancel_race(log):  # test_cancel_race
    lock = asyncio.Lock()

    async def lockit(name, blocker):
        await lock.acquire()
        log(f"{name} acquired")
        try:
            if blocker is not None:
                await blocker
        finally:
            lock.release()
            log(f"{name} released")

    fa = asyncio.get_running_loop().create_future()
    ta = task(lockit("A", fa))
    await asyncio.sleep(0)
    log(f"locked {yn(lock.locked())}")
    tb = task(lockit("B", None))
    await asyncio.sleep(0)
    tc = task(lockit("C", None))
    await asyncio.sleep(0)
    fa.set_result(None)
    tb.cancel()
    await asyncio.sleep(0)
    log(f"locked {yn(lock.locked())} ta done {yn(ta.done())} tb cancelled {yn(tb.cancelled())}")
    await tc
    log(f"tc done, locked {yn(lock.locked())}")


@scenario
async def lock_cancel_release_race(log):  # test_cancel_release_race
    lock = asyncio.Lock()
    counts = {"lock": 0, "call": 0}

    async def lockit(name):
        counts["call"] += 1
        await lock.acquire()
        counts["lock"] += 1
        log(f"{name} acquired")

    def trigger():
        t1.cancel()
        lock.release()

    await lock.acquire()
    t1 = task(lockit("t1"))
    t2 = task(lockit("t2"))
    t3 = task(lockit("t3"))
    await asyncio.sleep(0)
    soon(trigger)
    await settle(log, "t1", t1)
    log(f"lock_count {counts['lock']} call_count {counts['call']} t1 cancelled {yn(t1.cancelled())} t2 done {yn(t2.done())}")
    t3.cancel()
    await asyncio.sleep(0)
    log(f"t3 cancelled {yn(t3.cancelled())}")


@scenario
async def lock_finished_waiter_cancelled(log):  # test_finished_waiter_cancelled
    lock = asyncio.Lock()
    await lock.acquire()
    tb = task(lock.acquire())
    await asyncio.sleep(0)
    tc = task(lock.acquire())
    tb.cancel()
    lock.release()
    await asyncio.sleep(0)
    log(f"locked {yn(lock.locked())} tb cancelled {yn(tb.cancelled())}")
    await settle(log, "tc", tc)


@scenario
async def lock_woken_then_cancelled(log):  # P2: the wake-up goes on to c
    lock = asyncio.Lock()
    await lock.acquire()

    async def user(name):
        try:
            await lock.acquire()
        except asyncio.CancelledError:
            log(f"{name} cancelled, locked {yn(lock.locked())}")
            raise
        log(f"{name} acquired")

    b = task(user("b"))
    c = task(user("c"))
    d = task(user("d"))
    await asyncio.sleep(0)
    lock.release()  # wakes b
    b.cancel()  # before b ran
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    log(f"locked {yn(lock.locked())} c done {yn(c.done())} d done {yn(d.done())}")
    lock.release()
    await d


@scenario
async def lock_all_cancelled_fast_path(log):  # acquire does not wait behind cancelled waiters
    lock = asyncio.Lock()
    await lock.acquire()

    async def user(name):
        try:
            await lock.acquire()
            log(f"{name} acquired")
        except asyncio.CancelledError:
            log(f"{name} cancelled")
            raise

    b = task(user("b"))
    c = task(user("c"))
    await asyncio.sleep(0)
    b.cancel()
    c.cancel()
    lock.release()

    async def other():
        log("x ran")

    x = task(other())
    await lock.acquire()  # every waiter is cancelled: taken at once
    log("main acquired")
    await asyncio.sleep(0)
    log(f"b {yn(b.cancelled())} c {yn(c.cancelled())} x {yn(x.done())} locked {yn(lock.locked())}")
    # Cancelled but not all: one live waiter makes a newcomer queue.
    e = task(user("e"))
    f = task(user("f"))
    await asyncio.sleep(0)
    e.cancel()
    lock.release()
    g = task(user("g"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    log(f"locked {yn(lock.locked())} f {yn(f.done())} g {yn(g.done())}")
    lock.release()
    await g


@scenario
async def lock_release_unlocked(log):  # test_release_not_acquired
    lock = asyncio.Lock()
    try:
        lock.release()
    except RuntimeError as e:
        log(exc(e))
    await lock.acquire()
    lock.release()
    try:
        lock.release()
    except RuntimeError as e:
        log(exc(e))
    log(f"locked {yn(lock.locked())}")


# ---- Event --------------------------------------------------------------------


@scenario
async def event_wait(log):  # test_wait
    ev = asyncio.Event()
    log(f"is_set {yn(ev.is_set())}")

    async def c(n):
        if await ev.wait():
            log(f"c{n} woke")

    t1 = task(c(1))
    t2 = task(c(2))
    await asyncio.sleep(0)
    t3 = task(c(3))
    ev.set()
    log("set")
    await asyncio.sleep(0)
    log(f"done {yn(t1.done())} {yn(t2.done())} {yn(t3.done())}")


@scenario
async def event_wait_on_set(log):  # test_wait_on_set: no suspension
    ev = asyncio.Event()
    ev.set()

    async def other():
        log("x ran")

    task(other())
    log(f"wait {yn(await ev.wait())}")
    await asyncio.sleep(0)


@scenario
async def event_wait_cancel(log):  # test_wait_cancel
    ev = asyncio.Event()
    w = task(ev.wait())
    soon(w.cancel)
    await settle(log, "w", w)
    ev.set()
    log(f"is_set {yn(ev.is_set())}")
    await settle(log, "again", ev.wait())


@scenario
async def event_clear_with_waiters(log):  # test_clear_with_waiters
    ev = asyncio.Event()

    async def c1():
        if await ev.wait():
            log("c1 woke")
        return True

    t = task(c1())
    await asyncio.sleep(0)
    ev.set()
    ev.clear()
    log(f"is_set {yn(ev.is_set())}")
    ev.set()
    ev.set()
    await asyncio.sleep(0)
    log(f"t done {yn(t.done())}")


@scenario
async def event_clear_after_set(log):  # P4: clear() affects only later waits
    ev = asyncio.Event()

    async def waiter(name):
        log(f"{name} got {yn(await ev.wait())}")

    a = task(waiter("a"))
    await asyncio.sleep(0)
    ev.set()
    ev.clear()  # a was woken already
    b = task(waiter("b"))  # waits for the next set
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    log(f"a {yn(a.done())} b {yn(b.done())}")
    ev.set()
    await b


@scenario
async def event_woken_then_cancelled(log):
    ev = asyncio.Event()

    async def waiter(name):
        try:
            await ev.wait()
            log(f"{name} woke")
        except asyncio.CancelledError:
            log(f"{name} cancelled")
            raise

    a = task(waiter("a"))
    b = task(waiter("b"))
    c = task(waiter("c"))
    await asyncio.sleep(0)
    ev.set()
    b.cancel()  # woken, then cancelled before it ran
    await asyncio.sleep(0)
    log(f"a {yn(a.done())} b {yn(b.cancelled())} c {yn(c.done())}")


# ---- Semaphore ------------------------------------------------------------------


@scenario
async def sem_acquire(log):  # test_acquire
    sem = asyncio.Semaphore(3)
    await sem.acquire()
    await sem.acquire()
    log(f"locked {yn(sem.locked())}")

    async def c(n):
        await sem.acquire()
        log(f"c{n} acquired")
        return True

    t1 = task(c(1))
    t2 = task(c(2))
    t3 = task(c(3))
    await asyncio.sleep(0)
    log(f"locked {yn(sem.locked())}")
    t4 = task(c(4))
    sem.release()
    sem.release()
    await asyncio.sleep(0)
    log(f"locked {yn(sem.locked())} done {yn(t1.done())} {yn(t2.done())} {yn(t3.done())} {yn(t4.done())}")
    sem.release()
    await t4
    log(f"locked {yn(sem.locked())}")


@scenario
async def sem_acquire_cancel(log):  # test_acquire_cancel
    sem = asyncio.Semaphore()
    await sem.acquire()
    t = task(sem.acquire())
    soon(t.cancel)
    await settle(log, "t", t)
    log(f"locked {yn(sem.locked())}")
    sem.release()
    log(f"locked {yn(sem.locked())}")


@scenario
async def sem_cancel_before_awoken(log):  # test_acquire_cancel_before_awoken
    sem = asyncio.Semaphore(value=0)
    ts = [task(sem.acquire()) for _ in range(4)]
    await asyncio.sleep(0)
    ts[0].cancel()
    ts[1].cancel()
    sem.release()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    log("done " + " ".join(yn(t.done()) for t in ts) + " cancelled " + " ".join(yn(t.cancelled()) for t in ts))
    ts[2].cancel()
    ts[3].cancel()
    await asyncio.sleep(0)
    log(f"locked {yn(sem.locked())}")


@scenario
async def sem_acquire_hang(log):  # test_acquire_hang
    sem = asyncio.Semaphore(value=0)
    t1 = task(sem.acquire())
    t2 = task(sem.acquire())
    await asyncio.sleep(0)
    t1.cancel()
    sem.release()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    log(f"locked {yn(sem.locked())} t1 cancelled {yn(t1.cancelled())} t2 done {yn(t2.done())}")


@scenario
async def sem_acquire_no_hang(log):  # test_acquire_no_hang
    sem = asyncio.Semaphore(1)

    async def c1():
        await sem.acquire()
        try:
            await asyncio.sleep(0)
        finally:
            sem.release()
        t2.cancel()

    async def c2():
        await sem.acquire()
        try:
            log("c2 got in (wrong)")
        finally:
            sem.release()

    t1 = task(c1())
    t2 = task(c2())
    r = await asyncio.gather(t1, t2, return_exceptions=True)
    log(f"r1 {show(r[0])} r2 {type(r[1]).__name__}")
    await sem.acquire()
    log(f"acquired, locked {yn(sem.locked())}")


@scenario
async def sem_fifo_order(log):  # test_acquire_fifo_order
    sem = asyncio.Semaphore(1)

    async def coro(tag):
        await sem.acquire()
        log(f"{tag}_1")
        await asyncio.sleep(0.01)
        sem.release()
        await sem.acquire()
        log(f"{tag}_2")
        await asyncio.sleep(0.01)
        sem.release()

    await asyncio.gather(task(coro("c1")), task(coro("c2")), task(coro("c3")))


@scenario
async def sem_fifo_order_2(log):  # test_acquire_fifo_order_2
    sem = asyncio.Semaphore(1)

    async def c1():
        await sem.acquire()
        log("1")

    async def c2():
        await sem.acquire()
        log("2")
        sem.release()
        await sem.acquire()
        log("4")

    async def c3():
        await sem.acquire()
        log("3")

    ts = [task(c1()), task(c2()), task(c3())]
    await asyncio.sleep(0)
    sem.release()
    sem.release()
    await asyncio.gather(*ts)


@scenario
async def sem_fifo_order_3(log):  # test_acquire_fifo_order_3
    sem = asyncio.Semaphore(0)

    async def c(n):
        await sem.acquire()
        log(f"{n}")

    ts = [task(c(1)), task(c(2)), task(c(3))]
    await asyncio.sleep(0)
    ts[0].cancel()
    await asyncio.sleep(0)
    sem.release()
    sem.release()
    r = await asyncio.gather(*ts, return_exceptions=True)
    log("results " + " ".join(type(x).__name__ for x in r))


@scenario
async def sem_fifo_order_4(log):  # test_acquire_fifo_order_4
    sem = asyncio.Semaphore(0)
    holder = {}

    async def c1():
        await sem.acquire()
        holder["t4"] = task(c4())
        log("1")

    async def c2():
        sem.release()
        sem.release()
        sem.release()
        log(f"locked {yn(sem.locked())}")
        await sem.acquire()
        log("2")

    async def c3():
        await sem.acquire()
        log(f"3 locked {yn(sem.locked())}")

    async def c4():
        log("4")

    ts = [task(c1()), task(c2()), task(c3())]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await asyncio.gather(*ts, holder["t4"])


@scenario
async def sem_woken_then_cancelled(log):  # a unit given to a cancelled waiter goes on
    sem = asyncio.Semaphore(0)

    async def user(name):
        try:
            await sem.acquire()
            log(f"{name} acquired")
        except asyncio.CancelledError:
            log(f"{name} cancelled")
            raise

    a = task(user("a"))
    b = task(user("b"))
    c = task(user("c"))
    await asyncio.sleep(0)
    sem.release()  # to a
    a.cancel()
    log(f"locked {yn(sem.locked())}")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    log(f"b {yn(b.done())} c {yn(c.done())} locked {yn(sem.locked())}")
    sem.release()
    await c
    sem.release()
    log(f"locked {yn(sem.locked())}")


@scenario
async def sem_no_barging(log):  # P3: locked() counts woken waiters
    sem = asyncio.Semaphore(0)
    log(f"locked {yn(sem.locked())}")
    sem.release()  # released before any acquire
    log(f"locked {yn(sem.locked())}")
    await sem.acquire()  # at once
    log(f"acquired, locked {yn(sem.locked())}")

    async def user(name):
        await sem.acquire()
        log(f"{name} acquired")

    a = task(user("a"))
    await asyncio.sleep(0)
    sem.release()  # the unit goes to a
    sem.release()  # a spare one; a is still queued, so locked
    log(f"locked {yn(sem.locked())}")
    c = task(user("c"))
    await asyncio.sleep(0)
    log(f"a {yn(a.done())} c {yn(c.done())} locked {yn(sem.locked())}")
    s2 = asyncio.Semaphore(2)
    await s2.acquire()
    log(f"s2 locked {yn(s2.locked())}")
    await s2.acquire()
    log(f"s2 locked {yn(s2.locked())}")


@scenario
async def sem_bounded(log):  # test_release_not_acquired, BoundedSemaphore
    sem = asyncio.BoundedSemaphore(2)
    try:
        sem.release()
    except ValueError as e:
        log(exc(e))
    await sem.acquire()
    await sem.acquire()
    log(f"locked {yn(sem.locked())}")
    sem.release()
    sem.release()
    try:
        sem.release()
    except ValueError as e:
        log(exc(e))
    log(f"locked {yn(sem.locked())}")
    try:
        asyncio.Semaphore(-1)
    except ValueError as e:
        log(exc(e))
    try:
        asyncio.BoundedSemaphore(-1)
    except ValueError as e:
        log(exc(e))
    z = asyncio.BoundedSemaphore(0)
    log(f"zero locked {yn(z.locked())}")
    try:
        z.release()
    except ValueError as e:
        log(exc(e))


# ---- Condition -------------------------------------------------------------------


@scenario
async def cond_wait(log):  # test_wait
    cond = asyncio.Condition()

    async def c(n):
        await cond.acquire()
        if await cond.wait():
            log(f"c{n} woke")
        return True

    ts = [task(c(1)), task(c(2)), task(c(3))]
    await asyncio.sleep(0)
    log(f"locked {yn(cond.locked())}")
    await cond.acquire()
    cond.notify()
    await asyncio.sleep(0)
    log(f"locked {yn(cond.locked())}")
    cond.release()
    await asyncio.sleep(0)
    log(f"locked {yn(cond.locked())}")
    cond.notify(2)
    await asyncio.sleep(0)
    cond.release()
    await asyncio.sleep(0)
    cond.release()
    await asyncio.sleep(0)
    log(f"locked {yn(cond.locked())} done " + " ".join(yn(t.done()) for t in ts))


@scenario
async def cond_wait_cancel(log):  # test_wait_cancel
    cond = asyncio.Condition()
    await cond.acquire()
    w = task(cond.wait())
    soon(w.cancel)
    await settle(log, "w", w)
    log(f"locked {yn(cond.locked())}")


@scenario
async def cond_wait_cancel_contested(log):  # test_wait_cancel_contested
    cond = asyncio.Condition()
    await cond.acquire()
    w = task(cond.wait())
    await asyncio.sleep(0)
    log(f"locked {yn(cond.locked())}")
    await cond.acquire()
    cond.notify()
    soon(w.cancel)
    soon(cond.release)
    await settle(log, "w", w)
    log(f"locked {yn(cond.locked())}")


@scenario
async def cond_wait_cancel_after_notify(log):  # test_wait_cancel_after_notify
    cond = asyncio.Condition()

    async def wait_on_cond():
        await cond.acquire()
        try:
            log("waiting")
            await cond.wait()
        finally:
            cond.release()

    w = task(wait_on_cond())
    await asyncio.sleep(0)
    await cond.acquire()
    cond.notify()
    await asyncio.sleep(0)
    w.cancel()
    await asyncio.sleep(0)
    cond.release()
    await asyncio.sleep(0)
    log(f"cancelled {yn(w.cancelled())} locked {yn(cond.locked())}")


@scenario
async def cond_unacquired(log):  # test_wait_unacquired, test_notify_unacquired, ...
    cond = asyncio.Condition()
    try:
        await cond.wait()
    except RuntimeError as e:
        log(exc(e))
    for f in (cond.notify, cond.notify_all):
        try:
            f()
        except RuntimeError as e:
            log(exc(e))
    log(f"wait_for {show(await cond.wait_for(lambda: [1, 2, 3]))}")
    try:
        await cond.wait_for(lambda: False)
    except RuntimeError as e:
        log(exc(e))


@scenario
async def cond_wait_for(log):  # test_wait_for
    cond = asyncio.Condition()
    state = {"p": 0}

    def predicate():
        log(f"predicate {state['p']}")
        return state["p"]

    async def c1():
        await cond.acquire()
        v = await cond.wait_for(predicate)
        log(f"c1 got {v}")
        cond.release()

    t = task(c1())
    await asyncio.sleep(0)
    await cond.acquire()
    cond.notify()
    cond.release()
    await asyncio.sleep(0)
    state["p"] = 7
    await cond.acquire()
    cond.notify()
    cond.release()
    await asyncio.sleep(0)
    log(f"t done {yn(t.done())}")


@scenario
async def cond_notify(log):  # test_notify, and notify(n)
    cond = asyncio.Condition()

    async def c(n):
        await cond.acquire()
        if await cond.wait():
            log(f"c{n} woke")
            cond.release()

    ts = [task(c(n)) for n in range(1, 6)]
    await asyncio.sleep(0)
    await cond.acquire()
    cond.notify(1)
    cond.release()
    await asyncio.sleep(0)
    await cond.acquire()
    cond.notify(0)
    cond.notify(-1)
    cond.release()
    await asyncio.sleep(0)
    log("nobody for 0 and -1")
    await cond.acquire()
    cond.notify(2)
    cond.release()
    await asyncio.sleep(0)
    await cond.acquire()
    cond.notify(2048)
    cond.release()
    await asyncio.gather(*ts)


@scenario
async def cond_notify_all(log):  # test_notify_all
    cond = asyncio.Condition()

    async def c(n):
        await cond.acquire()
        if await cond.wait():
            log(f"c{n} woke")
            cond.release()

    ts = [task(c(1)), task(c(2))]
    await asyncio.sleep(0)
    await cond.acquire()
    cond.notify_all()
    cond.release()
    await asyncio.sleep(0)
    log("done " + " ".join(yn(t.done()) for t in ts))


@scenario
async def cond_cancelled_error_wakeup(log):  # test_cancelled_error_wakeup
    cond = asyncio.Condition()

    async def func():
        await cond.acquire()
        try:
            await cond.wait_for(lambda: False)
        except asyncio.CancelledError as e:
            log(f"func {exc(e)} locked {yn(cond.locked())}")
            raise
        finally:
            cond.release()

    t = task(func())
    await asyncio.sleep(0)
    t.cancel(msg="foo")
    await settle(log, "t", t)


@scenario
async def cond_cancelled_error_re_acquire(log):  # test_cancelled_error_re_aquire
    cond = asyncio.Condition()
    state = {"wake": False}

    async def func():
        await cond.acquire()
        try:
            await cond.wait_for(lambda: state["wake"])
        except asyncio.CancelledError as e:
            log(f"func {exc(e)} locked {yn(cond.locked())}")
            raise
        finally:
            cond.release()

    t = task(func())
    await asyncio.sleep(0)
    await cond.acquire()
    state["wake"] = True
    cond.notify()
    await asyncio.sleep(0)
    t.cancel(msg="foo")  # while it re-acquires
    cond.release()
    await settle(log, "t", t)
    log(f"locked {yn(cond.locked())}")


@scenario
async def cond_cancelled_twice_re_acquire(log):  # the most recent cancel wins
    cond = asyncio.Condition()

    async def func():
        await cond.acquire()
        try:
            await cond.wait()
        except asyncio.CancelledError as e:
            log(f"func {exc(e)} locked {yn(cond.locked())}")
            raise
        finally:
            cond.release()

    t = task(func())
    await asyncio.sleep(0)
    await cond.acquire()
    t.cancel(msg="first")  # during the wait
    await asyncio.sleep(0)  # now re-acquiring
    t.cancel(msg="second")
    await asyncio.sleep(0)
    t.cancel(msg="third")
    await asyncio.sleep(0)
    cond.release()
    await settle(log, "t", t)
    log(f"cancelling {t.cancelling()}")


async def consumers(log, relock):
    condition = asyncio.Condition()
    state = {"n": 0}

    async def consumer(name):
        await condition.acquire()
        try:
            while True:
                await condition.wait_for(lambda: state["n"] != 0)
                if state["n"] < 0:
                    log(f"{name} ends")
                    return
                state["n"] -= 1
                log(f"{name} consumed")
        except asyncio.CancelledError:
            log(f"{name} cancelled")
            raise
        finally:
            condition.release()

    c = [task(consumer("c0")), task(consumer("c1"))]
    await asyncio.sleep(0)
    await condition.acquire()
    state["n"] += 1
    condition.notify(1)
    if relock:
        await asyncio.sleep(0)
    c[0].cancel()
    try:
        await timeout_task(10, lambda: condition.wait_for(lambda: state["n"] == 0))
    except TimeoutError:
        log("timed out")
    log(f"state {state['n']}")
    state["n"] = -1
    condition.notify_all()
    condition.release()
    await c[1]


@scenario
async def cond_cancelled_wakeup(log):  # test_cancelled_wakeup
    await consumers(log, False)


@scenario
async def cond_cancelled_wakeup_relock(log):  # test_cancelled_wakeup_relock
    await consumers(log, True)


@scenario
async def cond_explicit_lock(log):  # test_explicit_lock
    lock = asyncio.Lock()
    cond = asyncio.Condition(lock)
    await lock.acquire()
    log(f"cond locked {yn(cond.locked())}")
    cond.release()
    log(f"lock locked {yn(lock.locked())}")
    await cond.acquire()
    log(f"lock locked {yn(lock.locked())}")
    lock.release()

    async def waiter():
        await cond.acquire()
        await cond.wait()
        log(f"woke, lock locked {yn(lock.locked())}")
        cond.release()

    w = task(waiter())
    await asyncio.sleep(0)
    await lock.acquire()
    cond.notify()
    lock.release()
    await w
    log(f"lock locked {yn(lock.locked())}")


@scenario
async def cond_timeout_in_block(log):  # test_timeout_in_block
    cond = asyncio.Condition()
    await cond.acquire()
    try:
        await timeout_task(50, cond.wait)
    except TimeoutError as e:
        log(f"{type(e).__name__} locked {yn(cond.locked())}")
    cond.release()


# ---- Barrier --------------------------------------------------------------------

N = 5


def make_tasks(n, coro):
    return [task(coro(i)) for i in range(n)]


async def gather_tasks(n, coro):
    return await asyncio.gather(*make_tasks(n, coro))


@scenario
async def barrier_basics(log):  # test_barrier_parties, test_filling_task_by_task
    for n in (0, -4):
        try:
            asyncio.Barrier(n)
        except ValueError as e:
            log(exc(e))
    b = asyncio.Barrier(3)
    log(f"parties {b.parties} n_waiting {b.n_waiting} broken {yn(b.broken)}")

    async def party(i):
        index = await b.wait()
        log(f"t{i} index {index} n_waiting {b.n_waiting}")
        return index

    t1 = task(party(1))
    await asyncio.sleep(0)
    log(f"n_waiting {b.n_waiting}")
    t2 = task(party(2))
    await asyncio.sleep(0)
    log(f"n_waiting {b.n_waiting}")
    t3 = task(party(3))
    await asyncio.sleep(0)
    log(f"n_waiting {b.n_waiting}")
    log(f"results {await t1} {await t2} {await t3} n_waiting {b.n_waiting} broken {yn(b.broken)}")


@scenario
async def barrier_filling_one_task_twice(log):  # test_filling_one_task_twice
    b = asyncio.Barrier(1)
    t1 = task(b.wait())
    await asyncio.sleep(0)
    t2 = task(b.wait())
    await asyncio.sleep(0)
    log(f"{t1.result()} {t2.result()} n_waiting {b.n_waiting}")


@scenario
async def barrier_wait_twice(log):  # test_filling_tasks_wait_twice, _check_return_value
    b = asyncio.Barrier(N)

    async def coro(i):
        first = await b.wait()
        log(f"t{i} first {first}")
        second = await b.wait()
        log(f"t{i} second {second}")
        return second

    r = await gather_tasks(N, coro)
    log(f"results {' '.join(map(str, r))} n_waiting {b.n_waiting}")


@scenario
async def barrier_blocking_while_draining(log):  # test_blocking_tasks_while_draining
    b = asyncio.Barrier(N)
    b2 = asyncio.Barrier(N - 2)
    state = {"rewait": 2}

    async def coro(i):
        await b.wait()
        log(f"t{i} passed")
        if state["rewait"] > 0:
            state["rewait"] -= 1
            log(f"t{i} again {await b.wait()}")
        else:
            await b2.wait()
            log(f"t{i} passed b2")
            log(f"t{i} again {await b.wait()}")

    await gather_tasks(N, coro)


@scenario
async def barrier_cancel_one(log):  # test_filling_tasks_cancel_one
    b = asyncio.Barrier(3)

    async def coro(i):
        try:
            index = await b.wait()
        except asyncio.CancelledError:
            log(f"t{i} cancelled, n_waiting {b.n_waiting}")
            raise
        log(f"t{i} index {index}")

    t1 = task(coro(1))
    await asyncio.sleep(0)
    t2 = task(coro(2))
    await asyncio.sleep(0)
    log(f"n_waiting {b.n_waiting}")
    t1.cancel()
    await asyncio.sleep(0)
    log(f"n_waiting {b.n_waiting} broken {yn(b.broken)}")
    await settle(log, "t1", t1)
    t3 = task(coro(3))
    await asyncio.sleep(0)
    log(f"n_waiting {b.n_waiting}")
    t4 = task(coro(4))
    await asyncio.gather(t2, t3, t4)
    log(f"n_waiting {b.n_waiting} broken {yn(b.broken)}")


@scenario
async def barrier_reset_idle(log):  # test_reset_barrier, test_abort_barrier
    b = asyncio.Barrier(1)
    task(b.reset())
    await asyncio.sleep(0)
    log(f"n_waiting {b.n_waiting} broken {yn(b.broken)}")
    task(b.abort())
    await asyncio.sleep(0)
    log(f"n_waiting {b.n_waiting} broken {yn(b.broken)}")
    await settle(log, "wait", b.wait())
    await b.reset()
    log(f"broken {yn(b.broken)}")
    await settle(log, "wait", b.wait())


@scenario
async def barrier_reset_while_waiting(log):  # test_reset_barrier_while_tasks_waiting
    b = asyncio.Barrier(N)

    async def coro(i):
        try:
            await b.wait()
        except asyncio.BrokenBarrierError as e:
            log(f"t{i} {exc(e)}")

    ts = make_tasks(N - 1, coro)
    await asyncio.sleep(0)
    log(f"n_waiting {b.n_waiting}")
    task(b.reset())
    await asyncio.gather(*ts)
    log(f"n_waiting {b.n_waiting} broken {yn(b.broken)}")


@scenario
async def barrier_reset_half_draining_half_blocking(log):  # test_reset_barrier_when_tasks_half_draining_half_blocking
    b = asyncio.Barrier(N)
    blocking = N // 2
    state = {"count": 0}

    async def coro(i):
        try:
            await b.wait()
        except asyncio.BrokenBarrierError:
            log(f"t{i} broken, waits again")
            log(f"t{i} index {await b.wait()}")
        else:
            state["count"] += 1
            if state["count"] > blocking:
                log(f"t{i} resets")
                await b.reset()
                log(f"t{i} index {await b.wait()}")
            else:
                try:
                    log(f"t{i} index {await b.wait()}")
                except asyncio.BrokenBarrierError:
                    log(f"t{i} broken (wrong)")

    await gather_tasks(N, coro)
    log(f"n_waiting {b.n_waiting} broken {yn(b.broken)}")


@scenario
async def barrier_reset_wait_again(log):  # test_reset_barrier_while_tasks_waiting_and_waiting_again
    b = asyncio.Barrier(N)

    async def coro1(i):
        try:
            await b.wait()
        except asyncio.BrokenBarrierError:
            log(f"t{i} broken")
        finally:
            log(f"t{i} index {await b.wait()}")

    async def coro2():
        log(f"last index {await b.wait()}")

    ts = make_tasks(N - 1, coro1)
    task(b.reset())
    await asyncio.sleep(0)
    task(coro2())
    await asyncio.gather(*ts)
    log(f"n_waiting {b.n_waiting} broken {yn(b.broken)}")


@scenario
async def barrier_reset_while_draining(log):  # test_reset_barrier_while_tasks_draining
    b = asyncio.Barrier(N)
    state = {"count": 0}

    async def coro(i):
        await b.wait()
        state["count"] += 1
        if state["count"] == N:
            log(f"t{i} resets")
            await b.reset()
            await b.wait()
        else:
            try:
                await b.wait()
                log(f"t{i} second wait passed")
            except Exception as e:
                log(f"t{i} {exc(e)} (wrong)")
        k = await b.wait()
        log(f"t{i} last {k}")

    await gather_tasks(N, coro)
    log(f"n_waiting {b.n_waiting} broken {yn(b.broken)}")


@scenario
async def barrier_abort_half_draining_half_blocking(log):  # test_abort_barrier_when_tasks_half_draining_half_blocking
    b = asyncio.Barrier(N)
    blocking = N // 2
    state = {"count": 0}

    async def coro(i):
        try:
            await b.wait()
        except asyncio.BrokenBarrierError as e:
            log(f"t{i} first {exc(e)}")
        else:
            state["count"] += 1
            if state["count"] > blocking:
                log(f"t{i} aborts")
                await b.abort()
            else:
                try:
                    await b.wait()
                except asyncio.BrokenBarrierError as e:
                    log(f"t{i} second {exc(e)}")

    await gather_tasks(N, coro)
    log(f"n_waiting {b.n_waiting} broken {yn(b.broken)}")


@scenario
async def barrier_abort_when_exception(log):  # test_abort_barrier_when_exception
    b = asyncio.Barrier(N)

    async def coro(i):
        try:
            idx = await b.wait()
            if idx == N // 2:
                raise RuntimeError("boom")
            await b.wait()
            log(f"t{i} passed twice (wrong)")
        except asyncio.BrokenBarrierError as e:
            log(f"t{i} {exc(e)}")
        except RuntimeError:
            log(f"t{i} aborts")
            await b.abort()

    await gather_tasks(N, coro)
    log(f"n_waiting {b.n_waiting} broken {yn(b.broken)}")


@scenario
async def barrier_abort_then_reset(log):  # test_abort_barrier_when_exception_then_resetting
    b1 = asyncio.Barrier(N)
    b2 = asyncio.Barrier(N)

    async def coro(i):
        try:
            idx = await b1.wait()
            if idx == N // 2:
                raise RuntimeError("boom")
            await b1.wait()
            log(f"t{i} passed (wrong)")
        except asyncio.BrokenBarrierError:
            log(f"t{i} broken")
        except RuntimeError:
            log(f"t{i} aborts")
            await b1.abort()
        idx = await b2.wait()
        if idx == N // 2:
            log(f"t{i} resets b1")
            await b1.reset()
        await b2.wait()
        log(f"t{i} b1 index {await b1.wait()}")

    await gather_tasks(N, coro)
    log(f"broken {yn(b1.broken)} n_waiting {b1.n_waiting}")


# ---- Queue ------------------------------------------------------------------------


@scenario
async def queue_basics(log):  # test_empty, test_full, test_maxsize, test_nonblocking_*
    q = asyncio.Queue()
    log(f"empty {yn(q.empty())} full {yn(q.full())} maxsize {q.maxsize} qsize {q.qsize()}")
    q.put_nowait(1)
    log(f"empty {yn(q.empty())} qsize {q.qsize()} got {q.get_nowait()}")
    try:
        q.get_nowait()
    except asyncio.QueueEmpty as e:
        log(exc(e))
    q2 = asyncio.Queue(maxsize=2)
    q2.put_nowait(1)
    log(f"full {yn(q2.full())}")
    q2.put_nowait(2)
    log(f"full {yn(q2.full())}")
    try:
        q2.put_nowait(3)
    except asyncio.QueueFull as e:
        log(exc(e))
    q3 = asyncio.Queue(maxsize=-1)  # no limit
    for i in range(5):
        q3.put_nowait(i)
    log(f"unbounded full {yn(q3.full())} qsize {q3.qsize()} maxsize {q3.maxsize}")
    try:
        asyncio.Queue().task_done()
    except ValueError as e:
        log(exc(e))
    q.task_done()  # the one put above
    try:
        q.task_done()
    except ValueError as e:
        log(exc(e))


@scenario
async def queue_order(log):  # test_order (Queue, LifoQueue, PriorityQueue)
    for cls in (asyncio.Queue, asyncio.LifoQueue, asyncio.PriorityQueue):
        q = cls()
        for i in [1, 3, 2, 5, 4, 0]:
            await q.put(i)
        items = [await q.get() for _ in range(6)]
        log(f"{cls.__name__} {' '.join(map(str, items))}")


@scenario
async def queue_priority_items(log):  # Python's < on what the items become
    q = asyncio.PriorityQueue()
    # Equal priorities: lists that compare equal but print differently
    # ([1, true] == [1, 1]) come out in heapq's order.
    items = [[1, True], [1, 1], [0, False], [1, 1], [0, 0], [2, "b"], [1, True],
             [0, False], [2, "a"], [1, 1], [0, 0], [1, True], [0, True], [0, 0]]
    for x in items:
        q.put_nowait(x)
    log(" ".join(show(q.get_nowait()) for _ in range(len(items))))
    s = asyncio.PriorityQueue()
    for x in ["\U0001F600", "\uffff", "a", "\u00e9", "", "ab", "Z", "\u00e9a"]:
        s.put_nowait(x)
    log(" ".join(show(s.get_nowait()) for _ in range(8)))
    n = asyncio.PriorityQueue()
    for x in [1.5, -1, 2, 1, 12.5, -0.5, 0]:
        n.put_nowait(x)
    log(" ".join(str(n.get_nowait()) for _ in range(7)))
    by = asyncio.PriorityQueue()
    for x in [b"\x01\x02", b"\x01", b"", b"\xff", b"\x00\xff"]:
        by.put_nowait(x)
    log(" ".join(show(by.get_nowait()) for _ in range(5)))
    j = asyncio.PriorityQueue()
    for x in [[2, "x"], [1, "b"], [1, "a"], [1, "a", 0], [0, "z"], [3, [2, 1]], [3, [2]], [3, [1, 5]], [-1.5, "n"]]:
        j.put_nowait(x)
    log(" ".join(show(j.get_nowait()) for _ in range(9)))
    try:
        n.put_nowait(1)
        n.put_nowait("a")
    except TypeError as e:
        # Not qsize: heappush leaves "a" in the list, uncounted by
        # unfinished_tasks; the runtime refuses it whole (sync errors test).
        log(type(e).__name__)


@scenario
async def queue_blocking_get(log):  # test_blocking_get_wait, test_put_with_waiting_getters
    q = asyncio.Queue()

    async def getter(name):
        log(f"{name} got {await q.get()}")

    a = task(getter("a"))
    b = task(getter("b"))
    await asyncio.sleep(0)
    await q.put(1)
    log("put 1")
    await q.put(2)
    log("put 2")
    await asyncio.gather(a, b)


@scenario
async def queue_blocking_put(log):  # test_blocking_put_wait, test_get_with_waiting_putters
    q = asyncio.Queue(maxsize=1)

    async def later():
        await asyncio.sleep(0.01)
        log(f"get_nowait {q.get_nowait()}")

    async def queue_put():
        await q.put(1)
        log("put 1")
        await q.put(2)
        log("put 2")

    task(later())
    p = task(queue_put())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    log(f"p done {yn(p.done())} full {yn(q.full())}")
    await p
    log(f"got {await q.get()} qsize {q.qsize()}")

    q2 = asyncio.Queue(maxsize=1)
    task(q2.put("a"))
    task(q2.put("b"))
    log(f"got {await q2.get()}")
    log(f"got {await q2.get()}")


@scenario
async def queue_get_cancelled_race(log):  # test_get_cancelled_race
    q = asyncio.Queue()
    t1 = task(q.get())
    t2 = task(q.get())
    await asyncio.sleep(0)
    t1.cancel()
    await asyncio.sleep(0)
    log(f"t1 done {yn(t1.done())}")
    await q.put("a")
    await asyncio.sleep(0)
    log(f"t2 got {await t2}")


@scenario
async def queue_why_getters_waiting(log):  # test_why_are_getters_waiting, test_why_are_putters_waiting
    q = asyncio.Queue(1)

    async def consumer(n):
        for _ in range(n):
            log(f"got {await q.get()}")

    async def producer(n):
        for i in range(n):
            await q.put(i)
            log(f"put {i}")

    await asyncio.gather(task(producer(5)), task(consumer(5)))
    q2 = asyncio.Queue(2)

    async def putter(item):
        await q2.put(item)
        log(f"putter {item} done")

    async def getter():
        await asyncio.sleep(0)
        for _ in range(q2.qsize()):
            log(f"get_nowait {q2.get_nowait()}")

    await asyncio.gather(task(getter()), task(putter(0)), task(putter(1)), task(putter(2)), task(putter(3)))
    log(f"qsize {q2.qsize()}")


@scenario
async def queue_cancelled_getters_not_held(log):  # test_cancelled_getters_not_being_held_in_self_getters
    q = asyncio.Queue(maxsize=5)
    try:
        await asyncio.wait_for(task(q.get()), 0.1)
    except TimeoutError as e:
        log(type(e).__name__)
    q.put_nowait("x")  # wakes nobody: no getter left behind
    log(f"qsize {q.qsize()} got {await q.get()}")


@scenario
async def queue_get_cancel_drop_one(log):  # test_get_cancel_drop_one_pending_reader
    q = asyncio.Queue()
    reader = task(q.get())
    await asyncio.sleep(0)
    q.put_nowait(1)
    q.put_nowait(2)
    reader.cancel()
    try:
        await reader
    except asyncio.CancelledError:
        log("reader cancelled, again")
        reader = task(q.get())
        await reader
    log(f"got {reader.result()} qsize {q.qsize()}")


@scenario
async def queue_get_cancel_drop_many(log):  # test_get_cancel_drop_many_pending_readers
    q = asyncio.Queue()

    async def reader(name):
        try:
            log(f"{name} got {await q.get()}")
        except asyncio.CancelledError:
            log(f"{name} cancelled")
            raise

    r1 = task(reader("r1"))
    r2 = task(reader("r2"))
    r3 = task(reader("r3"))
    await asyncio.sleep(0)
    q.put_nowait(1)
    q.put_nowait(2)
    r1.cancel()
    await settle(log, "r1", r1)
    await asyncio.gather(r2, r3)
    log(f"qsize {q.qsize()}")


@scenario
async def queue_put_cancel_drop(log):  # test_put_cancel_drop
    q = asyncio.Queue(1)
    q.put_nowait(1)
    writer = task(q.put(2))
    await asyncio.sleep(0)
    log(f"got {q.get_nowait()}")
    writer.cancel()
    try:
        await writer
    except asyncio.CancelledError:
        log("writer cancelled, again")
        writer = task(q.put(2))
        await writer
    log(f"got {q.get_nowait()} qsize {q.qsize()}")


@scenario
async def queue_put_cancelled_race(log):  # test_put_cancelled_race
    q = asyncio.Queue(maxsize=1)
    put_a = task(q.put("a"))
    put_b = task(q.put("b"))
    put_c = task(q.put("X"))
    await asyncio.sleep(0)
    log(f"a {yn(put_a.done())} b {yn(put_b.done())}")
    put_c.cancel()
    await asyncio.sleep(0)
    log(f"c done {yn(put_c.done())} got {q.get_nowait()}")
    await asyncio.sleep(0)
    log(f"got {q.get_nowait()}")
    await put_b
    log(f"qsize {q.qsize()}")


@scenario
async def queue_put_woken_then_cancelled(log):  # test_cancelled_put_silence_value_error_exception, test_cancelled_puts_not_being_held_in_self_putters
    q = asyncio.Queue(1)
    q.put_nowait(1)
    p = task(q.put(2))
    p2 = task(q.put(3))
    await asyncio.sleep(0)
    q.get_nowait()  # wakes p (takes it out of the putters)
    p.cancel()
    await settle(log, "p", p)
    log(f"qsize {q.qsize()}")  # p2 was woken in p's place
    await p2
    log(f"qsize {q.qsize()} got {q.get_nowait()}")
    q.put_nowait(4)
    w = task(q.put(5))
    await asyncio.sleep(0)
    w.cancel()
    await settle(log, "w", w)
    log(f"got {q.get_nowait()} qsize {q.qsize()}")  # no putter left behind


@scenario
async def queue_getter_woken_then_cancelled(log):  # the item goes to the next getter
    q = asyncio.Queue()

    async def reader(name):
        try:
            log(f"{name} got {await q.get()}")
        except asyncio.CancelledError:
            log(f"{name} cancelled")
            raise

    r1 = task(reader("r1"))
    r2 = task(reader("r2"))
    await asyncio.sleep(0)
    q.put_nowait("only")  # wakes r1
    r1.cancel()
    await asyncio.gather(r1, r2, return_exceptions=True)
    log(f"qsize {q.qsize()}")


@scenario
async def queue_task_done_join(log):  # test_task_done, test_join_empty_queue
    for cls in (asyncio.Queue, asyncio.LifoQueue, asyncio.PriorityQueue):
        q = cls()
        await q.join()
        await q.join()
        for i in range(100):
            q.put_nowait(i)
        acc = {"sum": 0, "running": True}

        async def worker():
            while acc["running"]:
                acc["sum"] += await q.get()
                q.task_done()

        ts = [task(worker()), task(worker())]
        await q.join()
        log(f"{cls.__name__} joined sum {acc['sum']}")
        acc["running"] = False
        for _ in ts:
            q.put_nowait(0)
        await asyncio.gather(*ts)
        try:
            q.task_done()
            q.task_done()
            q.task_done()
        except ValueError as e:
            log(exc(e))


@scenario
async def queue_join_waits(log):  # join waits for every task_done
    q = asyncio.Queue()
    q.put_nowait("a")
    q.put_nowait("b")

    async def joiner(name):
        await q.join()
        log(f"{name} joined")

    j1 = task(joiner("j1"))
    j2 = task(joiner("j2"))
    await asyncio.sleep(0)
    q.get_nowait()
    q.get_nowait()
    q.task_done()
    await asyncio.sleep(0)
    log(f"j1 {yn(j1.done())}")
    q.task_done()
    log("all done")
    await asyncio.gather(j1, j2)


async def shutdown_empty(log, cls):  # test_shutdown_empty
    q = cls()
    get_task = task(q.get())
    await asyncio.sleep(0)
    q.shutdown(immediate=False)
    log(f"qsize {q.qsize()}")
    await q.join()
    await asyncio.sleep(0)
    log(f"get done {yn(get_task.done())}")
    await settle(log, "get", get_task)
    await settle(log, "put", q.put("data"))
    try:
        q.put_nowait("data")
    except asyncio.QueueShutDown as e:
        log(f"put_nowait {exc(e)}")
    await settle(log, "get", q.get())
    try:
        q.get_nowait()
    except asyncio.QueueShutDown as e:
        log(f"get_nowait {exc(e)}")


async def shutdown_nonempty(log, cls):  # test_shutdown_nonempty
    q = cls(maxsize=1)
    q.put_nowait("data")
    join_task = task(q.join())
    put_task = task(q.put("data2"))
    await asyncio.sleep(0)
    log(f"put done {yn(put_task.done())}")
    q.shutdown(immediate=False)
    log(f"qsize {q.qsize()}")
    await asyncio.sleep(0)
    log(f"put done {yn(put_task.done())}")
    await settle(log, "put", put_task)
    log(f"got {await q.get()}")
    await asyncio.sleep(0)
    log(f"join done {yn(join_task.done())}")
    await settle(log, "put", q.put("data"))
    await settle(log, "get", q.get())
    q.task_done()
    await asyncio.sleep(0)
    log(f"join done {yn(join_task.done())}")
    try:
        q.task_done()
    except ValueError as e:
        log(exc(e))


async def shutdown_immediate(log, cls):  # test_shutdown_immediate
    q = cls()
    q.put_nowait("data")
    join_task = task(q.join())
    q.shutdown(immediate=True)
    log(f"qsize {q.qsize()}")
    await asyncio.sleep(0)
    log(f"join done {yn(join_task.done())}")
    await settle(log, "put", q.put("data"))
    await settle(log, "get", q.get())
    try:
        q.task_done()
    except ValueError as e:
        log(exc(e))


async def shutdown_immediate_with_unfinished(log, cls):  # test_shutdown_immediate_with_unfinished
    q = cls()
    q.put_nowait("data")
    q.put_nowait("data")
    join_task = task(q.join())
    log(f"got {await q.get()}")
    q.shutdown(immediate=True)
    log(f"qsize {q.qsize()}")
    await asyncio.sleep(0)
    log(f"join done {yn(join_task.done())}")
    q.task_done()
    try:
        q.task_done()
    except ValueError as e:
        log(exc(e))
    await asyncio.sleep(0)
    log(f"join done {yn(join_task.done())}")


@scenario
async def queue_shutdown(log):
    for cls in (asyncio.Queue, asyncio.LifoQueue, asyncio.PriorityQueue):
        log(cls.__name__)
        await shutdown_empty(log, cls)
        await shutdown_nonempty(log, cls)
        await shutdown_immediate(log, cls)
        await shutdown_immediate_with_unfinished(log, cls)


@scenario
async def queue_shutdown_waiters(log):  # blocked getters and putters are woken with QueueShutDown
    q = asyncio.Queue()
    g1 = task(q.get())
    g2 = task(q.get())
    await asyncio.sleep(0)
    q.shutdown()
    await settle(log, "g1", g1)
    await settle(log, "g2", g2)
    full = asyncio.Queue(1)
    full.put_nowait("x")
    p1 = task(full.put("y"))
    p2 = task(full.put("z"))
    await asyncio.sleep(0)
    full.shutdown()
    await settle(log, "p1", p1)
    await settle(log, "p2", p2)
    log(f"qsize {full.qsize()} got {full.get_nowait()}")
    await settle(log, "get", full.get())
    # immediate: queued items are dropped, getters fail at once
    q3 = asyncio.Queue()
    q3.put_nowait(1)
    q3.put_nowait(2)
    log(f"got {await q3.get()}")
    q3.shutdown(immediate=True)
    await settle(log, "get", q3.get())
    log(f"qsize {q3.qsize()}")


# ---- C and JS tasks on one primitive (tests/c/sync_probes.c) -----------------------
# The C probes' Python twins: what each C coroutine does, printed alike.


async def c_lock_user(log, lock, label, hold_ms):
    try:
        await lock.acquire()
    except BaseException as e:
        log(f"{label} acquire {exc(e)}")
        raise
    log(f"{label} acquired")
    try:
        await asyncio.sleep(hold_ms / 1000)
    finally:
        lock.release()
        log(f"{label} released")


async def c_sem_user(log, sem, label, hold_ms):
    try:
        await sem.acquire()
    except BaseException as e:
        log(f"{label} acquire {exc(e)} value {sem._value}")
        raise
    log(f"{label} acquired value {sem._value}")
    try:
        await asyncio.sleep(hold_ms / 1000)
    finally:
        sem.release()
        log(f"{label} released value {sem._value}")


async def c_event_waiter(log, ev, label):
    try:
        await ev.wait()
    except BaseException as e:
        log(f"{label} {exc(e)}")
        raise
    log(f"{label} woke")


async def c_cond_waiter(log, cond, ev, label):
    # wait_for(ev.is_set) under the condition's lock
    await cond.acquire()
    try:
        await cond.wait_for(ev.is_set)
        log(f"{label} woke locked {yn(cond.locked())}")
    except BaseException as e:
        log(f"{label} {exc(e)} locked {yn(cond.locked())}")
        raise
    finally:
        cond.release()


async def c_barrier_party(log, b, label):
    try:
        i = await b.wait()
    except BaseException as e:
        log(f"{label} {exc(e)}")
        raise
    log(f"{label} index {i}")


async def c_producer(log, q, label, start, n):
    for i in range(start, start + n):
        try:
            await q.put(i)
        except BaseException as e:
            log(f"{label} put {exc(e)}")
            raise
        log(f"{label} put {i}")


async def c_consumer(log, q, label, n):
    for _ in range(n):
        try:
            item = await q.get()
        except BaseException as e:
            log(f"{label} get {exc(e)}")
            raise
        log(f"{label} got {show(item)}")
        q.task_done()


@scenario
async def mixed_lock(log):
    lock = asyncio.Lock()
    await lock.acquire()

    async def js(label):
        await lock.acquire()
        log(f"{label} acquired")
        lock.release()

    c1 = task(c_lock_user(log, lock, "C1", 0))
    j1 = task(js("J1"))
    c2 = task(c_lock_user(log, lock, "C2", 10))
    j2 = task(js("J2"))
    await asyncio.sleep(0)
    lock.release()  # wakes C1
    c1.cancel()  # C1 passes the wake-up on to J1
    await asyncio.gather(c1, j1, c2, j2, return_exceptions=True)
    log(f"locked {yn(lock.locked())}")


@scenario
async def mixed_semaphore(log):
    sem = asyncio.Semaphore(2)

    async def js(label):
        await sem.acquire()
        log(f"{label} acquired")
        await asyncio.sleep(0.005)
        sem.release()

    ts = [task(c_sem_user(log, sem, "C1", 10)), task(js("J1")), task(c_sem_user(log, sem, "C2", 10)),
          task(js("J2")), task(c_sem_user(log, sem, "C3", 0))]
    await asyncio.sleep(0)
    ts[4].cancel()
    await asyncio.gather(*ts, return_exceptions=True)
    log(f"locked {yn(sem.locked())}")


@scenario
async def mixed_event(log):
    ev = asyncio.Event()

    async def js(label):
        await ev.wait()
        log(f"{label} woke")

    ts = [task(c_event_waiter(log, ev, "C1")), task(js("J1")), task(c_event_waiter(log, ev, "C2")),
          task(js("J2"))]
    await asyncio.sleep(0)
    ts[2].cancel()
    ev.set()
    await asyncio.gather(*ts, return_exceptions=True)


@scenario
async def mixed_condition(log):
    cond = asyncio.Condition()
    ev = asyncio.Event()

    async def js(label):
        await cond.acquire()
        try:
            await cond.wait_for(ev.is_set)
            log(f"{label} woke")
        finally:
            cond.release()

    ts = [task(c_cond_waiter(log, cond, ev, "C1")), task(js("J1")), task(c_cond_waiter(log, cond, ev, "C2"))]
    await asyncio.sleep(0)
    await cond.acquire()
    cond.notify(1)  # C1: woken, then cancelled, passes it to J1
    ts[0].cancel()
    cond.release()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await cond.acquire()
    ev.set()
    cond.notify_all()
    cond.release()
    await asyncio.gather(*ts, return_exceptions=True)
    log(f"locked {yn(cond.locked())}")


@scenario
async def mixed_barrier(log):
    b = asyncio.Barrier(3)

    async def js(label):
        log(f"{label} index {await b.wait()}")

    ts = [task(c_barrier_party(log, b, "C1")), task(js("J1")), task(c_barrier_party(log, b, "C2")),
          task(js("J2")), task(c_barrier_party(log, b, "C3")), task(js("J3"))]
    await asyncio.gather(*ts)
    t = task(c_barrier_party(log, b, "C4"))
    await asyncio.sleep(0)
    log(f"n_waiting {b.n_waiting}")
    await b.abort()
    await asyncio.gather(t, return_exceptions=True)
    log(f"broken {yn(b.broken)}")


@scenario
async def mixed_queue(log):
    q = asyncio.Queue(maxsize=2)

    async def js_consumer(label, n):
        for _ in range(n):
            item = await q.get()
            log(f"{label} got {show(item)}")
            q.task_done()

    ts = [task(c_producer(log, q, "P", 0, 6)), task(js_consumer("J", 3)), task(c_consumer(log, q, "C", 3))]
    await asyncio.sleep(0)
    await q.join()
    log("joined")
    await asyncio.gather(*ts)
    await q.put("text")
    await q.put([1, "two"])
    g = task(c_consumer(log, q, "C", 3))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    q.shutdown()
    await asyncio.gather(g, return_exceptions=True)
    log(f"qsize {q.qsize()}")


@scenario
async def mixed_priority(log):
    q = asyncio.PriorityQueue()
    ts = [task(c_producer(log, q, "P", 5, 3)), task(c_producer(log, q, "R", 1, 3))]
    await asyncio.gather(*ts)
    await q.put(0.5)
    await asyncio.gather(task(c_consumer(log, q, "C", 7)))


@scenario
async def capi_errors(log):  # the C API's refusals (sync_probes.c's sync_c_api), the lines CPython has too
    def say(label, f):
        try:
            f()
            log(f"{label}: ok")
        except Exception as e:
            log(f"{label}: {exc(e)}")

    lock = asyncio.Lock()
    say("Lock release", lock.release)
    say("Semaphore(-1)", lambda: asyncio.Semaphore(-1))
    say("BoundedSemaphore(-1)", lambda: asyncio.BoundedSemaphore(-1))
    b = asyncio.BoundedSemaphore(1)
    say("BoundedSemaphore(1) release", b.release)
    say("Barrier(0)", lambda: asyncio.Barrier(0))
    say("Barrier(-4)", lambda: asyncio.Barrier(-4))
    c = asyncio.Condition(lock)
    try:
        await c.wait()
    except RuntimeError as e:
        log(f"Condition wait: {exc(e)}")
    say("Condition notify", lambda: c.notify(1))
    say("Condition notify_all", c.notify_all)
    await c.wait_for(lambda: True)
    log("Condition wait_for true: ok")
    q = asyncio.Queue(0)
    say("Queue get_nowait", q.get_nowait)
    say("Queue task_done", q.task_done)
    one = asyncio.Queue(1)
    say("Queue(1) put_nowait", lambda: one.put_nowait("x"))
    say("Queue(1) put_nowait", lambda: one.put_nowait("x"))
    one.shutdown(immediate=False)
    say("shut down put_nowait", lambda: one.put_nowait("x"))
    say("shut down get_nowait", one.get_nowait)
    say("shut down get_nowait", one.get_nowait)
    s = asyncio.Semaphore(2)
    await s.acquire()
    await s.acquire()
    log(f"Semaphore(2) twice: value {s._value} locked {yn(s.locked())}")


if __name__ == "__main__":
    prefixes = sys.argv[1:]
    # Each scenario on a fresh loop (asyncio.run), as each JS one on a fresh runtime.
    for name, fn in SCENARIOS.items():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        lines = []
        with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
            runner.run(fn(lines.append))
        print(f"{name}: " + "; ".join(lines), flush=True)
