"""`claw serve` + `claw -p --attach`: the same scenarios cold and through the warm engine give the
same output, exit code, files and stored transcript."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_model import Reply, Text, ToolCall

from claw_tui.tools.sandbox import detect


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """A warm engine on a private socket, for this module's tests (each run takes on its caller's environment)."""
    path = tmp_path_factory.mktemp("engine") / "run" / "engine.sock"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "claw_tui", "serve", "--socket", str(path), "--idle-timeout", "300"],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    for _ in range(600):  # the engine imports what a run needs before it listens
        if path.exists():
            break
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    yield path, proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def claw(project: Path, data: Path, base_url: str, *args: str, attach: Path | None = None,
         extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "CLAW_"))}
    env |= {"HOME": os.environ["HOME"], "CLAW_CONFIG_DIR": os.environ["CLAW_CONFIG_DIR"], "CLAW_DATA_DIR": str(data),
            "CLAW_NO_LOCAL_DISCOVERY": "1", "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": base_url,
            "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": base_url + "/v1"}
    env |= extra_env or {}
    if attach is not None:
        env["CLAW_ENGINE_SOCKET"] = str(attach)
        args = ("--attach", *args)
    return subprocess.run([sys.executable, "-m", "claw_tui", "-p", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def transcript(data: Path) -> list[list[object]]:
    """Every stored message of the one session in `data`, without ids and times."""
    from claw_tui.engine.sessions import SessionStore

    with SessionStore.open(data / "sessions.db") as store:
        [info] = store.list(None)
        out = []
        for message in store.messages(info.id):
            blocks = [b.model_dump(exclude={"signature"}) for b in message.content]
            out.append([message.role, blocks])
        return out


# Outside the workspace and outside /tmp (the sandbox gives commands a private /tmp).
OUTSIDE = Path(f"/var/tmp/claw-sandbox-probe-{os.getpid()}")


def files(project: Path) -> dict[str, str]:
    return {str(p.relative_to(project)): p.read_text() for p in sorted(project.rglob("*")) if p.is_file()}


SCENARIOS = {
    "an edit in acceptEdits, a sandboxed command, json output": {
        "files": {"notes.txt": "hello\n"},
        "script": lambda: [
            Reply(parts=[ToolCall("Read", {"file_path": "notes.txt"}, id="call_read")]),
            Reply(parts=[ToolCall("Edit", {"file_path": "notes.txt", "old_string": "hello", "new_string": "hi"},
                                  id="call_edit")]),
            Reply(parts=[ToolCall("Bash", {"command": f"cat notes.txt; touch {OUTSIDE}"}, id="call_bash")]),
            Reply(parts=[Text("Edited and checked.")]),
        ],
        "args": ("--permission-mode", "acceptEdits", "--allowed-tools", "Bash(cat:*)", "Bash(touch:*)",
              "--output-format", "json", "fix the greeting"),
        "env": {"CLAW_SANDBOX__ENABLED": "true"},
        "check": lambda r: r["code"] == 0 and r["files"] == {"notes.txt": "hi\n"} and not r["outside"]
        and r["stdout"]["result"] == "Edited and checked." and "Read-only file system" in json.dumps(r["transcript"]),
    },
    "an untrusted folder's settings withheld, a write denied, text output": {
        "files": {"keep.txt": "keep\n", ".claw/config.toml": '[permissions]\nallow = ["Write"]\n'},
        "script": lambda: [
            Reply(parts=[ToolCall("Write", {"file_path": "new.txt", "content": "x\n"}, id="call_write")]),
            Reply(parts=[Text("Could not write.")]),
        ],
        "args": ("make a file",),
        "env": {"CLAW_SANDBOX__ENABLED": "false"},
        "check": lambda r: "this folder is not trusted yet; ignored permissions.allow" in r["stderr"]
        and "Write was denied" in r["stderr"] and "new.txt" not in r["files"] and r["stdout"] == "Could not write.\n",
    },
    "the caller's environment: another model and a max-turns limit, stream-json": {
        "files": {},
        "script": lambda: [Reply(parts=[ToolCall("Glob", {"pattern": "*"}, id="call_glob")])],
        "args": ("--output-format", "stream-json", "look around"),
        "env": {"CLAW_MODEL": "openai/gpt-5", "CLAW_MAX_TURNS": "1", "CLAW_SANDBOX__ENABLED": "false"},
        "check": lambda r: r["code"] == 1 and "the turn stopped early (max_turns)" in r["stderr"] and r["stdout"][0]["model"] == "openai/gpt-5",
    },
}


def _stream_lines(stdout: str) -> list[dict[str, object]]:
    """stream-json lines without what differs by nature between two runs (times, durations, message ids)."""
    out = []
    for line in stdout.splitlines():
        event = json.loads(line)
        event.pop("ts", None)
        event.pop("duration_ms", None)
        if "message" in event:
            event["message"].pop("id", None)
            event["message"].pop("created_at", None)
        if "turn_id" in event:
            event["turn_id"] = "turn"
        out.append(event)
    return out


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_run_through_the_engine_is_a_cold_run(name, tmp_path, engine, fake_model):
    scenario = SCENARIOS[name]
    if scenario["env"].get("CLAW_SANDBOX__ENABLED") == "true" and not detect().available:
        pytest.fail(f"bubblewrap is needed for this scenario: {detect().reason}")
    socket_path, _ = engine
    results = {}
    for mode in ("cold", "warm"):
        project = tmp_path / "project"
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir()
        for rel, text in scenario["files"].items():
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            (project / rel).write_text(text)
        OUTSIDE.unlink(missing_ok=True)
        fake_model.script(*scenario["script"]())
        first_request = len(fake_model.requests)
        data = tmp_path / f"data-{mode}"
        out = claw(project, data, fake_model.base_url, *scenario["args"], extra_env=scenario["env"],
                   attach=socket_path if mode == "warm" else None)
        stdout = out.stdout
        if "stream-json" in scenario["args"]:
            stdout = _stream_lines(stdout)
        elif "json" in scenario["args"]:
            stdout = json.loads(stdout)
            stdout.pop("session_id")
        results[mode] = {
            "code": out.returncode, "stdout": stdout, "stderr": out.stderr, "files": files(project),
            "outside": OUTSIDE.exists(), "transcript": transcript(data),
            "requests": [r.json.get("messages", r.json.get("input")) for r in fake_model.requests[first_request:]],
        }
    cold, warm = results["cold"], results["warm"]
    assert cold["stderr"] == warm["stderr"]
    assert cold == warm
    assert "Traceback" not in cold["stderr"]
    assert scenario["check"](cold), cold  # the comparison compared something: the scenario did what it says


def test_the_engines_socket_is_private_and_single(engine):
    path, _proc = engine
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    conn = socket.socket(socket.AF_UNIX)
    conn.connect(str(path))
    conn.close()
    second = subprocess.run([sys.executable, "-m", "claw_tui", "serve", "--socket", str(path)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert second.returncode == 1 and f"a warm engine already runs at {path}" in second.stderr


def test_an_idle_engine_stops_and_removes_its_socket(tmp_path):
    path = tmp_path / "run" / "engine.sock"
    proc = subprocess.run([sys.executable, "-m", "claw_tui", "serve", "--socket", str(path), "--idle-timeout", "0.2"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "idle for 0.2 s; stopping" in proc.stderr
    assert not path.exists()
