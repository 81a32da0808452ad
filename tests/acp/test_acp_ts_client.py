"""`claw acp` driven by a second, independent client on the official TypeScript SDK (run with node),
which checks every message it receives against the JSON schema shipped in the SDK's package."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from acp_client import agent_env
from fake_model import Reply, Text, ToolCall

CLIENT = Path(__file__).parent / "ts_client"


@pytest.fixture(scope="session")
def ts_client() -> Path:
    """The client's dependencies from its committed lock file: `.ci/run` installs them; a checkout without
    them installs them once (locked, so parallel workers do not race)."""
    npm = shutil.which("npm")
    assert npm is not None  # the tests using this fixture are marked needs("npm")
    with open(CLIENT / "package-lock.json") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (CLIENT / "node_modules" / "@agentclientprotocol" / "sdk").is_dir():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=CLIENT, check=True, capture_output=True,
                           timeout=300)
    return CLIENT / "client.mjs"


@pytest.mark.needs("node")
@pytest.mark.needs("npm")
def test_the_typescript_sdk_client_runs_a_turn_with_an_approval(tmp_path, isolated_home, fake_model, ts_client):
    project = tmp_path / "project"
    project.mkdir()
    target = project / "notes.txt"
    target.write_text("hello\n")
    fake_model.script(
        Reply(parts=[ToolCall("Read", {"file_path": str(target)})]),
        Reply(parts=[ToolCall("Edit", {"file_path": str(target), "old_string": "hello", "new_string": "hi"})]),
        Reply(parts=[ToolCall("TaskCreate", {"subject": "Check the greeting", "description": "look"})]),
        Reply(parts=[Text("All done.")]),
    )
    out = subprocess.run(
        ["node", str(ts_client), str(project), "fix the greeting", "allow_once", "--",
         sys.executable, "-m", "claw_tui", "acp"],
        env=agent_env(isolated_home, fake_model.base_url), capture_output=True, text=True, timeout=90, check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["selfCheck"], "the schema check must be able to fail"
    assert result["violations"] == []
    assert result["stopReason"] == "end_turn"
    assert target.read_text() == "hi\n"
    [permission] = result["permissions"]
    assert permission["toolCall"]["content"][0] == {
        "type": "diff", "path": str(target), "oldText": "hello\n", "newText": "hi\n"
    }
    kinds = [u["update"]["sessionUpdate"] for u in result["updates"]]
    for expected in ("tool_call", "tool_call_update", "agent_message_chunk", "plan", "available_commands_update"):
        assert expected in kinds, kinds
    plan = next(u["update"] for u in result["updates"] if u["update"]["sessionUpdate"] == "plan")
    assert plan["entries"] == [{"content": "Check the greeting", "priority": "medium", "status": "pending"}]
    assert result["init"]["agentCapabilities"]["loadSession"] is True
