"""The system prompt: who claw is, the environment, and the user's memory files."""

from __future__ import annotations

import datetime
import platform
from pathlib import Path

BASE = """You are claw, a coding agent working in the user's terminal, in their repository.
You read, search, edit and run code through tools; every write and command may need the
user's approval, and the user sees each diff before it lands.

How to work:
- Understand before changing: read the relevant files and search the code first.
- Make the smallest change that does the job well, in the style of the surrounding code.
- Use Edit for changes to existing files (Read them first), Write only for new files or
  full rewrites. Never guess file contents.
- Run the project's tests or build after changing code when you can.
- For multi-step work, keep a task list with TaskCreate / TaskUpdate so the user sees progress.
- If a tool call is denied, do not retry the same call: adjust, or ask the user.
- Be concise. Refer to code as path:line. Do not invent facts about the code.
"""


def environment(cwd: Path, roots: list[Path], model: str, *, git_repo: bool) -> str:
    lines = [
        "<env>",
        f"Working directory: {cwd}",
        f"Workspace roots: {', '.join(str(r) for r in roots)}",
        f"Is a git repository: {'yes' if git_repo else 'no'}",
        f"Platform: {platform.system().lower()}",
        f"Today's date: {datetime.date.today().isoformat()}",
        f"Model: {model}",
        "</env>",
    ]
    return "\n".join(lines)


def build(
    cwd: Path,
    roots: list[Path],
    model: str,
    *,
    memory: str = "",
    extra: str = "",
    base: str = BASE,
) -> str:
    """`base` (claw's instructions, or a front end's replacement such as --system-prompt), the
    environment, the memory files, then `extra` (--append-system-prompt)."""
    git_repo = any((p / ".git").exists() for p in [cwd, *cwd.parents])
    parts = [part for part in (base, environment(cwd, roots, model, git_repo=git_repo)) if part]
    if memory:
        parts.append(memory)
    if extra:
        parts.append(extra)
    return "\n\n".join(parts)
