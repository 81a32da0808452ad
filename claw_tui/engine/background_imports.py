"""Imports made off the event loop, on one thread, and handed out only once they have finished.

`sys.modules` holds a module from the moment its import starts, and Python gives a thread a
partially initialised module when two threads import module graphs that meet. So a module imported
in the background is only ever taken from here: `await imported(name)` (or `wait(name)` off the
event loop) returns it once its import has finished, and raises what the import raised.

One thread makes every background import, in the order asked, so two of them never race each
other; `run(work)` puts other work that imports on that thread too (building an SDK's client).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import ModuleType
from typing import TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_imports: dict[str, Future[ModuleType]] = {}  # module name → its import, started or done
_thread: ThreadPoolExecutor | None = None


def _after_fork() -> None:
    """A forked child (the warm engine's worker) has no import thread: it starts its own when asked,
    and keeps the imports that had finished."""
    global _thread, _lock
    _lock = threading.Lock()
    _thread = None
    for name, future in list(_imports.items()):
        if not future.done():
            del _imports[name]


os.register_at_fork(after_in_child=_after_fork)


def _executor() -> ThreadPoolExecutor:
    global _thread
    with _lock:
        if _thread is None:
            _thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="claw-import")
        return _thread


def start(name: str) -> Future[ModuleType]:
    """Begin importing `name` on the import thread (once); its future either way."""
    with _lock:
        future = _imports.get(name)
    if future is None:
        future = run(lambda: importlib.import_module(name))
        with _lock:
            future = _imports.setdefault(name, future)
    return future


def run(work: Callable[[], T]) -> Future[T]:
    """Run `work`, which imports, on the import thread, after the imports asked for before it."""
    return _executor().submit(work)


async def imported(name: str) -> ModuleType:
    """Module `name` once its background import has finished (started now if it was not)."""
    return await settled(start(name))


async def settled(future: Future[T]) -> T:
    """The result of work on the import thread; a cancelled waiter leaves the work to the others."""
    return await asyncio.shield(asyncio.wrap_future(future))


def wait(name: str, timeout: float | None = None) -> ModuleType:
    """`imported` for code off the event loop: blocks until the import has finished."""
    return start(name).result(timeout)
