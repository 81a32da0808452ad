"""`claw serve` + `claw -p --attach`: the same scenarios cold and through the warm engine give the
same output (in every output format, and with the Agent SDK's stream-json input), notes on
standard error, exit code, files, stored transcript and requests."""

from __future__ import annotations

import json
import os
import re
import shlex
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


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """A warm engine on a private socket, for this module's tests (each run takes on its caller's
    environment); its log is engine_log(engine)."""
    path = tmp_path_factory.mktemp("engine") / "run" / "engine.sock"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    with engine_log((path, None)).open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "claw_tui", "serve", "--socket", str(path), "--idle-timeout", "300"],
            env=env, stderr=log, text=True,
        )
    for _ in range(600):  # the engine imports what a run needs before it listens
        if path.exists():
            break
        assert proc.poll() is None, engine_log((path, proc)).read_text()
        time.sleep(0.05)
    yield path, proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def engine_log(engine) -> Path:
    return engine[0].parent.parent / "engine.log"


def claw(project: Path, data: Path, base_url: str, *args: str, attach: Path | None = None,
         extra_env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "CLAW_"))}
    env |= {"HOME": os.environ["HOME"], "CLAW_CONFIG_DIR": os.environ["CLAW_CONFIG_DIR"], "CLAW_DATA_DIR": str(data),
            "CLAW_NO_LOCAL_DISCOVERY": "1", "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": base_url,
            "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": base_url + "/v1"}
    env |= extra_env or {}
    if attach is not None:
        env["CLAW_ENGINE_SOCKET"] = str(attach)
        args = ("--attach", *args)
    return subprocess.run([sys.executable, "-m", "claw_tui", "-p", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120, check=False, input=stdin,
                          stdin=subprocess.DEVNULL if stdin is None else None)


def transcript(data: Path) -> list[list[object]]:
    """Every stored message of the sessions in `data`, without ids and times."""
    from claw_tui.engine.sessions import SessionStore

    if not (data / "sessions.db").exists():
        return []
    with SessionStore.open(data / "sessions.db") as store:
        out = []
        for info in store.list(None):
            for message in store.messages(info.id):
                blocks = [b.model_dump(exclude={"signature"}) for b in message.content]
                out.append([message.role, blocks])
        return out


# Outside the workspace and outside /tmp (the sandbox gives commands a private /tmp).
OUTSIDE = Path(f"/var/tmp/claw-sandbox-probe-{os.getpid()}")


def files(project: Path) -> dict[str, str]:
    return {str(p.relative_to(project)): p.read_text() for p in sorted(project.rglob("*")) if p.is_file()}


SCENARIOS = {
    "an edit, a sandboxed command in bypassPermissions, json output": {
        "files": {"notes.txt": "hello\n"},
        "script": lambda: [
            Reply(parts=[ToolCall("Read", {"file_path": "notes.txt"}, id="call_read")]),
            Reply(parts=[ToolCall("Edit", {"file_path": "notes.txt", "old_string": "hello", "new_string": "hi"},
                                  id="call_edit")]),
            # A write outside the workspace the permission checks cannot see: the sandbox stops it.
            Reply(parts=[ToolCall("Bash", {"command": f"python3 -c 'open(\"{OUTSIDE}\", \"w\")'"},
                                  id="call_bash")]),
            Reply(parts=[Text("Edited and checked.")]),
        ],
        "args": ("--permission-mode", "bypassPermissions",
              "--output-format", "json", "fix the greeting"),
        "env": {"CLAW_SANDBOX__ENABLED": "true"},
        "check": lambda r: r["code"] == 0 and r["files"] == {"notes.txt": "hi\n"} and not r["outside"]
        and r["stdout"][0]["result"] == "Edited and checked." and "Read-only file system" in json.dumps(r["transcript"]),
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
        "args": ("--output-format", "stream-json", "--verbose", "look around"),
        "env": {"CLAW_MODEL": "openai/gpt-5", "CLAW_MAX_TURNS": "1", "CLAW_SANDBOX__ENABLED": "false"},
        "check": lambda r: r["code"] == 1 and r["stdout"][0]["model"] == "gpt-5"
        and r["stdout"][-1]["subtype"] == "error_max_turns",
    },
    "a tool call and its answer, claw's own events": {
        "files": {"a.txt": "alpha\n"},
        "script": lambda: [
            Reply(parts=[ToolCall("Read", {"file_path": "a.txt"}, id="call_read")]),
            Reply(parts=[Text("It says alpha.")]),
        ],
        "args": ("--output-format", "claw-events", "read a.txt"),
        "env": {"CLAW_SANDBOX__ENABLED": "false"},
        "check": lambda r: r["code"] == 0 and {"tool_call_started", "tool_call_finished", "turn_finished"}
        <= {e["type"] for e in r["stdout"]} and "alpha" in json.dumps(r["stdout"]),
    },
    "the Agent SDK's stream-json input: two prompts, two results": {
        "files": {},
        "script": lambda: [Reply(parts=[Text("First.")]), Reply(parts=[Text("Second.")])],
        "args": ("--input-format", "stream-json", "--output-format", "stream-json", "--verbose"),
        "stdin": "".join(json.dumps({"type": "user", "message": {"role": "user", "content": text}}) + "\n"
                         for text in ("one", "two")),
        "env": {"CLAW_SANDBOX__ENABLED": "false"},
        "check": lambda r: r["code"] == 0 and [m.get("result") for m in r["stdout"] if m["type"] == "result"]
        == ["First.", "Second."],
    },
    "a bad flag: the one-line error and exit code of a cold run": {
        "files": {},
        "script": list,
        "args": ("--model", "no-such-model", "hello"),
        "env": {},
        "check": lambda r: r["code"] == 1 and r["stderr"].startswith("claw: Unknown model 'no-such-model'")
        and r["stdout"] == "",
    },
}

# What differs between any two runs by nature: times, durations, ids made fresh for each run.
_VOLATILE = {"ts", "duration_ms", "duration_api_ms", "uuid", "session_id", "turn_id", "created_at", "id", "pid"}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def _steady(value: object) -> object:
    """`value` with what differs by nature between two runs blanked out."""
    if isinstance(value, dict):
        return {k: "…" if k in _VOLATILE else _steady(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_steady(v) for v in value]
    if isinstance(value, str):
        return _TIME.sub("<time>", _UUID.sub("<uuid>", value))
    return value


def _output(args: tuple[str, ...], stdout: str) -> object:
    if "json" in args or "stream-json" in args or "claw-events" in args:
        return [_steady(json.loads(line)) for line in stdout.splitlines() if line.strip()]
    return stdout


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.needs("bwrap")) if scenario["env"].get("CLAW_SANDBOX__ENABLED") == "true"
    else name
    for name, scenario in SCENARIOS.items()
])
def test_a_run_through_the_engine_is_a_cold_run(name, tmp_path, engine, fake_model):
    scenario = SCENARIOS[name]
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
                   attach=socket_path if mode == "warm" else None, stdin=scenario.get("stdin"))
        results[mode] = {
            "code": out.returncode, "stdout": _output(scenario["args"], out.stdout), "stderr": out.stderr,
            "files": files(project), "outside": OUTSIDE.exists(), "transcript": transcript(data),
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
    assert "server pool at" in proc.stderr and not (path.parent / "engine.pool.sock").exists()  # it stopped too


def test_ctrl_c_reaches_the_attached_run_as_it_reaches_a_cold_one(tmp_path, engine, fake_model):
    """SIGINT to `claw -p --attach` is passed on to its worker: the same message and exit code as cold."""
    socket_path, _ = engine
    project = tmp_path / "project"
    project.mkdir()
    results = {}
    for mode in ("cold", "warm"):
        fake_model.script(Reply(parts=[ToolCall("Bash", {"command": "sleep 60"}, id="call_sleep")]))
        first_request = len(fake_model.requests)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "CLAW_"))}
        env |= {"CLAW_CONFIG_DIR": os.environ["CLAW_CONFIG_DIR"], "CLAW_DATA_DIR": str(tmp_path / f"data-{mode}"),
                "CLAW_NO_LOCAL_DISCOVERY": "1", "ANTHROPIC_API_KEY": "test-key",
                "ANTHROPIC_BASE_URL": fake_model.base_url, "CLAW_SANDBOX__ENABLED": "false"}
        args = ["--permission-mode", "bypassPermissions", "wait"]
        if mode == "warm":
            env["CLAW_ENGINE_SOCKET"] = str(socket_path)
            args.insert(0, "--attach")
        proc = subprocess.Popen([sys.executable, "-m", "claw_tui", "-p", *args], cwd=project, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(1200):  # until the model asked for the command
            if len(fake_model.requests) > first_request:
                break
            time.sleep(0.05)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        results[mode] = (proc.returncode, stdout, stderr.splitlines()[-1:])
    assert results["cold"] == results["warm"]
    assert results["cold"][0] == 130 and results["cold"][2] == ["claw: interrupted"]


def test_attach_without_an_engine_says_how_to_start_one(tmp_path):
    env = {**os.environ, "CLAW_ENGINE_SOCKET": str(tmp_path / "none.sock")}
    out = subprocess.run([sys.executable, "-m", "claw_tui", "-p", "--attach", "hello"], env=env, capture_output=True,
                         text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)
    assert out.returncode == 1
    assert out.stderr == f"claw: no warm engine at {tmp_path / 'none.sock'}: start one with `claw serve`\n"


@pytest.mark.needs("tmux")
def test_the_app_runs_attached_on_the_callers_terminal(tmp_path, engine, fake_model):
    """`claw --attach` on a terminal: the app, run by a worker on this terminal, takes keys, follows a
    resize, answers through the fake model, stores the session and exits 0 on Ctrl+D."""
    socket_path, _ = engine
    project = tmp_path / "project"
    project.mkdir()
    data = tmp_path / "data"
    fake_model.script(Reply(parts=[Text("Hello from the warm engine.")]))
    env = {"CLAW_ENGINE_SOCKET": str(socket_path), "CLAW_CONFIG_DIR": os.environ["CLAW_CONFIG_DIR"],
           "CLAW_DATA_DIR": str(data), "CLAW_NO_LOCAL_DISCOVERY": "1", "ANTHROPIC_API_KEY": "test-key",
           "ANTHROPIC_BASE_URL": fake_model.base_url, "CLAW_SANDBOX__ENABLED": "false", "TERM": "xterm-256color"}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    name = f"claw-attach-{os.getpid()}"
    command = f"cd {shlex.quote(str(project))} && env {exports} {shlex.quote(sys.executable)} -m claw_tui --attach; " \
              "echo EXIT=$?; sleep 60"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "30", command], check=True)

    def screen() -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True,
                              check=False).stdout

    def wait_for(text: str) -> str:
        for _ in range(600):
            if text in (shown := screen()):
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never showed:\n{screen()}")

    try:
        wait_for("Ask claw")
        subprocess.run(["tmux", "resize-window", "-t", name, "-x", "80", "-y", "24"], check=True)
        shown = wait_for("▏^p palette")
        assert max(len(line) for line in shown.splitlines()) <= 80  # drawn again for the new size
        subprocess.run(["tmux", "send-keys", "-t", name, "say hello", "Enter"], check=True)
        wait_for("Hello from the warm engine.")
        subprocess.run(["tmux", "send-keys", "-t", name, "C-d"], check=True)
        wait_for("EXIT=0")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False)
    assert fake_model.requests[-1].json["messages"][0]["content"][0]["text"] == "say hello"
    assert [row[0] for row in transcript(data)] == ["user", "assistant"]


