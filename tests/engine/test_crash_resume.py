"""A claw process killed mid-stream loses only the message in flight; the session resumes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from fake_model import Reply, Text, ToolCall

from claw_tui.config import user_data_dir
from claw_tui.engine.sessions import SessionStore


def _env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    env.update(
        ANTHROPIC_BASE_URL=base_url,
        ANTHROPIC_API_KEY="test-key",
        CLAW_SANDBOX__ENABLED="false",
        CLAW_NO_LOCAL_DISCOVERY="1",
    )
    return env


def _wait_for_messages(store_path, count: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "claw exited"
        if store_path.exists():
            with sqlite3.connect(store_path) as conn:
                try:
                    (n,) = conn.execute("SELECT count(*) FROM messages").fetchone()
                except sqlite3.OperationalError:
                    n = 0
            if n >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} messages stored in {timeout}s")


def test_sigkill_mid_stream_then_resume(tmp_path, fake_model):
    (tmp_path / "notes.txt").write_text("remember the milk\n")
    fake_model.script(
        Reply(parts=[ToolCall("Read", {"file_path": "notes.txt"})]),
        # The second reply streams slowly; the process is killed while it streams.
        Reply(parts=[Text("word " * 400)], token_delay=0.05),
        Reply(parts=[Text("Resumed fine.")]),
    )
    env = _env(fake_model.base_url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "claw_tui", "-p", "read notes.txt", "--allowed-tools", "Read"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    store_path = user_data_dir() / "sessions.db"
    try:
        # prompt, the tool call, its result: three completed messages, then the slow stream.
        _wait_for_messages(store_path, 3, proc)
        deadline = time.monotonic() + 30
        while len(fake_model.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # some tokens of the second reply are out
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with sqlite3.connect(store_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = SessionStore.open(store_path)
    session = store.latest(tmp_path)
    assert session is not None
    messages = store.messages(session.id)
    assert [m.role for m in messages] == ["user", "assistant", "user"]
    assert messages[1].tool_uses[0].name == "Read"
    assert "remember the milk" in str(messages[2].content[0])
    store.close()

    out = subprocess.run(
        [sys.executable, "-m", "claw_tui", "-p", "--continue", "go on"],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Resumed fine.\n"
    # The resumed request carried the whole stored conversation; the unanswered tool result
    # and the new prompt share the last user message, as the API requires.
    sent = fake_model.requests[-1].json["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"][0]["type"] == "tool_use"
    assert [b["type"] for b in sent[2]["content"]] == ["tool_result", "text"]
    assert "go on" in sent[2]["content"][1]["text"]
