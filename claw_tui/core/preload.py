"""Modules imported on a thread ahead of need, handed out only once their import has finished.

A module found in `sys.modules` may still be running its body on another thread: taking it
from there hands out a half-made module. So each background import has a future here, and
callers take the module from the future, never by probing `sys.modules`:

    preload.start("claw_tui.providers.anthropic")      # first thing: the import runs meanwhile
    module = await preload.loaded("claw_tui.providers.anthropic")   # on the event loop
    module = preload.module("claw_tui.providers.anthropic")         # on a worker thread

Importing holds the GIL most of the time, so a background import overlaps with waiting
(files, subprocesses, the network), not with other Python work.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from concurrent.futures import Future
from types import ModuleType

_lock = threading.Lock()
_imports: dict[str, Future[ModuleType]] = {}


def start(name: str) -> Future[ModuleType]:
    """Begin importing `name` on a thread of its own, once per process; the future gets the
    module, or the exception the import raised."""
    with _lock:
        future = _imports.get(name)
        if future is None:
            future = _imports[name] = Future()
            thread = threading.Thread(target=_run, args=(name, future), name=f"import {name}", daemon=True)
            thread.start()
    return future


def _run(name: str, future: Future[ModuleType]) -> None:
    try:
        module = importlib.import_module(name)
    except BaseException as exc:  # noqa: BLE001 - whoever takes the module gets the import's own error
        future.set_exception(exc)
    else:
        future.set_result(module)


def module(name: str) -> ModuleType:
    """The module once its import finished (started now if it was not); blocks: for worker threads."""
    return start(name).result()


async def loaded(name: str) -> ModuleType:
    """The module once its import finished (started now if it was not); the event loop runs meanwhile."""
    return await asyncio.wrap_future(start(name))
