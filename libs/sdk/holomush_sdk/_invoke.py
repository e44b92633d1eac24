"""Call author code that may be ``async def`` or plain ``def``.

Plain functions run in a worker thread (``asyncio.to_thread``) so a blocking handler never
stalls the plugin's event loop. ``to_thread`` copies the current context, so the actor and
audit context variables the adapter sets are visible inside the thread too.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


def is_async_callable(fn: Callable[..., Any]) -> bool:
    """True for ``async def`` functions and methods, also behind ``functools.partial``."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - callable objects with async __call__
    return call is not None and inspect.iscoroutinefunction(call)


@overload
async def call_maybe_async(fn: Callable[..., Awaitable[T]], /, *args: Any) -> T: ...
@overload
async def call_maybe_async(fn: Callable[..., T | Awaitable[T]], /, *args: Any) -> T: ...


async def call_maybe_async(fn: Callable[..., Any], /, *args: Any) -> Any:
    """Await ``fn(*args)``: directly if it is async, in a worker thread if it is not."""
    if is_async_callable(fn):
        return await fn(*args)
    result = await asyncio.to_thread(fn, *args)
    # A plain function may still hand back an awaitable (e.g. it returns a coroutine).
    if inspect.isawaitable(result):
        return await result
    return result
