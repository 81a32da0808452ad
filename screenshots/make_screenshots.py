"""Play a recorded session through the fake model server and save SVG screenshots of claw.

    python screenshots/make_screenshots.py          # writes screenshots/*.svg

The real app, the real agent and the real `anthropic` SDK run against tests/fake_model, in a
throwaway project, home and data directory; nothing reaches a real model.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from fake_model import FakeModelServer, Reply, Text, Thinking, ToolCall, fake_claw_home

BUGGY = '''def count_lines(text: str) -> int:
    """Lines in text."""
    return text.count("\\n")


def longest_line(text: str) -> str:
    return max(text.splitlines(), key=len, default="")
'''

FIXED_BODY = '''    """Lines in text, counting a last line without a newline."""
    return text.count("\\n") + (bool(text) and not text.endswith("\\n"))'''

TESTS = '''from lines import count_lines


def test_last_line_without_newline():
    assert count_lines("a\\nb") == 2
'''


def make_project(root: Path) -> None:
    (root / "src").mkdir(parents=True)
    (root / "src" / "lines.py").write_text(BUGGY)
    (root / "tests").mkdir()
    (root / "tests" / "test_lines.py").write_text(TESTS)
    (root / "README.md").write_text("# lines\n\nSmall text helpers.\n")
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "."], ["git", "commit", "-qm", "start"]):
        subprocess.run(cmd, cwd=root, check=True, env={**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL":
                       "a@b", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b"})


def script(server: FakeModelServer) -> None:
    server.script(
        Reply(
            parts=[
                Thinking("The user reports that count_lines misses a last line without a newline. Plan, then read."),
                Text("I'll track this as three steps."),
                ToolCall("TaskCreate", {"subject": "Read src/lines.py", "description": "Find the off-by-one"}),
                ToolCall("TaskCreate", {"subject": "Fix count_lines", "description": "Count a trailing line"}),
                ToolCall("TaskCreate", {"subject": "Run the tests", "description": "pytest -q"}),
            ],
            token_delay=0.002,
        ),
        Reply(parts=[
            ToolCall("TaskUpdate", {"taskId": "2", "addBlockedBy": ["1"]}),
            ToolCall("TaskUpdate", {"taskId": "3", "addBlockedBy": ["2"]}),
            ToolCall("TaskUpdate", {"taskId": "1", "status": "in_progress"}),
            ToolCall("Read", {"file_path": "src/lines.py"}),
        ]),
        Reply(parts=[
            ToolCall("TaskUpdate", {"taskId": "1", "status": "completed"}),
            ToolCall("TaskUpdate", {"taskId": "2", "status": "in_progress"}),
            Text("`count_lines` only counts newlines, so a last line without one is missed."),
            ToolCall("Edit", {
                "file_path": "src/lines.py",
                "old_string": '    """Lines in text."""\n    return text.count("\\n")',
                "new_string": FIXED_BODY,
            }),
        ]),
        Reply(parts=[
            ToolCall("TaskUpdate", {"taskId": "2", "status": "completed"}),
            ToolCall("TaskUpdate", {"taskId": "3", "status": "in_progress"}),
            ToolCall("Bash", {"command": "cd tests && PYTHONPATH=../src python -m pytest -q", "description": "Run the tests"}),
        ]),
        Reply(parts=[ToolCall("TaskUpdate", {"taskId": "3", "status": "completed"})]),
        Reply(parts=[
            Text(
                "Fixed the **off-by-one** in `count_lines`:\n\n```python\ndef count_lines(text: str) -> int:\n"
                + FIXED_BODY + "\n```\n\nThe test passes now."
            ),
        ], token_delay=0.002),
    )


async def shoot(out: Path, server: FakeModelServer) -> list[str]:
    from claw_tui.config import load_config
    from claw_tui.ui.app import ClawApp

    saved: list[str] = []
    project = Path(os.environ["HOME"]) / "lines"
    make_project(project)

    def save(app: ClawApp, name: str) -> None:
        app.save_screenshot(filename=f"{name}.svg", path=str(out))
        saved.append(name)

    def new_app() -> ClawApp:
        config = load_config(project, flags={"sandbox": {"enabled": True}})
        return ClawApp(project, config=config, permission_mode="default")

    async def wait_for(pilot, predicate, timeout: float = 20) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not predicate():
            if loop.time() > end:
                pilot.app.save_screenshot(filename="stuck.svg", path=tempfile.gettempdir())
                raise TimeoutError("the app did not reach the expected state (see stuck.svg in the temp dir)")
            await pilot.pause(0.05)

    def approval_open(app: ClawApp) -> bool:
        return type(app.screen).__name__ == "ApprovalScreen"

    app = new_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        save(app, "01-start")
        await pilot.press(*"count_lines misses the last line when there is no trailing newline; fix it", "enter")
        await wait_for(pilot, lambda: approval_open(app))
        await pilot.pause(0.3)
        save(app, "02-approve-edit")
        await pilot.press("y")
        await wait_for(pilot, lambda: approval_open(app))
        await pilot.pause(0.3)
        save(app, "03-approve-bash")
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.main_screen.turn_running)
        await pilot.pause(0.5)
        save(app, "04-after-the-turn")
        for key, name in (("f4", "05-diff-pane"), ("f3", "06-tool-log"), ("f5", "07-task-graph")):
            await pilot.press(key, "f11")
            await pilot.pause(0.3)
            save(app, name)
            await pilot.press("f11")
        await pilot.press("f7")
        await pilot.press(*"/model", "enter")
        await pilot.pause(0.5)
        save(app, "08-model-picker")
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        save(app, "09-command-palette")
        await pilot.press("escape")
        await pilot.press("f1")
        await pilot.pause(0.5)
        save(app, "10-help")
        await pilot.press("escape")
        app.apply_theme_choice("claw-light")
        await pilot.pause(0.3)
        save(app, "11-theme-light")
        app.apply_theme_choice("claw-dark")
        print(f"{len(server.requests)} model requests in the recorded session", file=sys.stderr)

    server.script(Reply(parts=[Text("Hello! What shall we work on?")]))
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"hello", "enter")
        await wait_for(pilot, lambda: not app.main_screen.turn_running)
        await pilot.pause(0.3)
        save(app, "12-narrow-80x24")

    app = new_app()  # both sessions above were stored; the browser lists them
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press(*"/sessions", "enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SessionBrowser")
        await pilot.press("down")  # the recorded session, with tool calls in its preview
        await pilot.pause(0.5)
        save(app, "14-session-browser")

    os.environ.pop("ANTHROPIC_API_KEY")
    app = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.5)
        save(app, "13-welcome")
    return saved


def main() -> None:
    out = HERE
    with fake_claw_home() as (_project, server):
        script(server)
        saved = asyncio.run(shoot(out, server))
    for name in saved:
        print(out / f"{name}.svg")


if __name__ == "__main__":
    main()
