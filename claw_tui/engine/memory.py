"""Memory files: the user's standing instructions (CLAUDE.md, AGENTS.md, CLAW.md) for the system prompt.

Read in order, general to specific: the user's own files, then every directory from the git
root (or the filesystem root) down to the working directory. `@path` in a file imports
another file (relative to the importing file, `~` allowed, at most 5 levels deep, each file
once), except inside code spans and fenced code blocks, where `@` is just text.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

MEMORY_NAMES = ("CLAUDE.md", "AGENTS.md", "CLAW.md", ".claude/CLAUDE.md", "CLAUDE.local.md")
MAX_FILE_CHARS = 40_000
MAX_IMPORT_DEPTH = 5

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)
_IMPORT = re.compile(r"(?:(?<=\s)|^)@((?:~|\.{1,2})?/?[^\s`@]+)", re.MULTILINE)


@dataclass
class MemoryFile:
    path: Path
    text: str
    scope: str  # "user", "project", "local" (CLAUDE.local.md) or "import"


def load_memory(cwd: Path, *, user_config_dir: Path) -> list[MemoryFile]:
    """Every memory file that applies in `cwd`, with the files they import right after them."""
    files: list[MemoryFile] = []
    seen: set[Path] = set()
    user = [user_config_dir / "CLAW.md", Path.home() / ".claude" / "CLAUDE.md"]
    for path in user:
        _load(path, "user", files, seen, depth=0)
    cwd = cwd.resolve()
    for directory in _directories(cwd):
        for name in MEMORY_NAMES:
            scope = "local" if name == "CLAUDE.local.md" else "project"
            _load(directory / name, scope, files, seen, depth=0)
    return files


def memory_prompt(files: list[MemoryFile]) -> str:
    """The memory section of the system prompt: each file headed by its path ("" when none)."""
    if not files:
        return ""
    intro = (
        "# Memory\n\nThe user's instructions from their memory files follow, most general first. "
        "Follow them; where they disagree, the later (more specific) file wins."
    )
    parts = [intro]
    for f in files:
        parts.append(f"## {f.path} ({f.scope})\n\n{f.text.strip()}")
    return "\n\n".join(parts)


def _directories(cwd: Path) -> list[Path]:
    """From the git root (or the filesystem root when there is none) down to cwd."""
    chain = [cwd, *cwd.parents]
    top = next((d for d in chain if (d / ".git").exists()), chain[-1])
    return list(reversed(chain[: chain.index(top) + 1]))


def _load(path: Path, scope: str, files: list[MemoryFile], seen: set[Path], *, depth: int) -> None:
    try:
        resolved = path.resolve()
        if resolved in seen or not resolved.is_file():
            return
        raw = resolved.read_bytes()
    except OSError:
        return
    seen.add(resolved)
    text = raw.decode("utf-8", errors="replace")
    if len(text) > MAX_FILE_CHARS:
        text = (
            text[:MAX_FILE_CHARS]
            + f"\n\n[… cut: this file has {len(text):,} characters; only the first {MAX_FILE_CHARS:,} are included]"
        )
    files.append(MemoryFile(path=resolved, text=text, scope=scope))
    if depth >= MAX_IMPORT_DEPTH:
        return
    for target in imports(text):
        candidate = Path(os.path.expanduser(target))
        if not candidate.is_absolute():
            candidate = resolved.parent / candidate
        _load(candidate, "import", files, seen, depth=depth + 1)


def imports(text: str) -> list[str]:
    """The `@path` imports of a memory file, outside code blocks and code spans."""
    found: list[str] = []
    in_fence: str | None = None
    prose: list[str] = []
    for line in text.splitlines():
        fence = _FENCE.match(line)
        if in_fence is not None:
            if fence and fence.group(1)[0] == in_fence[0] and len(fence.group(1)) >= len(in_fence):
                in_fence = None
            continue
        if fence:
            in_fence = fence.group(1)
            continue
        prose.append(line)
    body = _CODE_SPAN.sub(" ", "\n".join(prose))
    for match in _IMPORT.finditer(body):
        target = match.group(1).rstrip(".,;:!?)]}>'\"")
        if target and target not in found:
            found.append(target)
    return found
