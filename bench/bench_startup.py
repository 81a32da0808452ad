"""Start-up figures: how long until claw answers, headless and in the app.

    python bench/bench_startup.py

Prints medians over several runs; nothing here is asserted. The model is the scripted fake
server from tests/fake_model, so the figures are claw's own overhead plus loopback HTTP.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_model import Reply, Text, ToolCall, fake_claw_home

RUNS = 5


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def report(label: str, seconds: list[float]) -> None:
    print(f"{label:<58} median {statistics.median(seconds) * 1000:7.0f} ms   (min {min(seconds) * 1000:.0f})")


async def first_frame(project: Path, resume: str | None = None) -> float:
    from claw_tui.config import load_config
    from claw_tui.ui.app import ClawApp

    start = time.perf_counter()
    app = ClawApp(project, config=load_config(project), resume=resume)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        elapsed = time.perf_counter() - start
    return elapsed


def make_long_session(project: Path, messages: int) -> str:
    from claw_tui.core.transcript import Message, TextBlock
    from claw_tui.engine.sessions import SessionStore

    store = SessionStore.open()
    history = []
    for i in range(messages):
        role = "user" if i % 2 == 0 else "assistant"
        text = f"message {i}: " + ("the quick brown fox jumps over the lazy dog. " * 8)
        history.append(Message(role=role, content=[TextBlock(text=text)]))
    session_id = store.import_session(project, history, title="a long session", models=["anthropic/claude-sonnet-4-6"])
    store.close()
    return session_id


def main() -> None:
    with fake_claw_home() as (project, server):
        # timing claw, not bubblewrap (whose start-up probe runs once per process)
        env = {**os.environ, "CLAW_SANDBOX__ENABLED": "false"}
        py = sys.executable
        report("python -c 'import claw_tui.cli'", [timed([py, "-c", "import claw_tui.cli"], env, project)
                                                   for _ in range(RUNS)])
        claw = shutil.which("claw", path=str(Path(py).parent)) or "claw"
        report("claw --version (target < 150 ms)", [timed([claw, "--version"], env, project) for _ in range(RUNS)])
        report("claw --help", [timed([claw, "--help"], env, project) for _ in range(RUNS)])
        runs = []
        for _ in range(RUNS):
            server.script(Reply(parts=[Text("hi")]))
            runs.append(timed([claw, "-p", "hello"], env, project))
        report("claw -p 'hello' (process start to answer, fake model)", runs)
        runs = []
        for _ in range(RUNS):
            (project / "notes.txt").write_text("alpha\nbeta\n")
            server.script(
                Reply(parts=[Text("Reading."), ToolCall("Read", {"file_path": "notes.txt"})]),
                Reply(parts=[ToolCall("Grep", {"pattern": "beta", "output_mode": "content"})]),
                Reply(parts=[ToolCall("Edit", {"file_path": "notes.txt", "old_string": "beta", "new_string": "gamma"})]),
                Reply(parts=[Text("Done.")]),
            )
            runs.append(timed([claw, "-p", "--permission-mode", "acceptEdits", "fix the notes"], env, project))
            assert (project / "notes.txt").read_text() == "alpha\ngamma\n", "the task really ran"
        report("claw -p, a task of three tool calls (target < 1 s)", runs)
        report("app: first frame, new session", [asyncio.run(first_frame(project)) for _ in range(3)])
        session_id = make_long_session(project, 5000)
        report("app: first frame, resuming a 5,000-message session",
               [asyncio.run(first_frame(project, resume=session_id)) for _ in range(3)])


if __name__ == "__main__":
    main()
