"""Isolated git worktrees for subagents and EnterWorktree, on GitPython.

A worktree lives in claw's data directory (outside the repository, so the permission engine
sees it as its own workspace and nothing under `.git` is written by the agent) on a branch
`claw/<id>`. It starts from HEAD plus the main tree's uncommitted and untracked files, which
are committed on that branch as the *base*: the agent's work is everything that differs
from the base, committed or not. A change comes back to the main tree only if the main
tree's file still equals the base; otherwise it is a conflict, saved as a patch and never
written. Each worktree is locked with the owning process id, so `cleanup_stale` at start
removes only those whose process is gone.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claw_tui.core.private_files import private_dir

BRANCH_PREFIX = "claw/"
_LOCK_REASON = re.compile(r"claw pid (\d+)")
# Committing the base must not depend on the user's identity, signing keys or hooks.
_COMMIT_OPTS = ["-c", "user.name=claw", "-c", "user.email=claw@localhost", "-c", "commit.gpgsign=false"]


class WorktreeError(Exception):
    """Git could not do what isolation needs; the message says what and why."""


@dataclass
class Worktree:
    id: str
    repo_root: Path  # the main working tree
    path: Path  # this worktree's root
    branch: str
    base_commit: str
    subdir: Path = Path(".")  # where the agent works, relative to the root (the session's cwd)

    @property
    def cwd(self) -> Path:
        return self.path / self.subdir

    def main_path(self, rel: str) -> Path:
        return self.repo_root / rel


@dataclass
class WorktreeChange:
    """One file the agent changed, relative to the repository root; None = absent."""

    rel: str
    base: bytes | None
    after: bytes | None


@dataclass
class MergePlan:
    clean: list[WorktreeChange] = field(default_factory=list)
    conflicts: list[WorktreeChange] = field(default_factory=list)


def _repo(path: Path) -> Any:
    import git

    from claw_tui.tools.git_env import safe_git_env

    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise WorktreeError(f"{path} is not inside a git repository, so it cannot have a worktree.") from None
    # No hooks (post-checkout on worktree add), fsmonitor or repository filters run in claw's own calls.
    repo.git.update_environment(**safe_git_env(path))
    return repo


def _git_error(action: str, exc: Exception) -> WorktreeError:
    stderr = getattr(exc, "stderr", "") or str(exc)
    return WorktreeError(f"Could not {action}: {str(stderr).strip()}")


def worktrees_home() -> Path:
    from claw_tui.config import user_data_dir

    return user_data_dir() / "worktrees"


def create_worktree(cwd: Path, worktree_id: str, *, home: Path | None = None) -> Worktree:
    """A new worktree on `claw/<id>` holding HEAD plus the main tree's uncommitted state."""
    import git

    repo = _repo(cwd)
    if repo.bare or repo.working_tree_dir is None:
        raise WorktreeError("The repository is bare; worktree isolation needs a working tree.")
    root = Path(repo.working_tree_dir).resolve()
    try:
        head = repo.head.commit.hexsha
    except ValueError:
        raise WorktreeError("Worktree isolation needs a repository with at least one commit.") from None
    slug = f"{root.name}-{hashlib.sha256(str(root).encode()).hexdigest()[:8]}"
    path = (home or worktrees_home()) / slug / worktree_id
    branch = BRANCH_PREFIX + worktree_id
    private_dir(path.parent)
    try:
        repo.git.worktree("add", "--lock", "--reason", f"claw pid {os.getpid()}", "-b", branch, str(path), head)
    except git.GitCommandError as exc:
        raise _git_error(f"create a worktree for {worktree_id}", exc) from None
    wt = Worktree(worktree_id, root, path, branch, head, _relative(cwd.resolve(), root))
    try:
        wt.base_commit = _copy_uncommitted(repo, wt)
    except (OSError, git.GitCommandError) as exc:
        remove_worktree(wt)
        raise _git_error("copy the uncommitted changes into the worktree", exc) from None
    return wt


def _relative(cwd: Path, root: Path) -> Path:
    return cwd.relative_to(root) if cwd.is_relative_to(root) else Path(".")


def _copy_uncommitted(main: Any, wt: Worktree) -> str:
    """Bring the main tree's modified, deleted and untracked files over; commit them as the base."""
    changed = _z(main.git.ls_files("-z", "--modified", "--others", "--exclude-standard"))
    deleted = set(_z(main.git.ls_files("-z", "--deleted")))
    for rel in dict.fromkeys(changed):
        source, target = wt.repo_root / rel, wt.path / rel
        if rel in deleted or not source.exists():
            target.unlink(missing_ok=True)
        elif source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
    for rel in deleted:
        (wt.path / rel).unlink(missing_ok=True)
    if not changed and not deleted:
        return wt.base_commit
    repo = _repo(wt.path)
    repo.git.add("-A")
    if not repo.git.status("--porcelain"):
        return wt.base_commit
    repo.git.execute(
        ["git", *_COMMIT_OPTS, "commit", "--no-verify", "-q", "-m", "claw: the main tree's uncommitted changes"]
    )
    return repo.head.commit.hexsha


