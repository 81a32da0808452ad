"""The warm engine's rehearsal really runs a turn on each wire and leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
import threading

from claw_tui.acp import rehearsal


def test_the_rehearsal_runs_a_turn_on_each_wire_and_leaves_nothing(isolated_home, tmp_path):
    environ, threads = dict(os.environ), _threads()
    turns = asyncio.run(rehearsal._rehearse(tmp_path))
    assert set(turns) == set(rehearsal.REHEARSED_MODELS)
    for model, types in turns.items():  # read, search, edit (the file edited), answer; no error, no retry
        assert types.count("tool_call_finished") == 3 and types[-1] == "turn_finished", (model, types)
        assert not {"error", "retrying", "not_edited"} & set(types), (model, types)
    assert dict(os.environ) == environ and _threads() == threads  # safe to fork after it
    assert list(tmp_path.iterdir()) == []
    assert not (isolated_home / "data" / "sessions.db").exists()


def _threads() -> set[str]:
    """The threads running, but claw's import thread, which lives as long as the process (a forked
    worker starts its own: core/background_imports.py)."""
    return {t.name for t in threading.enumerate() if not t.name.startswith("claw-import")}
