"""Protected paths: files whose contents later run code or decide what claw may do.

Version-control internals (a hook, `core.fsmonitor` in `.git/config`), agent configuration
(`.claw/`, `.claude/`, `.mcp.json`, claw's and Claude Code's user config) and the user's shell
start-up files all turn a write now into code that runs later, outside any sandbox. The model
never writes them without the user approving that write: the permission engine asks for every
write it can see (`is_protected`), and the sandbox mounts them read-only, including the ones that
do not exist yet, so a command cannot create them either (`sandbox_targets`).

Names are compared case-insensitively: on a case-insensitive filesystem `.Claude/settings.json`
is `.claude/settings.json`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

AGENT_DIRS = (".claw", ".claude")  # in a workspace, at any depth
AGENT_FILES = (".mcp.json",)
GIT_DIR = ".git"
# Inside a git directory: what git runs or obeys (hooks, config and its redirects, info/attributes).
GIT_INTERNALS_DIRS = ("hooks", "info")
GIT_INTERNALS_FILES = ("config", "config.worktree", "commondir")
# In the home directory: shell start-up files, git's and Claude Code's user configuration.
HOME_FILES = (
    ".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile", ".zshrc", ".zshenv", ".zprofile",
    ".zlogin", ".zlogout", ".kshrc", ".cshrc", ".tcshrc", ".config/fish/config.fish", ".gitconfig",
    ".config/git/config", ".claude.json",
)
HOME_DIRS = (".claude", ".config/fish/conf.d")
_SCAN_DEPTH = 3  # nested repositories and agent folders are looked for this deep
_SCAN_ENTRIES = 20_000  # and no further than this many directory entries
_SKIP = {"node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache", "target", "dist",
         "build"}
AddTarget = Callable[[Path, bool], None]  # a protected path, and whether it is a directory


def user_config_dirs() -> list[Path]:
    """claw's own user configuration directory."""
    from claw_tui.config import user_config_dir

    return [user_config_dir()]


def _folded(parts: Iterable[str]) -> list[str]:
    return [p.casefold() for p in parts]


def is_protected(path: Path, roots: Iterable[Path]) -> bool:
    """Whether a write to `path` (resolved) writes a protected path: `.git` internals, agent
    configuration anywhere in a workspace root, or the user's own configuration and shell start-up."""
    for root in roots:
        if path == root or not path.is_relative_to(root):
            continue
        parts = _folded(path.relative_to(root).parts)
        if any(p in (GIT_DIR, *AGENT_DIRS) for p in parts[:-1]) or parts[-1] in (GIT_DIR, *AGENT_DIRS, *AGENT_FILES):
            return True
    home = Path.home().resolve()
    for rel in (*HOME_FILES, *HOME_DIRS):
        place = home / rel
        if _same_or_under(path, place):
            return True
    return any(_same_or_under(path, d.resolve()) for d in user_config_dirs())


def _same_or_under(path: Path, place: Path) -> bool:
    folded, target = _folded(path.parts), _folded(place.parts)
    return folded[: len(target)] == target


@dataclass(frozen=True)
class Target:
    """One protected path for the sandbox: made read-only, or blocked from being created."""

    path: Path  # with its parent's symlinks resolved
    is_dir: bool  # what stands in for it when it does not exist yet

    @property
    def exists(self) -> bool:
        return os.path.lexists(self.path)


