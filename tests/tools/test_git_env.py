"""claw's own git calls in a repository whose config names programs: none of them runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from claw_tui.engine.worktrees import create_worktree, remove_worktree, worktree_changes
from claw_tui.tools.git_env import repository_drivers, safe_git_env
from claw_tui.ui.widgets.status_bar import git_state


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def booby_trapped(tmp_path):
    """A repository whose .git/config runs a marker-writing program from every side door git has."""
    repo, marks = tmp_path / "repo", tmp_path / "marks"
    repo.mkdir()
    marks.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "T")
    (repo / ".gitattributes").write_text("*.txt filter=trap diff=trap\n")
    (repo / "a.txt").write_text("one\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")

    def mark(name: str, then: str = "cat") -> str:
        return f"touch {marks / name}; {then}"

    git(repo, "config", "core.fsmonitor", mark("fsmonitor", "true"))
    git(repo, "config", "filter.trap.clean", mark("clean"))
    git(repo, "config", "filter.trap.smudge", mark("smudge"))
    git(repo, "config", "filter.trap.process", mark("process", "false"))
    git(repo, "config", "diff.trap.textconv", mark("textconv"))
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marks / 'hook'}\n")
    hook.chmod(0o755)
    (repo / "a.txt").write_text("one\ntwo\n")  # dirty, so status and diff have work to do
    return repo, marks


def test_the_trap_is_live_for_plain_git(booby_trapped):
    """The control: git itself runs the repository's programs."""
    repo, marks = booby_trapped
    subprocess.run(["git", "status"], cwd=repo, capture_output=True, check=False)
    subprocess.run(["git", "diff"], cwd=repo, capture_output=True, check=False)
    assert {"fsmonitor", "process"} <= {p.name for p in marks.iterdir()}


async def test_status_bar_and_worktrees_run_none_of_them(booby_trapped):
    repo, marks = booby_trapped
    assert await git_state(repo) == ("main", True)
    wt = create_worktree(repo, "w1", home=repo.parent / "worktrees")
    try:
        assert (wt.path / "a.txt").read_text() == "one\ntwo\n", "the uncommitted change came along"
        (wt.path / "b.txt").write_text("new\n")
        assert [c.rel for c in worktree_changes(wt)] == ["b.txt"], "relative to the copied state"
    finally:
        remove_worktree(wt)
    assert sorted(p.name for p in marks.iterdir()) == []


def test_only_the_repositorys_own_drivers_are_overridden(booby_trapped, isolated_home):
    repo, _ = booby_trapped
    (isolated_home / ".gitconfig").write_text('[filter "lfs"]\n\tclean = git-lfs clean -- %f\n')
    assert sorted(repository_drivers(repo)) == [
        "diff.trap.textconv", "filter.trap.clean", "filter.trap.process", "filter.trap.smudge"
    ]
    env = safe_git_env(repo, {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.fsmonitor", "GIT_CONFIG_VALUE_0": "x"})
    pairs = {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(int(env["GIT_CONFIG_COUNT"]))}
    assert pairs == {
        "core.fsmonitor": "false",
        "core.pager": "cat",
        "core.hooksPath": "/dev/null",
        "filter.trap.clean": "cat",
        "filter.trap.smudge": "cat",
        "filter.trap.process": "",
        "diff.trap.textconv": "cat",
    }, "the user's git-lfs stays; a caller's own overrides do not shift claw's"
    assert "core.hooksPath" not in safe_git_env(repo, {}, hooks=True).values()


@pytest.mark.parametrize("action", ["status", "diff", "log", "show", "branch"])
async def test_the_git_tool_looks_without_running_them(booby_trapped, action):
    from claw_tui.tools.base import ToolContext
    from claw_tui.tools.git import Git

    repo, marks = booby_trapped
    git(repo, "config", "diff.trap.command", f"touch {marks / 'external-diff'}; echo EXTERNAL")
    ctx = ToolContext(cwd=repo, roots=[repo])
    result = await Git().run(Git.Input(action=action, ref="HEAD" if action == "diff" else None), ctx)
    if action in ("diff", "status"):
        assert "a.txt" in result.output and "EXTERNAL" not in result.output
    assert sorted(p.name for p in marks.iterdir()) == []
