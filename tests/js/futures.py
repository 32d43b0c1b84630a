# asyncio.Future's rules, as CPython 3.13 runs them. tests/js/hostcall.test.mjs
# (the C probe future_basics) and tests/js/future.test.mjs (rt.createFuture)
# each print the same log from the same steps.
import asyncio


async def main():
    loop = asyncio.get_running_loop()
    log = []
    f = loop.create_future()

    async def waiter():
        try:
            v = await f
            log.append(f"waiter got {v}")
        except BaseException as e:
            log.append(f"waiter {type(e).__name__}")

    t = asyncio.create_task(waiter())
    f.add_done_callback(lambda fut: log.append("callback"))
    await asyncio.sleep(0)
    f.set_result(42)
    try:
        f.set_result(43)
    except asyncio.InvalidStateError as e:
        log.append(f"InvalidStateError: {e}")
    await t
    g = loop.create_future()
    g.set_exception(ValueError("bad"))
    try:
        await g
    except ValueError:
        log.append("g ValueError")
    h = loop.create_future()
    log.append(f"cancel {h.cancel('why')} {h.cancel()}")
    try:
        await h
    except asyncio.CancelledError as e:
        log.append(f"h CancelledError {e}")
    try:
        h.set_result(1)
    except asyncio.InvalidStateError as e:
        log.append(f"InvalidStateError: {e}")
    k = loop.create_future()
    k.set_exception(asyncio.CancelledError("x"))
    log.append(f"k cancelled={k.cancelled()}")
    try:
        await k
    except asyncio.CancelledError:
        log.append("k CancelledError")
    try:
        asyncio.current_task().set_result(1)  # C only: a JS Task has no setResult
    except RuntimeError:
        log.append("task: RuntimeError")
    print("; ".join(log))


asyncio.run(main())