def _z(output: str) -> list[str]:
    return [p for p in output.split("\0") if p]


def worktree_changes(wt: Worktree) -> list[WorktreeChange]:
    """Every file that differs from the base: committed, staged, modified or new (not ignored)."""
    import git

    repo = _repo(wt.path)
    try:
        repo.git.add("-A")
        names = _z(repo.git.diff("--cached", "--no-renames", "--name-only", "-z", wt.base_commit))
    except git.GitCommandError as exc:
        raise _git_error(f"read the changes in worktree {wt.id}", exc) from None
    base = repo.commit(wt.base_commit).tree
    changes = []
    for rel in names:
        try:
            before: bytes | None = (base / rel).data_stream.read()
        except KeyError:
            before = None
        file = wt.path / rel
        after = file.read_bytes() if file.is_file() else None
        if before != after:
            changes.append(WorktreeChange(rel, before, after))
    return changes


def plan_merge(wt: Worktree, changes: list[WorktreeChange]) -> MergePlan:
    """Split changes into those the main tree can take and those it changed meanwhile."""
    plan = MergePlan()
    for change in changes:
        target = wt.main_path(change.rel)
        current = target.read_bytes() if target.is_file() else None
        (plan.clean if current == change.base else plan.conflicts).append(change)
    return plan


def save_conflicts(wt: Worktree, conflicts: list[WorktreeChange]) -> tuple[Path, Path]:
    """Keep the agent's side of each conflict: a patch against the base, and the files whole.

    Returns (patch file, folder with the agent's versions), both under `.git/claw-patches/`.
    """
    common = Path(_repo(wt.repo_root).git.rev_parse("--git-common-dir"))
    if not common.is_absolute():
        common = (wt.repo_root / common).resolve()
    folder = common / "claw-patches" / wt.id
    folder.mkdir(parents=True, exist_ok=True)
    hunks: list[str] = []
    for change in conflicts:
        kept = folder / change.rel
        kept.parent.mkdir(parents=True, exist_ok=True)
        if change.after is None:
            kept.with_name(kept.name + ".deleted").write_text("The agent deleted this file.\n")
        else:
            kept.write_bytes(change.after)
        hunks.append(_unified(change))
    patch = folder.with_suffix(".patch")
    patch.write_text("".join(hunks), encoding="utf-8")
    return patch, folder


def _unified(change: WorktreeChange) -> str:
    def lines(data: bytes | None) -> list[str]:
        return [] if data is None else data.decode("utf-8", errors="replace").splitlines(keepends=True)

    old = "/dev/null" if change.base is None else f"a/{change.rel}"
    new = "/dev/null" if change.after is None else f"b/{change.rel}"
    if b"\0" in (change.base or b"") + (change.after or b""):
        return f"diff --git a/{change.rel} b/{change.rel}\nBinary files {old} and {new} differ\n"
    body = difflib.unified_diff(lines(change.base), lines(change.after), old, new)
    text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in body)
    return f"diff --git a/{change.rel} b/{change.rel}\n{text}"


def remove_worktree(wt: Worktree) -> None:
    """Remove the worktree, its branch and its directory; what is already gone is fine."""
    try:
        repo = _repo(wt.repo_root)
    except WorktreeError:
        shutil.rmtree(wt.path, ignore_errors=True)
        return
    _remove(repo, wt.path, wt.branch)


def _remove(repo: Any, path: Path, branch: str | None) -> None:
    import git

    try:
        repo.git.worktree("remove", "--force", "--force", str(path))
    except git.GitCommandError:
        shutil.rmtree(path, ignore_errors=True)
        try:
            repo.git.worktree("prune")
        except git.GitCommandError:
            pass
    if branch:
        try:
            repo.git.branch("-D", branch)
        except git.GitCommandError:
            pass  # never created, or already deleted


def cleanup_stale(repo_path: Path) -> list[str]:
    """Remove `claw/*` worktrees and branches left by claw processes that no longer run.

    Returns the branches removed. A repository that is not one (or git failing) removes nothing.
    """
    import git

    try:
        repo = _repo(repo_path)
        listing = repo.git.worktree("list", "--porcelain")
    except (WorktreeError, git.GitCommandError):
        return []
    removed: list[str] = []
    live_branches: set[str] = set()
    for block in listing.split("\n\n"):
        fields = dict(line.partition(" ")[::2] for line in block.splitlines() if line)
        branch = fields.get("branch", "").removeprefix("refs/heads/")
        if not branch.startswith(BRANCH_PREFIX) or "worktree" not in fields:
            continue
        match = _LOCK_REASON.search(fields.get("locked", ""))
        if match and _alive(int(match.group(1))):
            live_branches.add(branch)
            continue
        _remove(repo, Path(fields["worktree"]), branch)
        removed.append(branch)
    for head in repo.branches:
        if head.name.startswith(BRANCH_PREFIX) and head.name not in live_branches and head.name not in removed:
            try:
                repo.git.branch("-D", head.name)
                removed.append(head.name)
            except git.GitCommandError:
                pass  # checked out somewhere else
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
