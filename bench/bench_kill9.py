"""kill -9 at random moments of a six-step task: how many sessions come back intact.

    python bench/bench_kill9.py [--runs 40] [--seed 1]

Each run starts `claw -p --output-format claw-events` on a six-step task scripted on the fake
model server (tests/fake_model): quick commands, slow commands, slowly streamed answers. At a
moment drawn at random over the task's length it sends SIGKILL, then checks what
tests/engine/test_kill9.py checks: every message whose completion was printed before the kill
is stored, SQLite's integrity check passes, `claw -p -c` resumes with a valid request, and no
command ran twice. The claw processes are forked from one that has imported claw
(tests/forked_claw.py), so a run costs its own work, not the SDK's import. Prints the figure;
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_model import FakeModelServer, Reply, Text, ToolCall, isolated_env
from forked_claw import ClawForks, ClawRun

TASK_SECONDS = 6.0  # about how long the scripted task takes uninterrupted


def task() -> list[Reply]:
    return [
        Reply(parts=[Text("Looking first. "), ToolCall("Bash", {"command": "echo 1 >> ran.txt"})], token_delay=0.05),
        Reply(parts=[ToolCall("Bash", {"command": "echo 2 >> ran.txt; sleep 1"})]),
        Reply(parts=[Text("thinking aloud " * 40), ToolCall("Bash", {"command": "echo 3 >> ran.txt"})], token_delay=0.01),
        Reply(parts=[ToolCall("Bash", {"command": "echo 4 >> ran.txt; sleep 1.5"})]),
        Reply(parts=[ToolCall("Bash", {"command": "echo 5 >> ran.txt"})]),
        Reply(parts=[Text("All done: " + "word " * 80)], token_delay=0.01),
    ]


def moment(run: ClawRun) -> str:
    """Where the kill landed, from the last events printed."""
    open_calls: set[str] = set()
    last = ""
    for event in run.events():
        kind = event["type"]
        if kind == "tool_call_running":
            open_calls.add(event["call_id"])
        elif kind == "tool_call_finished":
            open_calls.discard(event["call_id"])
        if kind != "usage":
            last = kind
    if open_calls:
        return "mid-tool"
    if last == "text_delta":
        return "mid-stream"
    return "between events"


def invalid_conversation(messages: list[dict]) -> str:
    """What the Messages API would reject: a tool_use not answered in the very next message, or a stray result."""
    for i, msg in enumerate(messages):
        blocks = msg["content"] if isinstance(msg["content"], list) else []
        results = sorted(b["tool_use_id"] for b in blocks if b["type"] == "tool_result")
        prev = messages[i - 1]["content"] if i and isinstance(messages[i - 1]["content"], list) else []
        asked = sorted(b["id"] for b in prev if b["type"] == "tool_use")
        if results != asked:
            return f"message {i} answers {results} for calls {asked}"
    return ""


def one_run(forks: ClawForks, server: FakeModelServer, home: Path, at: float) -> tuple[str, bool, str]:
    from claw_tui.engine.sessions import SessionStore

    project = home / "project"
    project.mkdir(parents=True)
    env = {**os.environ, **isolated_env(home, server.base_url), "CLAW_SANDBOX__ENABLED": "false"}
    server.clear_script()
    server.script(*task())
    args = ["-p", "--output-format", "claw-events", "--permission-mode=acceptEdits", "--allowed-tools=Bash"]
    run = forks.start([*args, "do the six steps"], project, env)
    time.sleep(at)
    os.kill(run.pid, signal.SIGKILL)
    code = forks.wait(run)
    if code != -signal.SIGKILL:
        return "finished first", True, ""
    where = moment(run)
    completed = [e["message"]["id"] for e in run.events() if e["type"] == "message_completed"]
    db = home / "data" / "sessions.db"
    if not db.exists():
        return where, not completed, "no database"
    with sqlite3.connect(db) as conn:
        if conn.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            return where, False, "integrity check failed"
    with SessionStore.open(db) as store:
        stored = {m.id for s in store.list(None) for m in store.messages(s.id)}
    if not set(completed) <= stored:
        return where, False, f"{len(set(completed) - stored)} completed messages missing"
    server.clear_script()
    server.script(Reply(parts=[Text("resumed")]))
    asked = len(server.requests)
    resumed = forks.run([*args, "-c", "go on"], project, env)
    if resumed.code != 0:
        return where, not completed, f"resume failed: {resumed.stderr.strip()}"
    if len(server.requests) == asked:
        return where, False, "resume sent no request"
    if problem := invalid_conversation(server.requests[-1].json["messages"]):
        return where, False, problem
    ran = (project / "ran.txt").read_text().split() if (project / "ran.txt").exists() else []
    if len(ran) != len(set(ran)):
        return where, False, f"a command ran twice: {ran}"
    return where, True, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    moments: Counter[str] = Counter()
    failures: list[str] = []
    intact = kills = 0
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, FakeModelServer() as server:
        root = Path(tmp)
        with ClawForks(root, dict(os.environ)) as forks:
            for i in range(options.runs):
                at = rng.uniform(0.3, TASK_SECONDS)
                where, ok, why = one_run(forks, server, root / f"home{i}", at)
                moments[where] += 1
                if where == "finished first":
                    continue
                kills += 1
                times.append(at)
                intact += ok
                if not ok:
                    failures.append(f"run {i} (kill at {at:.2f} s, {where}): {why}")
    spread = f"{min(times):.1f} to {max(times):.1f} s into the task" if times else "none"
    print(f"runs: {options.runs}; killed: {kills} (kill moments {spread}; " + ", ".join(
        f"{n} {name}" for name, n in moments.most_common()) + ")")
    print(f"sessions intact: {intact} of {kills}")
    for failure in failures:
        print("  " + failure)


if __name__ == "__main__":
    main()
