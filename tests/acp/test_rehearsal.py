"""The warm engine's rehearsal turn really runs a turn and leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading

from claw_tui.acp import rehearsal


def test_the_rehearsal_runs_four_requests_and_leaves_nothing(isolated_home, monkeypatch):
    answered: list[int] = []
    reply = rehearsal._reply
    monkeypatch.setattr(rehearsal, "_reply", lambda turn: answered.append(turn) or reply(turn))
    environ, threads = dict(os.environ), threading.active_count()
    before = {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("claw-rehearsal-")}
    asyncio.run(rehearsal._rehearse())
    assert answered == [0, 1, 2, 3]  # read, search, edit, answer
    assert dict(os.environ) == environ and threading.active_count() == threads  # safe to fork after it
    assert {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("claw-rehearsal-")} == before
    assert not (isolated_home / "data" / "sessions.db").exists()
