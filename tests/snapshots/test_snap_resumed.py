"""A resumed session on the main screen: `ClawApp(resume=…)` over a real store with a fixed session.

The real Agent (the app's default factory) loads it; no model is called. Dates are fixed in the past,
so today's spend is nought, and the project lives in the test's home directory (`~/project`).
"""

from __future__ import annotations

import os
from pathlib import Path

from claw_snap_app import still
from snapshots.sessions_harness import SONNET, assistant, count_lines_session, timed

from claw_tui.config import load_config
from claw_tui.core import events as ev
from claw_tui.core.tasks import TaskGraph
from claw_tui.core.transcript import ThinkingBlock, user_text
from claw_tui.engine.sessions import SessionStore, UsageRecord
from claw_tui.ui.app import ClawApp

START = 1_700_000_000.0
SESSION_ID = "1ksq00001abcd"
BEFORE = "def count_lines(text):\n    return len(text.split('\\n')) - 1\n"
AFTER = "def count_lines(text):\n    return len(text.split('\\n'))\n"


def resumed_app(monkeypatch) -> ClawApp:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    home = Path(os.environ["HOME"])
    project = home / "project"
    project.mkdir(exist_ok=True)
    messages = count_lines_session()
    # The model thought before its first reply; thinking is folded in the conversation.
    first = messages[1]
    messages[1] = first.model_copy(
        update={
            "content": [ThinkingBlock(thinking="Read the function before changing it.", signature="s"), *first.content]
        }
    )
    messages += [user_text("Thanks! Anything else?"), assistant("No, that was all: **2 files** changed.")]
    messages = timed(START, messages)
    graph = TaskGraph()
    graph.create("Fix count_lines", "Count a last line without a newline")
    graph.create("Test the empty string")
    graph.update("1", status="completed")
    graph.update("2", status="in_progress", add_blocked_by=["1"])
    events = [
        (1, {"type": "tasks", "graph": graph.to_json()}),
        (5, ev.FileChanged(call_id="call_2", path="src/count.py", before=BEFORE, after=AFTER, ts=START).model_dump()),
    ]
    usage = [
        UsageRecord(SONNET, 4_200, 180, cost_usd=0.0153, ts=START + 90),
        UsageRecord(SONNET, 5_100, 240, cost_usd=0.0189, ts=START + 200),
        UsageRecord(SONNET, 5_600, 90, cost_usd=0.0182, ts=START + 400),
        UsageRecord(SONNET, 6_000, 60, cost_usd=0.0189, ts=START + 500),
    ]
    with SessionStore.open(home / "data" / "sessions.db") as store:
        store.import_session(project, messages, models=[SONNET], session_id=SESSION_ID, events=events, usage=usage)
    flags = {"sandbox": {"enabled": False}}
    return ClawApp(project, config=load_config(project, flags=flags), resume=SESSION_ID[:6])


def test_resumed_session(monkeypatch, snap_compare):
    """You should see the session as it was: the first prompt, folded thinking, "Let me read the
    function first.", the ✓ Read and ✓ Edit lines, the answers in Markdown, the second and third
    prompts, and "Resumed “Fix the off-by-one in count_lines, please.” (10 messages) · session
    1ksq00001abcd" at the bottom. On the right: the tool log with Read and Edit done, the diff of
    src/count.py (− 1 removed), the task graph "1/2 done" with #2 in progress under #1, and the cost
    pane with $0.0713 this session, three turns' bars and 6.1k of the context used."""
    assert snap_compare(resumed_app(monkeypatch), terminal_size=(160, 48), run_before=still)
