"""The prompt with its completion menus open."""

from __future__ import annotations

import subprocess

import pytest
from claw_snap_app import make_app, still
from keyboard import type_text


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_slash_completion(monkeypatch, snap_compare, size):
    """You should see a menu above the prompt listing /compact, /cost and /config with their help."""

    async def run_before(pilot) -> None:
        await still(pilot)
        await pilot.press("/", "c", "o")
        await still(pilot)

    assert snap_compare(make_app(monkeypatch), terminal_size=size, run_before=run_before)


def test_file_mention_completion(monkeypatch, snap_compare):
    """You should see "@src/widget.py" offered (and nothing from the git-ignored build/ folder)."""

    app = make_app(monkeypatch)
    root = app.cwd
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("build/\n")
    for path in ("src/widget.py", "build/widget.py"):
        (root / path).parent.mkdir(exist_ok=True)
        (root / path).write_text("")

    async def run_before(pilot) -> None:
        await still(pilot)
        await type_text(pilot, "look at @widg")
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_multi_line_prompt_and_collapsed_paste(monkeypatch, snap_compare):
    """You should see a three-line prompt whose last line is "[Pasted text #1 +40 lines]"."""

    async def run_before(pilot) -> None:
        from textual import events

        await still(pilot)
        await type_text(pilot, "first line", "ctrl+j")
        await type_text(pilot, "second line", "ctrl+j")
        pilot.app.post_message(events.Paste("\n".join(f"row {n}" for n in range(40))))
        await still(pilot)

    assert snap_compare(make_app(monkeypatch), terminal_size=(80, 24), run_before=run_before)
