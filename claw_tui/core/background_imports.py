"""Imports made off the event loop, on one thread, and handed out only once they have finished.

`sys.modules` holds a module from the moment its import starts, and Python gives a thread a
partially initialised module when two threads import module graphs that meet. So a module imported
in the background is only ever taken from here: `await imported(name)` (or `wait(name)` off the
event loop) returns it once its import has finished, and raises what the import raised.

One thread makes every background import, in the order asked, so two of them never race each
other; `run(work)` puts other work that imports on that thread too (building an SDK's client or a
language server's).

Importing holds the GIL most of the time, so a background import overlaps with waiting (files,
subprocesses, the network), not with other Python work. While work waits or runs here, the GIL
changes hands every half millisecond instead of every five: the event loop's thread gives the GIL
up at each wait, and would otherwise queue for up to 5 ms behind the import thread to get it back,
at every socket read and subprocess. Nor does the cyclic garbage collector run meanwhile: what an
import builds lives as long as the process, and walking it again and again cost the Anthropic path
7% of its CPU. When the thread first runs out of work the heap is frozen (`gc.freeze`), so no
later collection walks it either; once only, because what is frozen is never collected, cyclic
garbage included. The process's own start-up counts as such work until the app's first frame or
print mode's session is up (`hold_start_up`): what it builds lives as long as the process too.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
import queue
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

SWITCH_INTERVAL = 0.0005  # seconds a thread may hold the GIL while another waits, while work is here

_lock = threading.Lock()
_imports: dict[str, Future[ModuleType]] = {}  # module name → its import, started or done
_queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = queue.SimpleQueue()
_thread: threading.Thread | None = None
_pending = 0  # work queued or running on the import thread
_interval = 0.0  # the switch interval to restore when the last of it ends
_collecting = True  # whether the garbage collector was on when the first of it was queued
_frozen = False  # whether the heap was frozen already
_starting = False  # whether the process's start-up is held as work (hold_start_up)


def _after_fork() -> None:
    """A forked child (the warm engine's worker) has no import thread: it starts its own when
    asked, and keeps the imports that had finished; work the parent still had queued is not its."""
    global _lock, _queue, _thread, _pending, _starting
    _lock = threading.Lock()
    _queue = queue.SimpleQueue()
    _thread = None
    _starting = False
    if _pending:
        _pending = 0
        sys.setswitchinterval(_interval)
        if _collecting:
            gc.enable()
    for name, future in list(_imports.items()):
        if not future.done():
            del _imports[name]


os.register_at_fork(after_in_child=_after_fork)


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
    """Run `work`, which imports, on the import thread, after the work asked for before it."""
    global _thread
    future: Future[T] = Future()
    with _lock:
        if _thread is None:
            # A daemon: a process that is done exits at once, not after an import it no longer needs
            # (a language server's client, still loading when a short `claw -p` ends).
            _thread = threading.Thread(target=_serve, name="claw-import", daemon=True)
            _thread.start()
        _begin()
        _queue.put((future, work))
    return future


def _serve() -> None:
    while True:
        future, work = _queue.get()
        result: Any = None
        error: BaseException | None = None
        running = future.set_running_or_notify_cancel()
        try:
            if running:
                result = work()
        except BaseException as exc:  # noqa: BLE001 - whoever takes the result gets the work's own error
            error = exc
        finally:
            with _lock:
                _end()  # before the result: whoever gets it finds the switch interval and collector restored
        if running and error is not None:
            future.set_exception(error)
        elif running:
            future.set_result(result)


def _begin() -> None:
    global _pending, _interval, _collecting
    if _pending == 0:
        _interval = sys.getswitchinterval()
        sys.setswitchinterval(min(_interval, SWITCH_INTERVAL))
        _collecting = gc.isenabled()
        gc.disable()
    _pending += 1


def _end() -> None:
    global _pending, _frozen
    _pending -= 1
    if _pending == 0:
        sys.setswitchinterval(_interval)
        if _collecting:
            if not _frozen:
                gc.freeze()
                _frozen = True
            gc.enable()


def hold_start_up() -> None:
    """Count the process's own start-up (its imports and first objects, on the main thread) as work
    here until `start_up_done`: no collection meanwhile (~100 ms of the app's first frame went to
    collecting what start-up builds, all of it for good), then the heap is frozen with the rest."""
    global _starting
    with _lock:
        if not _starting:
            _starting = True
            _begin()


def start_up_done() -> None:
    """The end of what `hold_start_up` began (a no-op if nothing was held, or already ended)."""
    global _starting
    with _lock:
        if _starting:
            _starting = False
            _end()


async def imported(name: str) -> ModuleType:
    """Module `name` once its background import has finished (started now if it was not)."""
    return await settled(start(name))


async def settled(future: Future[T]) -> T:
    """The result of work on the import thread; a cancelled waiter leaves the work to the others."""
    return await asyncio.shield(asyncio.wrap_future(future))


def wait(name: str, timeout: float | None = None) -> ModuleType:
    """`imported` for code off the event loop: blocks until the import has finished."""
    return start(name).result(timeout)
