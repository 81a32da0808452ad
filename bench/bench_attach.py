"""The warm engine: `claw -p --attach` beside a cold `claw -p`, and the engine's memory over many runs.

    python bench/bench_attach.py [--runs N] [--memory-runs N] [--app-runs N] [--codex PATH]

The task is the edit task of bench_startup.py (four requests to the local fake model server:
read, search, edit, answer), run alternately cold and attached, on the Anthropic path and on
the OpenAI path (Responses API). With `--codex PATH` (the `codex` binary of the npm package
`@openai/codex`), Codex CLI's cold `codex exec` runs the same four-request task against the
same fake server in the same rotation (its tool is a shell, so its edit is a `sed`; its sandbox off, as claw's is here). Then the
engine serves `--memory-runs` attached runs and its resident memory after the first and after
the last is printed. With tmux, `--app-runs` launches of the app, cold and `claw --attach`
alternately, are timed to the prompt showing on the screen. The same task with one stdio MCP server
configured (tests/mcp/servers/demo.py, on the official SDK) is timed cold, attached with the server
started for the run (a fresh environment each round, so the pool has none to lend), and attached
again with the same server, which the engine's server pool lends. Medians; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_model import Reply, Text, ToolCall, fake_claw_home

TASK = "fix the notes"
MCP_SERVER = ROOT / "tests" / "mcp" / "servers" / "demo.py"


def claw_script() -> list[Reply]:
    return [
        Reply(parts=[Text("Reading."), ToolCall("Read", {"file_path": "notes.txt"})]),
        Reply(parts=[ToolCall("Grep", {"pattern": "beta", "output_mode": "content"})]),
        Reply(parts=[ToolCall("Edit", {"file_path": "notes.txt", "old_string": "beta", "new_string": "gamma"})]),
        Reply(parts=[Text("Done.")]),
    ]


def codex_script() -> list[Reply]:
    return [
        Reply(parts=[Text("Reading."), ToolCall("exec_command", {"cmd": "cat notes.txt"})]),
        Reply(parts=[ToolCall("exec_command", {"cmd": "grep -n beta notes.txt"})]),
        Reply(parts=[ToolCall("exec_command", {"cmd": "sed -i s/beta/gamma/ notes.txt"})]),
        Reply(parts=[Text("Done.")]),
    ]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def report(label: str, seconds: list[float]) -> None:
    print(f"{label:<62} median {statistics.median(seconds) * 1000:7.0f} ms   (min {min(seconds) * 1000:.0f})")


def app_launch(cmd: list[str], env: dict[str, str], project: Path) -> float:
    """Seconds from starting the app in tmux to its prompt showing; then Ctrl+D quits it."""
    import shlex

    name = f"bench-attach-{os.getpid()}"
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if k.startswith(("CLAW_", "ANTHROPIC_",
                                                                                            "OPENAI_", "HOME")))
    line = f"cd {shlex.quote(str(project))} && env {exports} {shlex.join(cmd)}; sleep 30"
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", line], check=True)
    try:
        while "Ask claw" not in subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True,
                                               text=True, check=False).stdout:
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        subprocess.run(["tmux", "send-keys", "-t", name, "C-d"], check=True)
        time.sleep(1.0)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--memory-runs", type=int, default=100)
    parser.add_argument("--app-runs", type=int, default=5)
    parser.add_argument("--codex", help="the codex binary (npm @openai/codex); without it Codex CLI is left out")
    opts = parser.parse_args()
    with fake_claw_home() as (project, server):
        home = project.parent
        socket_path = home / "run" / "engine.sock"
        base = {**os.environ, "CLAW_SANDBOX__ENABLED": "false", "CLAW_ENGINE_SOCKET": str(socket_path),
                "OPENAI_API_KEY": "fake-key", "OPENAI_BASE_URL": server.base_url + "/v1"}
        claw = shutil.which("claw", path=str(Path(sys.executable).parent)) or "claw"
        engine = subprocess.Popen([claw, "serve", "--idle-timeout", "600"], env=base, stderr=subprocess.DEVNULL)
        while not socket_path.exists():
            time.sleep(0.05)

        def timed(cmd: list[str], env: dict[str, str], script: Callable[[], list[Reply]], check: str) -> float:
            (project / "notes.txt").write_text("alpha\nbeta\n")
            server.script(*script())
            start = time.perf_counter()
            subprocess.run(cmd, env=env, cwd=project, check=True, capture_output=True, stdin=subprocess.DEVNULL)
            elapsed = time.perf_counter() - start
            assert (project / "notes.txt").read_text() == "alpha\ngamma\n", f"{check}: the task really ran"
            assert server.pending == 0, f"{check}: all four requests were made"
            return elapsed

        runs: dict[str, list[float]] = {}
        peers: list[tuple[str, list[str], dict[str, str], Callable[[], list[Reply]]]] = []
        for provider, model in (("Anthropic", "anthropic/claude-sonnet-4-6"), ("OpenAI Responses", "openai/gpt-5-codex")):
            env = {**base, "CLAW_MODEL": model}
            edit = ["-p", "--permission-mode", "acceptEdits", TASK]
            peers.append((f"claw -p, {provider}, cold", [claw, *edit], env, claw_script))
            peers.append((f"claw -p --attach, {provider}, warm engine", [claw, "--attach", *edit], env, claw_script))
        if opts.codex:
            codex_home = home / "codex"
            codex_home.mkdir(exist_ok=True)
            codex_env = {**base, "CODEX_HOME": str(codex_home)}
            codex = [opts.codex, "exec", "--skip-git-repo-check", "-s", "danger-full-access", "-c", "model_provider=fake",
                     "-c", "model=gpt-5", "-c", "model_providers.fake.name=fake",
                     "-c", f"model_providers.fake.base_url={server.base_url}/v1",
                     "-c", "model_providers.fake.wire_api=responses", "-c", "model_providers.fake.env_key=OPENAI_API_KEY",
                     TASK]
            peers.append(("codex exec, OpenAI Responses, cold", codex, codex_env, codex_script))
        for label, cmd, env, script in peers:  # one untimed run each: disk caches, Codex's first-run set-up
            timed(cmd, env, script, label)
        for _ in range(opts.runs):  # alternating, so load on the machine falls on every peer alike
            for label, cmd, env, script in peers:
                runs.setdefault(label, []).append(timed(cmd, env, script, label))
        print(f"The edit task (four requests to the fake server), {opts.runs} runs each, alternating:")
        for label, seconds in runs.items():
            report(label, seconds)

        mcp: dict[str, list[float]] = {}
        env = {**base, "CLAW_MODEL": "anthropic/claude-sonnet-4-6"}
        for round_ in range(opts.runs + 1):  # the first round untimed, as above
            config = {"mcpServers": {"demo": {"command": sys.executable, "args": [str(MCP_SERVER)],
                                              "env": {"BENCH_ROUND": str(round_)}}}}
            edit = ["-p", "--permission-mode", "acceptEdits", TASK, "--mcp-config", json.dumps(config)]
            for label, cmd in (("claw -p, Anthropic, one stdio MCP server, cold", [claw, *edit]),
                               ("claw -p --attach, the same, the server started for the run", [claw, "--attach", *edit]),
                               ("claw -p --attach, the same, the next run (the pooled server)",
                                [claw, "--attach", *edit])):
                elapsed = timed(cmd, env, claw_script, label)
                if round_:
                    mcp.setdefault(label, []).append(elapsed)
        print(f"The edit task with one stdio MCP server configured, {opts.runs} runs each:")
        for label, seconds in mcp.items():
            report(label, seconds)

        if shutil.which("tmux") and opts.app_runs:
            app: dict[str, list[float]] = {}
            for _ in range(opts.app_runs):
                for label, cmd in (("claw (the app), cold", [claw]), ("claw --attach (the app), warm engine",
                                                                    [claw, "--attach"])):
                    app.setdefault(label, []).append(app_launch(cmd, base, project))
            print(f"The app, launch to the prompt on screen (tmux 120x40), {opts.app_runs} runs each, alternating:")
            for label, seconds in app.items():
                report(label, seconds)

        attach = [claw, "--attach", "-p", "--permission-mode", "acceptEdits", TASK]
        env = {**base, "CLAW_MODEL": "anthropic/claude-sonnet-4-6"}
        timed(attach, env, claw_script, "memory")
        first = rss_kib(engine.pid)
        for _ in range(opts.memory_runs - 1):
            timed(attach, env, claw_script, "memory")
        last = rss_kib(engine.pid)
        print(f"engine memory (VmRSS) after 1 attached run: {first / 1024:.1f} MiB; after {opts.memory_runs}: "
              f"{last / 1024:.1f} MiB ({(last - first) / first * 100:+.1f} %)")
        engine.send_signal(signal.SIGTERM)
        engine.wait(timeout=30)


if __name__ == "__main__":
    main()
