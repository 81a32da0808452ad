"""Background imports: one thread, a module handed out only once its import has finished, and the
GIL and the garbage collector set for the run while work is there."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import threading

import pytest

from claw_tui.core import background_imports

SLOW_MODULE = """
import os, time
while not os.path.exists({flag!r}):
    time.sleep(0.01)
DONE = True
"""


@pytest.fixture
def slow_module(tmp_path, monkeypatch):
    """A module whose import runs until the test touches its flag file: (name, flag)."""
    name = f"claw_slow_module_{tmp_path.name}"
    flag = tmp_path / "go"
    (tmp_path / f"{name}.py").write_text(SLOW_MODULE.format(flag=str(flag)))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name, flag
    flag.touch()  # never leave the import thread held
    background_imports.wait(name, timeout=10)
    monkeypatch.delitem(sys.modules, name, raising=False)


async def test_a_module_still_importing_on_another_thread_is_not_handed_out(slow_module):
    name, flag = slow_module
    future = background_imports.start(name)
    while name not in sys.modules:  # its body is running on the import thread
        await asyncio.sleep(0.01)
    half_made = sys.modules[name]
    assert not hasattr(half_made, "DONE")  # what probing sys.modules would have handed out
    waiting = asyncio.ensure_future(background_imports.imported(name))
    cancelled = asyncio.ensure_future(background_imports.imported(name))
    await asyncio.sleep(0.05)
    assert not waiting.done() and not future.done()
    cancelled.cancel()  # one waiter gives up: the import goes on for the others
    flag.touch()
    module = await waiting
    assert module.DONE is True and cancelled.cancelled()
    assert background_imports.start(name) is future  # one import per process


async def test_imports_run_one_at_a_time_on_one_thread_in_the_order_asked(slow_module):
    name, flag = slow_module
    background_imports.start(name)
    threads = []
    after = background_imports.run(lambda: threads.append((threading.current_thread().name, name in sys.modules)))
    await asyncio.sleep(0.1)
    assert not after.done()  # queued behind the import still running, never beside it
    flag.touch()
    await background_imports.settled(after)
    assert threads == [(threads[0][0], True)] and threads[0][0].startswith("claw-import")
    assert background_imports.wait(name).DONE is True


async def test_an_import_error_reaches_whoever_takes_the_module(tmp_path, monkeypatch):
    (tmp_path / "claw_broken_module_for_test.py").write_text("raise RuntimeError('no such luck')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RuntimeError, match="no such luck"):
        await background_imports.imported("claw_broken_module_for_test")
    with pytest.raises(RuntimeError, match="no such luck"):
        await asyncio.to_thread(background_imports.wait, "claw_broken_module_for_test")


async def test_work_here_hands_the_gil_back_sooner_and_holds_the_collector_until_the_last_of_it_ends():
    usual = sys.getswitchinterval()
    assert usual > background_imports.SWITCH_INTERVAL and gc.isenabled()
    release = threading.Event()
    first = background_imports.run(lambda: release.wait(10))
    second = background_imports.run(lambda: (sys.getswitchinterval(), gc.isenabled()))  # queued behind the first
    assert sys.getswitchinterval() == background_imports.SWITCH_INTERVAL and not gc.isenabled()
    release.set()
    await background_imports.settled(first)
    assert await background_imports.settled(second) == (background_imports.SWITCH_INTERVAL, False)
    assert sys.getswitchinterval() == usual and gc.isenabled()
    assert gc.get_freeze_count() > 0  # what the first background work left is never walked again


def test_the_heap_is_frozen_once_when_the_import_thread_first_runs_out_of_work():
    code = (
        "import gc\n"
        "from claw_tui.core import background_imports\n"
        "background_imports.wait('json')\n"
        "first = gc.get_freeze_count()\n"
        "made_since = [[] for _ in range(10_000)]\n"
        "background_imports.run(lambda: None).result()\n"
        "print(first > 0, gc.get_freeze_count() <= first)\n"  # freed objects leave the frozen count; none join
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


async def test_start_up_held_as_work_keeps_the_collector_off_until_it_is_done():
    assert gc.isenabled()
    background_imports.hold_start_up()
    assert not gc.isenabled()
    work = background_imports.run(gc.isenabled)
    assert await background_imports.settled(work) is False
    assert not gc.isenabled(), "the start-up still holds it when the import thread runs out of work"
    background_imports.start_up_done()
    assert gc.isenabled()
    background_imports.start_up_done()  # once: a second call changes nothing
    assert gc.isenabled()


def test_the_claw_command_collects_nothing_while_it_starts():
    """Start-up builds what lives as long as the process: collecting it is wasted (~60 ms of the app's
    first frame). The command's own imports (pydantic, the config) run with the collector off."""
    code = (
        "import gc\n"
        "from claw_tui import cli\n"
        "from claw_tui.core import background_imports\n"  # what holds the collector: imported first
        "collections = []\n"
        "gc.callbacks.append(lambda phase, info: collections.append(phase))\n"
        "code = cli.exit_code(['--no-such-flag'])\n"  # it loads the config and the parser, then refuses the flag
        "print(code, len(collections), gc.isenabled(), 'claw_tui.config' in __import__('sys').modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "0", "True", "True"], out.stderr
