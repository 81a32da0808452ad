"""kill -9 at any moment loses at most the message in flight.

Each test starts a real `claw -p --output-format claw-events` (forked from a server that has
imported claw, see tests/forked_claw.py), sends it SIGKILL at one moment — mid-stream, mid-tool,
while messages are being written, mid-compaction, while a subagent runs, in a forked session —
then checks the store and resumes with `claw -p -c`:
- every message whose `message_completed` event was printed before the kill is stored;
- the database passes SQLite's integrity check and opens;
- the resumed request is a valid conversation (each tool call answered once, right after it);
- no tool ran twice (each tool appends a line to a file).
`bench/bench_kill9.py` runs the same check at many random moments and prints the figure.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest
from fake_model import Reply, Text, ToolCall
from forked_claw import ClawForks, ClawRun, claw_env, wait_for

from claw_tui.config import user_data_dir
from claw_tui.core.transcript import Message, user_text
from claw_tui.engine.sessions import INTERRUPTED_RESULT, SessionStore


@pytest.fixture
def forks(claw_forks):
    return claw_forks


def _stream_json(*args: str) -> list[str]:
    # acceptEdits: the tools append to a file in the project (a redirect is a write, not covered by Bash alone)
    return ["-p", "--output-format", "claw-events", "--permission-mode=acceptEdits", "--allowed-tools=Bash,Read,Agent", *args]


def _completed(run: ClawRun) -> list[str]:
    """Ids of the main agent's messages whose completion was printed (so stored) before the kill."""
    return [
        e["message"]["id"] for e in run.events() if e["type"] == "message_completed" and e.get("agent_id") is None
    ]


def _kill(forks: ClawForks, run: ClawRun) -> None:
    import os

    os.kill(run.pid, signal.SIGKILL)
    assert forks.wait(run) == -signal.SIGKILL


def _check_store_then_resume(forks: ClawForks, fake_model, project: Path, completed: list[str]) -> list[Message]:
    db = user_data_dir() / "sessions.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with SessionStore.open(db) as store:
        stored = {m.id for s in store.list(None) for m in store.messages(s.id)}
    assert completed and set(completed) <= stored, "a message completed before the kill is missing"

    fake_model.clear_script()  # what the killed run did not get to ask for is not the resumed run's to answer
    fake_model.script(Reply(parts=[Text("resumed")]))
    resumed = forks.run(_stream_json("-c", "go on"), project, claw_env(fake_model.base_url))
    assert resumed.code == 0, resumed.stderr
    _assert_valid_conversation(fake_model.requests[-1].json["messages"])
    with SessionStore.open(db) as store:
        latest = store.latest(project)
        assert latest is not None
        return store.messages(latest.id)


def _assert_valid_conversation(messages: list[dict]) -> None:
    """What the Messages API accepts: each tool_use answered by a tool_result in the very next message."""
    for i, msg in enumerate(messages):
        blocks = msg["content"] if isinstance(msg["content"], list) else []
        results = [b["tool_use_id"] for b in blocks if b["type"] == "tool_result"]
        prev = messages[i - 1]["content"] if i and isinstance(messages[i - 1]["content"], list) else []
        asked = [b["id"] for b in prev if b["type"] == "tool_use"]
        assert sorted(results) == sorted(asked), f"message {i}: results {results} for calls {asked}"


def _ran(project: Path) -> list[str]:
    ran = project / "ran.txt"
    return ran.read_text().split() if ran.exists() else []


def test_kill_while_the_answer_streams(forks, fake_model, tmp_path):
    fake_model.script(
        Reply(parts=[ToolCall("Bash", {"command": "echo one >> ran.txt"})]),
        Reply(parts=[Text("word " * 300)], token_delay=0.02),
    )
    run = forks.start(_stream_json("first task"), tmp_path, claw_env(fake_model.base_url))
    wait_for(lambda: sum(e["type"] == "text_delta" for e in run.events()) >= 5, what="streamed text")
    _kill(forks, run)
    messages = _check_store_then_resume(forks, fake_model, tmp_path, _completed(run))
    assert _ran(tmp_path) == ["one"]
    assert [m.role for m in messages] == ["user", "assistant", "user", "user", "assistant"]


