"""Memory files: the user's standing instructions (CLAUDE.md, AGENTS.md, CLAW.md) for the system prompt.

Read in order, general to specific: the user's own files, then every directory from the git
root (or the filesystem root) down to the working directory. `@path` in a file imports
another file (relative to the importing file, `~` allowed, at most 5 levels deep, each file
once), except inside code spans and fenced code blocks, where `@` is just text.

Rules, as in Claude Code: every Markdown file under `~/.claude/rules/` and a project's
`.claude/rules/` (subfolders included) is memory too. A rule whose front matter has `paths`
(globs relative to the project) applies only to matching files: like a CLAUDE.md in a
subdirectory below the working directory, it is loaded the first time the model works on a file
there (`NestedMemory`), and reaches the model with that tool call's result.
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
    scope: str  # "user", "project", "local" (CLAUDE.local.md), "rule", "import" or "directory"


@dataclass(frozen=True)
class PathRule:
    """A rule that applies only to files matching its `paths` globs (relative to `base`)."""

    path: Path
    base: Path
    globs: tuple[str, ...]


def load_memory(cwd: Path, *, user_config_dir: Path) -> list[MemoryFile]:
    """Every memory file that applies in `cwd`, with the files they import right after them."""
    return scan_memory(cwd, user_config_dir=user_config_dir)[0]


def scan_memory(cwd: Path, *, user_config_dir: Path) -> tuple[list[MemoryFile], list[PathRule], list[str]]:
    """The memory files that apply in `cwd`, the rules that wait for a matching file, and the
    rule files that could not be read."""
    files: list[MemoryFile] = []
    seen: set[Path] = set()
    rules: list[PathRule] = []
    problems: list[str] = []
    user = [user_config_dir / "CLAW.md", Path.home() / ".claude" / "CLAUDE.md"]
    for path in user:
        _load(path, "user", files, seen, depth=0)
    _load_rules(Path.home() / ".claude" / "rules", cwd.resolve(), files, seen, rules, problems)
    cwd = cwd.resolve()
    for directory in _directories(cwd):
        for name in MEMORY_NAMES:
            scope = "local" if name == "CLAUDE.local.md" else "project"
            _load(directory / name, scope, files, seen, depth=0)
        _load_rules(directory / ".claude" / "rules", directory, files, seen, rules, problems)
    return files, rules, problems


def _load_rules(
    root: Path, base: Path, files: list[MemoryFile], seen: set[Path], rules: list[PathRule], problems: list[str]
) -> None:
    """Rules without `paths` join the memory now; the others wait in `rules`."""
    if not root.is_dir():
        return
    from claw_tui.engine.frontmatter import FrontmatterError, as_list, split_frontmatter

    for path in sorted(p for p in root.rglob("*.md") if p.is_file()):
        try:
            header, _ = split_frontmatter(path.read_text(encoding="utf-8", errors="replace"))
            globs = as_list(_header_paths(header)) if header else []
        except (OSError, FrontmatterError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        if globs:
            rules.append(PathRule(path.resolve(), base, tuple(globs)))
        else:
            _load(path, "rule", files, seen, depth=0)


def _header_paths(header: str) -> object:
    from claw_tui.engine.frontmatter import load_header

    return load_header(header).get("paths")


class NestedMemory:
    """Memory that applies below the working directory: CLAUDE.md (and AGENTS.md, CLAW.md) files of
    subdirectories and path-scoped rules, each given to the model once, with the first tool call
    that touches a file they cover."""

    def __init__(self, cwd: Path, loaded: set[Path], rules: list[PathRule]) -> None:
        self.cwd = cwd.resolve()
        self.initial = frozenset(loaded)
        self.loaded = set(loaded)
        self.rules = list(rules)

    @classmethod
    def from_files(cls, cwd: Path, files: list[MemoryFile], rules: list[PathRule]) -> NestedMemory:
        return cls(cwd, {f.path for f in files}, rules)

    def fork(self) -> NestedMemory:
        """The same memory for a subagent, which has its own context: nothing nested loaded yet."""
        return NestedMemory(self.cwd, set(self.initial), self.rules)

    def for_paths(self, paths: list[Path]) -> list[MemoryFile]:
        found: list[MemoryFile] = []
        for path in paths:
            for directory in self._below_cwd(path):
                for name in MEMORY_NAMES:
                    _load(directory / name, "directory", found, self.loaded, depth=0)
            for rule in self.rules:
                if rule.path not in self.loaded and _rule_applies(rule, path):
                    _load(rule.path, "rule", found, self.loaded, depth=0)
        return found

    def _below_cwd(self, path: Path) -> list[Path]:
        """The directories from just below the working directory down to the one holding `path`."""
        directory = path if path.is_dir() else path.parent
        if directory == self.cwd or not directory.is_relative_to(self.cwd):
            return []
        chain = [directory, *directory.parents]
        return list(reversed(chain[: chain.index(self.cwd)]))


def _rule_applies(rule: PathRule, path: Path) -> bool:
    if not path.is_relative_to(rule.base):
        return False
    from claw_tui.tools.search import glob_regex

    rel = path.relative_to(rule.base).as_posix()
    for pattern in rule.globs:
        try:
            if glob_regex(pattern.removeprefix("./")).fullmatch(rel):
                return True
        except re.error:
            continue
    return False


def nested_memory_text(files: list[MemoryFile]) -> str:
    """What the model reads with the tool result that brought these files in."""
    parts = [
        f"Contents of {f.path} ({'a rule for these files' if f.scope == 'rule' else 'instructions for this directory'}):"
        f"\n\n{f.text.strip()}"
        for f in files
    ]
    return "<system-reminder>\n" + "\n\n".join(parts) + "\n</system-reminder>" if parts else ""


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
    if scope == "rule" and text.startswith("---"):
        from claw_tui.engine.frontmatter import FrontmatterError, split_frontmatter

        try:
            text = split_frontmatter(text)[1]
        except FrontmatterError:
            pass  # an unclosed header: the file as it is
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
