# asyncio.wait and asyncio.as_completed as CPython 3.13 runs them, on the
# virtual clock of tests/coroutines/scenario/reference.py (times in ms).
# tests/structured/wait.test.mjs does the same steps with rt.wait and
# rt.asCompleted, and the C probes of tests/c/wait_probes.c with wa_wait and
# wa_as_completed_*; each must print what this prints.
#
# Usage: python3 wait.py            prints {"scenario": [lines]} as JSON
#        python3 wait.py <scenario> prints that scenario's lines
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "coroutines", "scenario"))
from reference import VirtualClockLoop  # noqa: E402

log = []


def now():
    return round(asyncio.get_running_loop().time() * 1000)


def say(text):
    log.append(f"{now()} {text}")


def names(tasks):
    return "[" + ",".join(sorted(t.get_name() for t in tasks)) + "]"


async def job(name, ms, fail=False):
    """Sleeps ms, then returns its name or fails with ValueError(name)."""
    await asyncio.sleep(ms / 1000)
    if fail:
        raise ValueError(name)
    return name


def spawn(name, ms, fail=False):
    return asyncio.create_task(job(name, ms, fail), name=name)


async def ticker(n):
    """tick0 .. tick<n-1>, one loop iteration apart: shows how many
    iterations the other task's steps take."""
    for i in range(n):
        say(f"tick{i}")
        await asyncio.sleep(0)


def outcome(t):
    if t.cancelled():
        return "cancelled"
    e = t.exception()
    return f"{type(e).__name__}: {e}" if e else f"result {t.result()}"


# ---- wait ------------------------------------------------------------------


async def return_when():
    a, b, c = spawn("a", 10), spawn("b", 20), spawn("c", 30)
    done, pending = await asyncio.wait([a, b, c], return_when=asyncio.FIRST_COMPLETED)
    say(f"FIRST_COMPLETED done={names(done)} pending={names(pending)}")
    done, pending = await asyncio.wait(pending)
    say(f"ALL_COMPLETED done={names(done)} pending={names(pending)}")
    # FIRST_EXCEPTION: a cancelled task is done but is no exception.
    x, d, e, f = spawn("x", 100), spawn("d", 10), spawn("e", 20, fail=True), spawn("f", 30)

    async def canceller():
        await asyncio.sleep(5 / 1000)
        x.cancel()

    asyncio.create_task(canceller())
    done, pending = await asyncio.wait([x, d, e, f], return_when=asyncio.FIRST_EXCEPTION)
    say(f"FIRST_EXCEPTION done={names(done)} pending={names(pending)} e: {outcome(e)}, x: {outcome(x)}")
    # With no exception it waits for all; ALL_COMPLETED goes on past errors.
    g = spawn("g", 10, fail=True)
    done, pending = await asyncio.wait([f], return_when=asyncio.FIRST_EXCEPTION)
    say(f"FIRST_EXCEPTION without errors done={names(done)} pending={names(pending)}")
    h = spawn("h", 20)
    done, pending = await asyncio.wait([g, h])
    say(f"ALL_COMPLETED past an error done={names(done)} pending={names(pending)} g: {outcome(g)}")


async def timeout():
    a, b = spawn("a", 10), spawn("b", 50)
    done, pending = await asyncio.wait([a, b], timeout=20 / 1000)
    say(f"timeout done={names(done)} pending={names(pending)} b cancelled={b.cancelled()}")
    say(f"b {await b}")
    c = spawn("c", 10)
    done, pending = await asyncio.wait([c], timeout=0)
    say(f"timeout 0 done={names(done)} pending={names(pending)}")
    done, pending = await asyncio.wait([c], timeout=30 / 1000)
    say(f"timeout not reached done={names(done)} pending={names(pending)}")


async def already_done():
    a = spawn("a", 0)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    say(f"a done={a.done()}")
    asyncio.create_task(ticker(5))
    done, pending = await asyncio.wait([a, a], return_when=asyncio.FIRST_COMPLETED)
    say(f"wait returned done={names(done)} pending={names(pending)}")
    done, pending = await asyncio.wait([a])
    say(f"wait returned done={names(done)} pending={names(pending)}")