def test_kill_while_a_tool_runs(forks, fake_model, tmp_path):
    fake_model.script(Reply(parts=[ToolCall("Bash", {"command": "echo slow >> ran.txt; sleep 30"})]))
    run = forks.start(_stream_json("run it"), tmp_path, claw_env(fake_model.base_url))
    wait_for(lambda: _ran(tmp_path) == ["slow"], what="the tool to start")
    _kill(forks, run)
    messages = _check_store_then_resume(forks, fake_model, tmp_path, _completed(run))
    assert _ran(tmp_path) == ["slow"]  # the interrupted call is answered, never run again
    interrupted = messages[2].tool_results[0]
    assert interrupted.is_error and interrupted.text == INTERRUPTED_RESULT
    assert "cancelled by the user" not in interrupted.text.lower()


def test_kill_while_messages_are_being_written(forks, fake_model, tmp_path):
    steps = 12
    fake_model.script(
        *[Reply(parts=[ToolCall("Bash", {"command": f"echo s{i} >> ran.txt"})]) for i in range(steps)],
        Reply(parts=[Text("done")]),
    )
    run = forks.start(_stream_json("many steps"), tmp_path, claw_env(fake_model.base_url))
    # Killed in the middle of a burst of commits: a result stored, the next call on its way.
    wait_for(lambda: len(_completed(run)) >= 9, what="a burst of commits")
    _kill(forks, run)
    completed = _completed(run)
    _check_store_then_resume(forks, fake_model, tmp_path, completed)
    ran = _ran(tmp_path)
    assert len(ran) == len(set(ran)) and ran == [f"s{i}" for i in range(len(ran))]


def test_kill_during_compaction(forks, fake_model, tmp_path):
    earlier = [
        m for i in range(3) for m in (user_text(f"ask {i}"), Message(role="assistant", content=user_text(f"answer {i}").content))
    ]
    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        store.import_session(tmp_path, earlier)
    fake_model.script(Reply(parts=[Text("summary " * 300)], token_delay=0.02))
    # A threshold this low makes the next turn compact the three earlier ones first.
    env = claw_env(fake_model.base_url, CLAW_COMPACTION__THRESHOLD="0.001")
    run = forks.start(_stream_json("-c", "next"), tmp_path, env)
    wait_for(lambda: len(fake_model.requests) == 1, what="the summary request")
    assert "Summarise the conversation" in str(fake_model.requests[0].json["messages"][-1])
    time.sleep(0.2)  # the summary is streaming
    _kill(forks, run)
    messages = _check_store_then_resume(forks, fake_model, tmp_path, _completed(run))
    assert [m.text for m in messages] == [m.text for m in earlier] + ["next", "go on", "resumed"]


def test_kill_while_a_subagent_runs(forks, fake_model, tmp_path):
    fake_model.script(
        Reply(parts=[ToolCall("Agent", {"description": "look around", "prompt": "SUBTASK: look"})]),
        Reply(parts=[Text("sub " * 300)], token_delay=0.02, when="SUBTASK"),
    )
    run = forks.start(_stream_json("delegate"), tmp_path, claw_env(fake_model.base_url))
    wait_for(
        lambda: sum(e["type"] == "text_delta" and e.get("agent_id") is not None for e in run.events()) >= 5,
        what="the subagent's stream",
    )
    _kill(forks, run)
    messages = _check_store_then_resume(forks, fake_model, tmp_path, _completed(run))
    assert messages[2].tool_results[0].text == INTERRUPTED_RESULT


def test_kill_in_a_forked_session(forks, fake_model, tmp_path):
    fake_model.script(Reply(parts=[Text("original answer")]))
    first = forks.run(_stream_json("original"), tmp_path, claw_env(fake_model.base_url))
    assert first.code == 0, first.stderr
    fake_model.script(Reply(parts=[Text("word " * 300)], token_delay=0.02))
    run = forks.start(_stream_json("-c", "--fork-session", "in the fork"), tmp_path, claw_env(fake_model.base_url))
    wait_for(lambda: sum(e["type"] == "text_delta" for e in run.events()) >= 5, what="the fork's stream")
    _kill(forks, run)
    messages = _check_store_then_resume(forks, fake_model, tmp_path, _completed(run))
    assert [m.text for m in messages if m.role == "user"] == ["original", "in the fork", "go on"]
    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        sessions = store.list(tmp_path)
        assert len(sessions) == 2  # the original is untouched by the fork and its kill
        original = next(s for s in sessions if s.parent_id is None)
        assert [m.text for m in store.messages(original.id)] == ["original", "original answer"]