def sandbox_targets(roots: Iterable[Path]) -> list[Target]:
    """The protected paths a sandboxed command could otherwise write: those inside the workspace
    roots (everything else is read-only already), existing or not. Parents come before children."""
    roots = [r.resolve() for r in roots]
    found: dict[Path, Target] = {}

    def add(path: Path, is_dir: bool) -> None:
        real = _real(path)
        if real is None or not any(real == r or real.is_relative_to(r) for r in roots) or real in roots:
            return
        if any(real.is_relative_to(t.path) and real != t.path for t in found.values() if t.is_dir and t.exists):
            return  # inside a directory already read-only
        found.setdefault(real, Target(real, is_dir))

    home = Path.home()
    for root in roots:
        for name in AGENT_DIRS:
            add(root / name, True)
        for name in AGENT_FILES:
            add(root / name, False)
        _git_targets(root / GIT_DIR, add)
        for nested in _scan(root):
            if nested.name == GIT_DIR:
                _git_targets(nested, add)
            else:
                add(nested, nested.name in AGENT_DIRS)
    for rel in HOME_FILES:
        add(home / rel, False)
    for rel in HOME_DIRS:
        add(home / rel, True)
    for directory in user_config_dirs():
        add(directory, True)
    return sorted(found.values(), key=lambda t: len(t.path.parts))


def _real(path: Path) -> Path | None:
    """`path` with every existing symlink resolved (the place a write through it would land)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def _git_targets(dot_git: Path, add: AddTarget) -> None:
    """A `.git` directory's hooks, config and info; for a `.git` file (a linked worktree or a
    submodule checkout) the file itself and the same inside the git directories it names."""
    if dot_git.is_file() or dot_git.is_symlink() and not dot_git.is_dir():
        add(dot_git, False)
        for git_dir in _pointed_git_dirs(dot_git):
            _git_dir_internals(git_dir, add)
        return
    if not dot_git.exists():
        add(dot_git, True)  # `git init` here would create hooks and config: the folder stays as it is
        return
    _git_dir_internals(dot_git, add)
    modules = dot_git / "modules"
    if modules.is_dir():
        for nested in _scan(modules, names=("hooks",), depth=4):
            _git_dir_internals(nested.parent, add)


def _git_dir_internals(git_dir: Path, add: AddTarget) -> None:
    for name in GIT_INTERNALS_DIRS:
        add(git_dir / name, True)
    for name in GIT_INTERNALS_FILES:
        if name == "config" or (git_dir / name).exists():
            add(git_dir / name, False)
    hooks_path = _hooks_path(git_dir)
    if hooks_path is not None:
        add(hooks_path, True)
    common = git_dir / "commondir"
    if common.is_file():
        try:
            target = (git_dir / common.read_text(encoding="utf-8", errors="replace").strip()).resolve()
        except OSError:
            return
        if target != git_dir.resolve():
            _git_dir_internals(target, add)


def _pointed_git_dirs(dot_git_file: Path) -> list[Path]:
    try:
        text = dot_git_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    if not text.startswith("gitdir:"):
        return []
    return [(dot_git_file.parent / text[len("gitdir:") :].strip()).resolve()]


def _hooks_path(git_dir: Path) -> Path | None:
    """`core.hooksPath` from the repository's own config, when it names one (relative to the worktree)."""
    config = git_dir / "config"
    try:
        text = config.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if "hookspath" not in text.casefold():
        return None
    import subprocess

    try:
        got = subprocess.run(["git", "config", "--file", str(config), "--get", "core.hooksPath"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = got.stdout.strip()
    if not value:
        return None
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else git_dir.parent / path


def _scan(top: Path, names: tuple[str, ...] = (GIT_DIR, *AGENT_DIRS, *AGENT_FILES), depth: int = _SCAN_DEPTH
          ) -> Iterator[Path]:
    """Entries called one of `names` below `top` (not `top`'s own), at most `depth` levels down."""
    seen = 0
    stack = [(top, 0)]
    folded = _folded(names)
    while stack:
        directory, level = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > _SCAN_ENTRIES:
                return
            if level > 0 and entry.name.casefold() in folded:
                yield Path(entry.path)
                continue
            if level == 0 and entry.name.casefold() in folded:
                continue  # the root's own: the caller handles those
            if level < depth and entry.name not in _SKIP and entry.is_dir(follow_symlinks=False):
                stack.append((Path(entry.path), level + 1))
