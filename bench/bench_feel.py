"""How fast claw feels beside Claude Code: launch → prompt ready, and Enter → an edit's approval on screen.

    python bench/bench_feel.py                                          # claw only
    python bench/bench_feel.py --claude /work/cc/node_modules/.bin/claude  # and Claude Code, alternating

Each program runs in tmux (160x48) against the same scripted fake model server (tests/fake_model),
in a fresh project and home, one run of each in turn. "Prompt ready" is the first capture of the pane
that shows the program's prompt; "approval" is the first that shows its question about the file the
model writes, timed from the Enter that sent the prompt (typed beforehand and seen on screen).
claw shows its prompt (the boot screen's) before the rest of its screen; "whole screen" is when the
rest is up too (its greeting in the conversation), and keys typed before then wait for it.
Prints the median and range per program; nothing is asserted. FEEL_SETTLE_S (default 0.5) is how
long after the prompt shows the prompt is typed: a user who types at once meets the start-up work.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_model import FakeModelServer, Reply, Text, ToolCall, isolated_env

SIZE = (160, 48)
POLL_S = 0.005
SETTLE_S = float(os.environ.get("FEEL_SETTLE_S", "0.5"))
TIMEOUT_S = 60.0
FAKE_KEY = "sk-ant-fake-key-0123456789abcdefghij"


@dataclass
class Program:
    name: str
    command: list[str]
    ready: str  # on screen once the prompt takes keys
    approval: str  # on screen once the write asks for approval
    whole: str  # on screen once the whole screen is up (Claude Code's is once its prompt is)
    titles: bool = False  # it asks the model for a session title (Claude Code, with the prompt in <session>)

    def environment(self, home: Path, project: Path, base_url: str) -> dict[str, str]:
        if self.name == "claw":
            return isolated_env(home, base_url)
        # Claude Code: onboarding, the folder's trust and the key already answered, as for a daily user.
        state = {
            "hasCompletedOnboarding": True,
            "numStartups": 5,
            "projects": {str(project): {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True}},
            "customApiKeyResponses": {"approved": [FAKE_KEY[-20:]], "rejected": []},
        }
        (home / ".claude.json").write_text(json.dumps(state))
        return {
            "HOME": str(home),
            "ANTHROPIC_API_KEY": FAKE_KEY,
            "ANTHROPIC_BASE_URL": base_url,
            "DISABLE_AUTOUPDATER": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }


def screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], check=False, capture_output=True, text=True).stdout


def wait_for(session: str, text: str) -> float:
    """Seconds until `text` is on the pane (TIMEOUT_S: it never came)."""
    start = time.perf_counter()
    while time.perf_counter() - start < TIMEOUT_S:
        if text in screen(session):
            return time.perf_counter() - start
        time.sleep(POLL_S)
    raise TimeoutError(f"never saw {text!r}; the screen:\n{screen(session)}")


def run_once(program: Program, server: FakeModelServer, index: int) -> tuple[float, float, float]:
    prompt = f"write hello{index}.py"
    # Routed by the first user text: the title request's holds "<session>\nPROMPT", the turn's only PROMPT.
    title = [Reply(parts=[Text("Writing hello")], when=f"<session>\n{prompt}")] if program.titles else []
    server.script(
        *title,
        Reply(parts=[ToolCall("Write", {"file_path": f"hello{index}.py", "content": "print('hello')\n"})], when=prompt),
        Reply(parts=[Text("Done.")], when=prompt),
    )
    session = f"feel-{os.getpid()}-{program.name}-{index}"
    # Claude Code may still write into its home as tmux kills it: a cleanup that meets that is not a failed run.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        home = Path(tmp)
        project = home / "project"
        project.mkdir()
        # A user's shell: no keys or claw settings of this one, and Python may cache bytecode.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ANTHROPIC_", "OPENAI_", "CLAW_")) and k != "PYTHONDONTWRITEBYTECODE"}
        env |= program.environment(home, project, server.base_url)
        exports = [f"{k}={v}" for k, v in env.items()]
        started = time.perf_counter()
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", session, "-x", str(SIZE[0]), "-y", str(SIZE[1]), "-c", str(project),
             "env", "-i", *exports, *program.command],
            check=True,
        )
        try:
            wait_for(session, program.ready)
            launch = time.perf_counter() - started
            wait_for(session, program.whole)
            whole = time.perf_counter() - started
            time.sleep(SETTLE_S)  # let start-up work settle, as a user reading the screen would
            subprocess.run(["tmux", "send-keys", "-t", session, "-l", prompt], check=True)
            wait_for(session, prompt)
            sent = time.perf_counter()
            subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)
            wait_for(session, program.approval)
            approval = time.perf_counter() - sent
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    return launch, whole, approval


def describe(name: str, values: list[float]) -> str:
    return f"{name}: median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--claude", help="Claude Code's command (e.g. /work/cc/node_modules/.bin/claude)")
    args = parser.parse_args()
    claw = shutil.which("claw", path=str(Path(sys.executable).parent)) or "claw"
    programs = [Program("claw", [claw], ready="Ask claw", approval="needs your approval", whole="Enter sends ·")]
    if args.claude:
        programs.append(
            Program("claude", [args.claude], ready="? for shortcuts", approval="Do you want to create",
                    whole="? for shortcuts", titles=True)
        )
    figures: dict[str, tuple[list[float], list[float], list[float]]] = {p.name: ([], [], []) for p in programs}
    with FakeModelServer() as server:
        for index in range(args.runs):
            for program in programs:  # alternating, so a busy moment of the machine hits both
                launch, whole, approval = run_once(program, server, index)
                for figure, value in zip(figures[program.name], (launch, whole, approval), strict=True):
                    figure.append(value)
                print(f"run {index + 1} {program.name}: launch → prompt ready {launch:.3f} s, whole screen {whole:.3f} s,"
                      f" Enter → approval {approval:.3f} s", flush=True)
    print()
    for name, (launches, wholes, approvals) in figures.items():
        print(describe(f"{name} launch → prompt ready", launches))
        print(describe(f"{name} launch → whole screen", wholes))
        print(describe(f"{name} Enter → edit approval", approvals))


if __name__ == "__main__":
    main()
