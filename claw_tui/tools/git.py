"""Git: claw's own tool for the common git operations, on GitPython.

Looking (status, diff, log, show, listing branches) is a READ; commit and branch creation
change the repository, so `kind_for` says WRITE for those calls and the class-level `kind`
stays WRITE for anything that does not ask per call. Git runs in a worker thread so the
event loop never waits on it. GitPython itself is imported there, on first use, because it
costs tens of milliseconds that every Agent would otherwise pay at start-up.

The model's arguments are data, never options: a ref or branch name is checked (no leading
`-`, no control characters) and placed after `--end-of-options`, paths after `--` as literal
pathspecs (`:(literal)`), the message as the value of `--message=`. `shell_words` gives the
`git …` command line a call amounts to, so Bash rules (`Bash(git commit:*)`) decide it too.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolKind, ToolResult

if TYPE_CHECKING:
    import git

MAX_OUTPUT_CHARS = 30_000
# A revision as the model may name it: `main`, `HEAD~2`, `v1.0..HEAD`, `abc123^{commit}`, `HEAD:src/a.py`;
# never an option (leading `-`), never whitespace or control characters.
_REF = re.compile(r"[^\s\x00-\x1f\x7f-][^\s\x00-\x1f\x7f]{0,254}")

Action = Literal["status", "diff", "log", "show", "branch", "commit"]


class GitInput(BaseModel):
    action: Action = Field(description="The git operation.")
    path: str | None = Field(
        default=None,
        description="status/diff/log/show: limit to this file or directory.",
    )
    staged: bool = Field(default=False, description="diff: show staged changes (git diff --cached).")
    ref: str | None = Field(
        default=None,
        description="diff: compare the working tree with this commit; log: start here; show: the commit "
        "(default HEAD); branch create: start the new branch here (default HEAD).",
    )
    max_count: int = Field(default=20, ge=1, le=500, description="log: how many commits.")
    message: str | None = Field(default=None, description="commit: the commit message (required).")
    files: list[str] | None = Field(default=None, description="commit: stage these paths first.")
    all: bool = Field(
        default=False,
        description="commit: stage every change to tracked files first (git commit -a); branch: include remote branches.",
    )
    name: str | None = Field(default=None, description="branch: the branch to create (with create: true).")
    create: bool = Field(
        default=False,
        description="branch: create the branch `name` (it is not checked out).",
    )

    @model_validator(mode="after")
    def _needed_arguments(self) -> GitInput:
        if self.action == "commit" and not (self.message or "").strip():
            raise ValueError("commit needs a message")
        if self.action == "branch" and self.create and not self.name:
            raise ValueError("branch with create: true needs a name")
        for field, value in (("ref", self.ref), ("name", self.name)):
            if value is not None and not _REF.fullmatch(value):
                raise ValueError(f"{field} must be a commit, branch or tag name ({value!r} is not one: a name "
                                 "cannot start with '-' or hold spaces or control characters)")
        return self

    @property
    def changes_repo(self) -> bool:
        return self.action == "commit" or (self.action == "branch" and self.create)


class Git(Tool[GitInput]):
    name: ClassVar[str] = "Git"
    description: ClassVar[str] = (
        "Run common git operations on the repository containing the working directory.\n\n"
        "Actions:\n"
        "- status: branch and changed files (optional path).\n"
        "- diff: unstaged changes; staged: true for what will be committed; ref to compare the working "
        "tree with a commit; optional path.\n"
        "- log: recent commits (max_count, optional ref and path).\n"
        "- show: one commit with its patch (ref, default HEAD; optional path).\n"
        "- branch: list branches (all: true includes remotes); with name and create: true, create a "
        "branch at ref without switching to it.\n"
        "- commit: commit staged changes with message; stage paths first with files, or every change to "
        "tracked files with all: true.\n\n"
        "Commit only when the user asked you to. Write a concise message that says why, not just what. "
        "For anything else (switching branches, rebasing, pushing) use Bash."
    )
    Input = GitInput
    kind: ClassVar[ToolKind] = ToolKind.WRITE  # conservative; kind_for says READ for looking

    def kind_for(self, input: GitInput) -> ToolKind:
        return ToolKind.WRITE if input.changes_repo else ToolKind.READ

    def summary(self, input: GitInput) -> str:
        if input.action == "commit":
            return f"Git commit: {(input.message or '').strip().splitlines()[0]}"
        if input.action == "branch" and input.create:
            return f"Git branch: create {input.name}"
        detail = input.ref or input.path
        return f"Git {input.action}" + (f": {detail}" if detail else "")

    def rule_target(self, input: GitInput, ctx: ToolContext) -> str | None:
        return input.action

    def touched_paths(self, input: GitInput, ctx: ToolContext) -> list[Path]:
        paths = [input.path] if input.path else []
        return [ctx.resolve(p) for p in [*paths, *(input.files or [])]]

    def shell_words(self, input: GitInput) -> list[str]:
        """The `git …` command line this call amounts to, for Bash rules."""
        words = ["git", input.action]
        if input.action == "commit":
            words += [*(["-a"] if input.all else []), "-m", (input.message or "").strip()]
        elif input.action == "branch" and input.create:
            words += [input.name or "", *([input.ref] if input.ref else [])]
        elif input.action == "diff" and input.staged:
            words.append("--cached")
        if input.action in ("diff", "log", "show") and input.ref:
            words.append(input.ref)
        return words

    async def run(self, input: GitInput, ctx: ToolContext) -> ToolResult:
        text = await asyncio.to_thread(_run, input, ctx)
        if len(text) > MAX_OUTPUT_CHARS:
            hidden = len(text) - MAX_OUTPUT_CHARS
            text = (
                text[:MAX_OUTPUT_CHARS]
                + f"\n… output truncated ({hidden:,} more characters); narrow it with path, ref or max_count."
            )
        return ToolResult.text(text)


def _run(input: GitInput, ctx: ToolContext) -> str:
    import git  # on first use: see the docstring

    try:
        repo = git.Repo(ctx.cwd, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise ToolError(f"Not a git repository: {ctx.cwd} (nor any of its parents).") from None
    if input.action != "commit":  # looking runs nothing the repository's config names; a commit the user
        # approved runs the repository's hooks and filters, as git would
        from claw_tui.tools.git_env import safe_git_env

        repo.git.update_environment(**safe_git_env(ctx.cwd))
    try:
        with repo:
            return _ACTIONS[input.action](repo, input, ctx)
    except git.GitCommandError as exc:
        raise ToolError(_explain(exc, input)) from None
    except git.GitCommandNotFound:
        raise ToolError("git is not installed (no `git` on PATH).") from None


def repository_root(cwd: Path) -> Path | None:
    """The work tree holding `cwd` (the first parent with a `.git`), without running git."""
    for folder in (cwd.resolve(), *cwd.resolve().parents):
        if (folder / ".git").exists():
            return folder
    return None


def _pathspec(repo: git.Repo, input: GitInput, ctx: ToolContext) -> list[str]:
    return ["--", _literal(_repo_relative(repo, input.path, ctx))] if input.path else []


def _literal(path: str) -> str:
    """A path as a pathspec that means only itself (`:(exclude)…` or a glob would mean more)."""
    return ":(literal)" + path


def _repo_relative(repo: git.Repo, path: str, ctx: ToolContext) -> str:
    resolved = ctx.resolve(path)
    root = Path(repo.working_tree_dir or ctx.cwd).resolve()
    if not resolved.is_relative_to(root):
        raise ToolError(f"{path} is outside the repository at {root}.")
    return str(resolved.relative_to(root)) or "."


def _status(repo: git.Repo, input: GitInput, ctx: ToolContext) -> str:
    out = repo.git.status("--short", "--branch", *_pathspec(repo, input, ctx))
    lines = out.splitlines()
    if len(lines) <= 1:
        return f"{out}\nNothing to commit, working tree clean." if out else "Nothing to commit, working tree clean."
    return out


def _diff(repo: git.Repo, input: GitInput, ctx: ToolContext) -> str:
    args = ["--cached"] if input.staged else []
    args.append("--end-of-options")
    if input.ref:
        args.append(input.ref)
    out = repo.git.diff("--no-ext-diff", *args, *_pathspec(repo, input, ctx))
    if out:
        return out
    if input.staged:
        return "No staged changes."
    return f"No differences from {input.ref}." if input.ref else "No unstaged changes."


def _log(repo: git.Repo, input: GitInput, ctx: ToolContext) -> str:
    args = [f"--max-count={input.max_count}", "--date=short", "--format=%h %ad %an: %s", "--end-of-options"]
    if input.ref:
        args.append(input.ref)
    return repo.git.log(*args, *_pathspec(repo, input, ctx)) or "No commits."


def _show(repo: git.Repo, input: GitInput, ctx: ToolContext) -> str:
    return repo.git.show(
        "--no-ext-diff", "--stat", "--patch", "--end-of-options", input.ref or "HEAD", *_pathspec(repo, input, ctx)
    )


def _branch(repo: git.Repo, input: GitInput, ctx: ToolContext) -> str:
    if not input.create:
        if input.name:
            raise ToolError(
                "To create a branch pass create: true with name. The Git tool does not switch branches; use "
                f"Bash (git switch {input.name}) for that."
            )
        return repo.git.branch("--list", "-vv", *(["--all"] if input.all else [])) or "No branches yet."
    assert input.name is not None
    if input.name in repo.heads:
        raise ToolError(f"A branch named {input.name!r} already exists.")
    repo.git.branch("--end-of-options", input.name, input.ref or "HEAD")
    at = repo.git.rev_parse("--short", input.name)
    return f"Created branch {input.name} at {at} (still on {_current_branch(repo)})."


def _commit(repo: git.Repo, input: GitInput, ctx: ToolContext) -> str:
    if input.files:
        repo.git.add("--", *(_literal(_repo_relative(repo, f, ctx)) for f in input.files))
    if input.all:
        repo.git.add("--update")
    staged = repo.git.diff("--cached", "--name-only")
    if not staged:
        hint = "" if input.files or input.all else " Pass files, or all: true, to stage changes first."
        raise ToolError(f"Nothing to commit: no staged changes.{hint}")
    assert input.message is not None
    return repo.git.commit(f"--message={input.message.strip()}")


def _current_branch(repo: git.Repo) -> str:
    return "a detached HEAD" if repo.head.is_detached else repo.active_branch.name


_ACTIONS = {
    "status": _status,
    "diff": _diff,
    "log": _log,
    "show": _show,
    "branch": _branch,
    "commit": _commit,
}


def _explain(exc: git.GitCommandError, input: GitInput) -> str:
    stderr = _stream_text(exc.stderr) or _stream_text(exc.stdout) or str(exc)
    if input.ref and re.search(
        r"unknown revision|bad revision|not a valid object name|bad object|invalid reference",
        stderr,
    ):
        return f"Unknown ref {input.ref!r}: no commit, branch or tag by that name.\n{stderr}"
    return f"git {input.action} failed: {stderr}"


def _stream_text(wrapped: str) -> str:
    # GitPython wraps the output as "\n  stderr: '…'"; keep only what git said.
    match = re.match(r"\s*std(?:err|out): '(.*)'\s*$", wrapped or "", re.DOTALL)
    return (match.group(1) if match else wrapped or "").strip()