async def done_at_resume():
    # b ends one iteration after a: after the wait's waiter was released,
    # before the waiting task resumed. The sets are taken when it resumes.
    a = spawn("a", 10)

    async def late():
        await asyncio.sleep(10 / 1000)
        await asyncio.sleep(0)
        return "b"

    b = asyncio.create_task(late(), name="b")
    done, pending = await asyncio.wait([a, b], return_when=asyncio.FIRST_COMPLETED)
    say(f"done={names(done)} pending={names(pending)}")


async def duplicates():
    a, b = spawn("a", 10), spawn("b", 20)
    done, pending = await asyncio.wait([a, a, b, a])
    say(f"done={names(done)} ({len(done)}) pending={names(pending)}")


async def cancel_waiter():
    a, b = spawn("a", 50), spawn("b", 60)

    async def waiter():
        try:
            await asyncio.wait([a, b])
        except asyncio.CancelledError:
            say("waiter cancelled")
            raise

    w = asyncio.create_task(waiter())
    await asyncio.sleep(10 / 1000)
    w.cancel()
    try:
        await w
    except asyncio.CancelledError:
        say(f"w cancelled={w.cancelled()}; a cancelled={a.cancelled()} done={a.done()}")
    say(f"a {await a}, b {await b}")


async def errors():
    try:
        await asyncio.wait([])
    except ValueError as e:
        say(f"ValueError: {e}")


# ---- as_completed -------------------------------------------------------------


async def ac_order():
    ts = [spawn("a", 30), spawn("b", 10), spawn("c", 20), spawn("d", 15, fail=True)]
    async for t in asyncio.as_completed(ts):
        say(f"{t.get_name()} {outcome(t)}")
    say("end")


async def ac_timeout():
    a, b, c = spawn("a", 10), spawn("b", 50), spawn("c", 60)
    it = asyncio.as_completed([a, b, c], timeout=20 / 1000)
    for _ in range(4):
        try:
            t = await anext(it)
            say(f"got {t.get_name()}")
        except TimeoutError:
            say("TimeoutError")
        except StopAsyncIteration:
            say("StopAsyncIteration")
    say(f"b cancelled={b.cancelled()} done={b.done()}")
    say(f"b {await b}, c {await c}")


async def ac_timeout_from_start():
    # The timeout counts from as_completed(), and what ended before it is
    # still yielded, ahead of the TimeoutError.
    a, b, c = spawn("a", 10), spawn("b", 15), spawn("c", 100)
    it = asyncio.as_completed([a, b, c], timeout=20 / 1000)
    await asyncio.sleep(30 / 1000)
    try:
        async for t in it:
            say(f"got {t.get_name()}")
    except TimeoutError:
        say("TimeoutError")
    c.cancel()


async def ac_done_first():
    a = spawn("a", 0)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    b = spawn("b", 10)
    asyncio.create_task(ticker(4))
    async for t in asyncio.as_completed([b, a, b]):
        say(f"got {t.get_name()}")
    say("end")


async def ac_empty():
    n = 0
    async for _ in asyncio.as_completed([]):
        n += 1
    say(f"{n} items")


async def ac_cancel():
    a, b, c = spawn("a", 10), spawn("b", 20), spawn("c", 30)

    async def consumer():
        it = asyncio.as_completed([a, b, c])
        while True:
            try:
                t = await anext(it)
                say(f"consumer got {t.get_name()}")
            except asyncio.CancelledError:
                say("consumer cancelled")
            except StopAsyncIteration:
                say("consumer: StopAsyncIteration")
                return

    k = asyncio.create_task(consumer())
    await asyncio.sleep(15 / 1000)
    k.cancel()
    await k
    say(f"c cancelled={c.cancelled()} {await c}")


SCENARIOS = {
    "return_when": return_when,
    "timeout": timeout,
    "already_done": already_done,
    "done_at_resume": done_at_resume,
    "duplicates": duplicates,
    "cancel_waiter": cancel_waiter,
    "errors": errors,
    "ac_order": ac_order,
    "ac_timeout": ac_timeout,
    "ac_timeout_from_start": ac_timeout_from_start,
    "ac_done_first": ac_done_first,
    "ac_empty": ac_empty,
    "ac_cancel": ac_cancel,
}


def run(name):
    log.clear()
    loop = VirtualClockLoop()
    try:
        loop.run_until_complete(SCENARIOS[name]())
        # What the scenario left running ends before the next one starts.
        pending = asyncio.all_tasks(loop)
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    finally:
        loop.close()
    return list(log)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print("\n".join(run(sys.argv[1])))
    else:
        print(json.dumps({name: run(name) for name in SCENARIOS}))
