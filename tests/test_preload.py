"""Background imports hand out a module only once its import has finished."""

from __future__ import annotations

import asyncio
import gc
import subprocess
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


async def test_background_work_hands_the_gil_back_sooner_and_holds_the_collector_until_the_last_of_it_ends():
    usual = sys.getswitchinterval()
    assert usual > preload.SWITCH_INTERVAL and gc.isenabled()
    with preload.worker():
        assert sys.getswitchinterval() == preload.SWITCH_INTERVAL and not gc.isenabled()
        inner = asyncio.ensure_future(preload.in_thread(lambda: (sys.getswitchinterval(), gc.isenabled())))
        assert await inner == (preload.SWITCH_INTERVAL, False)
        assert sys.getswitchinterval() == preload.SWITCH_INTERVAL and not gc.isenabled()  # the outer work runs on
    assert sys.getswitchinterval() == usual and gc.isenabled()
    assert gc.get_freeze_count() > 0  # what the first background work left is never walked again


def test_the_heap_is_frozen_once_after_the_first_background_work():
    code = (
        "import gc\n"
        "from claw_tui.core import preload\n"
        "with preload.worker():\n"
        "    import json\n"
        "first = gc.get_freeze_count()\n"
        "with preload.worker():\n"
        "    pass\n"
        "print(first > 0, gc.get_freeze_count() == first)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]
