"""Background imports hand out a module only once its import has finished."""

from __future__ import annotations

import asyncio
import sys

import pytest

from claw_tui.core import preload

SLOW_MODULE = """
import os, time
while not os.path.exists({flag!r}):
    time.sleep(0.01)
DONE = True
"""


async def test_a_module_still_importing_on_another_thread_is_not_handed_out(tmp_path, monkeypatch):
    flag = tmp_path / "go"
    (tmp_path / "claw_slow_module_for_test.py").write_text(SLOW_MODULE.format(flag=str(flag)))
    monkeypatch.syspath_prepend(str(tmp_path))
    future = preload.start("claw_slow_module_for_test")
    while "claw_slow_module_for_test" not in sys.modules:  # its body is running on the import thread
        await asyncio.sleep(0.01)
    half_made = sys.modules["claw_slow_module_for_test"]
    assert not hasattr(half_made, "DONE")  # what probing sys.modules would have handed out
    waiting = asyncio.ensure_future(preload.loaded("claw_slow_module_for_test"))
    await asyncio.sleep(0.05)
    assert not waiting.done() and not future.done()
    flag.touch()
    module = await waiting
    assert module.DONE is True
    assert preload.start("claw_slow_module_for_test") is future  # one import per process
    monkeypatch.delitem(sys.modules, "claw_slow_module_for_test")


async def test_an_import_error_reaches_whoever_takes_the_module(tmp_path, monkeypatch):
    (tmp_path / "claw_broken_module_for_test.py").write_text("raise RuntimeError('no such luck')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RuntimeError, match="no such luck"):
        await preload.loaded("claw_broken_module_for_test")
    with pytest.raises(RuntimeError, match="no such luck"):
        await asyncio.to_thread(preload.module, "claw_broken_module_for_test")


async def test_background_work_hands_the_gil_back_sooner_until_the_last_of_it_ends():
    usual = sys.getswitchinterval()
    assert usual > preload.SWITCH_INTERVAL
    with preload.worker():
        assert sys.getswitchinterval() == preload.SWITCH_INTERVAL
        inner = asyncio.ensure_future(preload.in_thread(sys.getswitchinterval))
        assert await inner == preload.SWITCH_INTERVAL
        assert sys.getswitchinterval() == preload.SWITCH_INTERVAL  # the outer work still runs
    assert sys.getswitchinterval() == usual
