"""Worktrees against real git repositories in temporary directories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from claw_tui.engine import worktrees
from claw_tui.engine.worktrees import WorktreeError


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    (path / "app.py").write_text("print('v1')\n")
    (path / "keep.txt").write_text("keep\n")
    (path / ".gitignore").write_text("*.log\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "init")
    return path


def branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--format=%(refname:short)").split()


def test_worktree_carries_uncommitted_state_and_reports_changes(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (repo / "app.py").write_text("print('dirty')\n")  # modified, not committed
    (repo / "new.txt").write_text("untracked\n")
    (repo / "keep.txt").unlink()
    (repo / "debug.log").write_text("ignored\n")
    wt = worktrees.create_worktree(repo, "t1", home=tmp_path / "home")
    assert wt.branch == "claw/t1" and "claw/t1" in branches(repo)
    assert (wt.path / "app.py").read_text() == "print('dirty')\n"
    assert (wt.path / "new.txt").read_text() == "untracked\n"
    assert not (wt.path / "keep.txt").exists()
    assert not (wt.path / "debug.log").exists()
    assert worktrees.worktree_changes(wt) == [], "the copied state is the base, not a change"

    (wt.path / "app.py").write_text("print('agent')\n")
    (wt.path / "added.py").write_text("x = 1\n")
    (wt.path / "new.txt").unlink()
    (wt.path / "out.log").write_text("ignored\n")
    git(wt.path, "add", "added.py")
    git(wt.path, "commit", "-q", "-m", "agent commits part of its work")
    changes = {c.rel: (c.base, c.after) for c in worktrees.worktree_changes(wt)}
    assert changes == {
        "app.py": (b"print('dirty')\n", b"print('agent')\n"),
        "added.py": (None, b"x = 1\n"),
        "new.txt": (b"untracked\n", None),
    }
    worktrees.remove_worktree(wt)
    assert not wt.path.exists()
    assert "claw/t1" not in branches(repo)
    assert (repo / "app.py").read_text() == "print('dirty')\n", "the main tree is untouched"


def test_merge_plan_flags_files_the_main_tree_changed(tmp_path):
    repo = make_repo(tmp_path / "repo")
    wt = worktrees.create_worktree(repo, "t2", home=tmp_path / "home")
    (wt.path / "app.py").write_text("print('agent')\n")
    (wt.path / "keep.txt").write_text("agent keep\n")
    (repo / "app.py").write_text("print('someone else')\n")
    plan = worktrees.plan_merge(wt, worktrees.worktree_changes(wt))
    assert [c.rel for c in plan.clean] == ["keep.txt"]
    assert [c.rel for c in plan.conflicts] == ["app.py"]
    patch, folder = worktrees.save_conflicts(wt, plan.conflicts)
    assert patch.is_relative_to(repo / ".git" / "claw-patches")
    assert (folder / "app.py").read_text() == "print('agent')\n"
    text = patch.read_text()
    assert "--- a/app.py" in text and "-print('v1')" in text and "+print('agent')" in text
    # The patch applies to the base version.
    (repo / "app.py").write_text("print('v1')\n")
    git(repo, "apply", "--check", str(patch))
    worktrees.remove_worktree(wt)


def test_cleanup_stale_removes_dead_owners_only(tmp_path):
    repo = make_repo(tmp_path / "repo")
    mine = worktrees.create_worktree(repo, "alive", home=tmp_path / "home")
    # A worktree locked by a process that no longer exists, as a crash leaves it.
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / "home" / "stale"
    git(repo, "worktree", "add", "-q", "--lock", "--reason", f"claw pid {dead.pid}", "-b", "claw/stale", str(stale))
    git(repo, "branch", "claw/orphan")
    removed = worktrees.cleanup_stale(repo)
    assert sorted(removed) == ["claw/orphan", "claw/stale"]
    assert not stale.exists()
    assert mine.path.exists() and "claw/alive" in branches(repo), "a live process keeps its worktree"
    worktrees.remove_worktree(mine)
    assert worktrees.cleanup_stale(tmp_path / "not-a-repo-at-all") == []


def test_errors_are_clear(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(WorktreeError, match="not inside a git repository"):
        worktrees.create_worktree(plain, "x", home=tmp_path / "home")
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    with pytest.raises(WorktreeError, match="at least one commit"):
        worktrees.create_worktree(empty, "x", home=tmp_path / "home")
