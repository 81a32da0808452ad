"""Modules imported on a thread ahead of need, handed out only once their import has finished.

A module found in `sys.modules` may still be running its body on another thread: taking it
from there hands out a half-made module. So each background import has a future here, and
callers take the module from the future, never by probing `sys.modules`:

    preload.start("claw_tui.providers.anthropic")      # first thing: the import runs meanwhile
    module = await preload.loaded("claw_tui.providers.anthropic")   # on the event loop
    module = preload.module("claw_tui.providers.anthropic")         # on a worker thread

Importing holds the GIL most of the time, so a background import overlaps with waiting
(files, subprocesses, the network), not with other Python work. And while it runs, the GIL
changes hands every half millisecond instead of every five (`worker`): the thread running the
event loop gives the GIL up at each wait, and would otherwise queue for up to 5 ms behind the
worker to get it back, at every socket read, every subprocess, every turn of the loop. Nor does
the cyclic garbage collector run meanwhile: what an import builds lives as long as the process,
and walking it again and again cost the Anthropic path 7% of its CPU; when the first background
work ends (a provider's SDK, typically) the heap is frozen (`gc.freeze`), so no later collection
walks it either. Once only: what is frozen is never collected, cyclic garbage included.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from types import ModuleType
from typing import Any, TypeVar

SWITCH_INTERVAL = 0.0005  # seconds a thread may hold the GIL while another waits, during background work

_lock = threading.Lock()
_imports: dict[str, Future[ModuleType]] = {}
_workers = 0  # background work running now
_interval = 0.0  # the switch interval to restore when the last of it ends
_collecting = True  # whether the garbage collector was on when the first of it began
_frozen = False  # whether the heap was frozen already
T = TypeVar("T")


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
        with worker():
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


@contextlib.contextmanager
def worker() -> Iterator[None]:
    """Python work on a worker thread: until the last such work ends, the GIL switches every
    SWITCH_INTERVAL, so the event loop's thread gets it back promptly after each wait, and the
    garbage collector waits; then collection resumes (the first time, past a frozen heap)."""
    global _workers, _interval, _collecting, _frozen
    with _lock:
        if _workers == 0:
            _interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_interval, SWITCH_INTERVAL))
            _collecting = gc.isenabled()
            gc.disable()
        _workers += 1
    try:
        yield
    finally:
        with _lock:
            _workers -= 1
            if _workers == 0:
                sys.setswitchinterval(_interval)
                if _collecting:
                    if not _frozen:
                        gc.freeze()
                        _frozen = True
                    gc.enable()


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` on a worker thread (as asyncio.to_thread), as `worker` background work."""

    def run() -> T:
        with worker():
            return fn(*args)

    return await asyncio.to_thread(run)