DEMO_SERVER = Path(__file__).parent.parent / "mcp" / "servers" / "demo.py"


def _pool_lines(engine, pid: str) -> list[str]:
    """What the engine's log says of the pooled server with this pid: its verbs, in order."""
    return [re.sub(r".*server pool: (\w+) .*", r"\1", line) for line in engine_log(engine).read_text().splitlines()
            if f"(pid {pid})" in line and "server pool:" in line]


def test_pooled_servers_serve_the_next_attached_run_as_a_cold_run_would(tmp_path, engine, fake_model):
    """A stdio MCP server and a language server started for one attached run serve the next one: one
    process each for two runs in a row, whose tool results are a cold run's. A server killed between
    runs is replaced and the run still succeeds. The engine's log says when each started, was reused
    and stopped."""
    from claw_tui.tools.lsp_config import default_config

    socket_path, _ = engine
    project = tmp_path / "project"
    project.mkdir()
    (project / "lib.py").write_text("import json\n\n\ndef greet(name):\n    return 'hi ' + name\n")
    mcp_pids, lsp_pids = tmp_path / "mcp.pids", tmp_path / "lsp.pids"
    mcp_config = {"mcpServers": {"demo": {"command": sys.executable, "args": [str(DEMO_SERVER)],
                                          "env": {"PID_FILE": str(mcp_pids)}}}}
    pylsp = default_config()["python"]  # started by a shell that notes its pid, then becomes pylsp
    lsp = {"python": {**pylsp, "command": ["sh", "-c", f"echo $$ >> {lsp_pids}; exec {pylsp['command'][0]}"]}}
    env = {"CLAW_LSP": json.dumps(lsp), "CLAW_SANDBOX__ENABLED": "false"}
    args = ("look at lib.py", "--permission-mode", "bypassPermissions", "--mcp-config", json.dumps(mcp_config))

    def run(attach: Path | None) -> list[object]:
        """What the model was sent in the run: the tool results of the second request above all."""
        fake_model.script(
            Reply(parts=[ToolCall("mcp__demo__echo", {"text": "hi"}, id="call_mcp"),
                         ToolCall("LSP", {"operation": "documentSymbol", "file_path": "lib.py"}, id="call_lsp")]),
            Reply(parts=[Text("Done.")]),
        )
        first_request = len(fake_model.requests)
        out = claw(project, tmp_path / "data", fake_model.base_url, *args, attach=attach, extra_env=env)
        assert (out.returncode, out.stdout) == (0, "Done.\n"), out.stderr
        return [r.json["messages"] for r in fake_model.requests[first_request:]]

    def pids(path: Path) -> list[str]:
        return path.read_text().split()

    cold = run(None)
    results = json.dumps(cold[1][-1]["content"])
    assert "echo: hi" in results and "Function greet (line 4)" in results, results
    assert run(socket_path) == cold
    assert run(socket_path) == cold
    assert len(pids(mcp_pids)) == len(pids(lsp_pids)) == 2  # the cold run's and the engine's: one each for two runs
    mcp_pid, lsp_pid = pids(mcp_pids)[-1], pids(lsp_pids)[-1]
    assert _pool_lines(engine, mcp_pid) == _pool_lines(engine, lsp_pid) == ["started", "reused"]

    for pid in (mcp_pid, lsp_pid):
        os.kill(int(pid), signal.SIGKILL)
    for _ in range(600):  # until the pool has seen both go
        if _pool_lines(engine, mcp_pid)[-1:] == _pool_lines(engine, lsp_pid)[-1:] == ["stopped"]:
            break
        time.sleep(0.05)
    assert "stopped" in _pool_lines(engine, mcp_pid)
    assert run(socket_path) == cold
    assert len(pids(mcp_pids)) == len(pids(lsp_pids)) == 3
    assert _pool_lines(engine, pids(mcp_pids)[-1]) == _pool_lines(engine, pids(lsp_pids)[-1]) == ["started"]
