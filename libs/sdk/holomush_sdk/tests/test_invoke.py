import asyncio
import functools
import threading

from holomush_sdk._invoke import call_maybe_async, is_async_callable


async def test_plain_functions_run_off_the_event_loop_thread():
    loop_thread = threading.get_ident()
    ran_in = await call_maybe_async(threading.get_ident)
    assert ran_in != loop_thread


async def test_async_functions_run_on_the_loop():
    async def where() -> int:
        return threading.get_ident()

    assert await call_maybe_async(where) == threading.get_ident()


async def test_a_blocking_plain_handler_does_not_stall_the_loop():
    release = threading.Event()

    def blocking() -> str:
        assert release.wait(5)
        return "done"

    task = asyncio.ensure_future(call_maybe_async(blocking))
    await asyncio.sleep(0)
    release.set()  # only reachable because the loop kept running
    assert await asyncio.wait_for(task, 5) == "done"


async def test_partials_and_async_callables_are_detected():
    async def add(a: int, b: int) -> int:
        return a + b

    class Callable:
        async def __call__(self) -> str:
            return "called"

    assert is_async_callable(functools.partial(add, 1))
    assert await call_maybe_async(functools.partial(add, 1), 2) == 3
    assert is_async_callable(Callable())
    assert await call_maybe_async(Callable()) == "called"


async def test_plain_function_returning_a_coroutine_is_awaited():
    async def inner() -> str:
        return "inner"

    def outer():
        return inner()

    assert await call_maybe_async(outer) == "inner"
