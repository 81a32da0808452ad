"""Read, Write and Edit: the file tools, with Claude Code's names and parameters.

Write and Edit refuse a file the model has not read, or that changed since it read it, and
keep each file's encoding and line endings (see textfiles). Permission policy is not theirs:
the permission engine checks `rule_target` / `touched_paths`, which use the same resolved
path the tools then touch.
"""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, Field

from claw_tui.core.diffs import hunks
from claw_tui.core.transcript import ImageBlock, TextBlock
from claw_tui.tools import nofollow
from claw_tui.tools.base import (
    FileChange,
    FileEditTool,
    Tool,
    ToolContext,
    ToolError,
    ToolKind,
    ToolResult,
)
from claw_tui.tools.textfiles import (
    NEW_FILE_FORMAT,
    BinaryFileError,
    TextFormat,
    count_lines,
    current_text,
    decode,
    editor_text,
    encode,
    missing_file_message,
    number_lines,
    read_text,
    remember_text,
    save_change,
    shown,
)

DEFAULT_LINE_LIMIT = 2000
MAX_LINE_CHARS = 2000
MAX_UNPAGED_BYTES = 256 * 1024  # bigger files must be read with offset / limit
MAX_WHOLE_FILE_BYTES = 16 * 1024 * 1024  # above this, paged reads stream the file
MAX_EDIT_BYTES = MAX_WHOLE_FILE_BYTES  # Edit and Write load the file whole and diff it
_STREAM_CHUNK_CHARS = 64 * 1024  # a streamed file is read this much at a time, whatever its lines
MAX_READ_CHARS = 80_000  # one Read's output, cut at a whole line
MAX_IMAGE_BYTES = 3_750_000  # base64 of this is the 5 MB the model APIs accept
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024
SNIPPET_CONTEXT = 4
MAX_SNIPPET_LINES = 60

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
_BINARY_SUFFIXES = {
    ".pdf", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".jar", ".exe", ".dll", ".so", ".dylib",
    ".o", ".a", ".pyc", ".class", ".wasm", ".bin", ".sqlite", ".db", ".ico", ".bmp", ".tiff", ".mp3",
    ".mp4", ".mov", ".avi", ".wav", ".flac", ".ogg", ".woff", ".woff2", ".ttf", ".otf", ".psd", ".parquet",
}  # fmt: skip
# Read through the editor only what an editor holds as text.
_NOT_PLAIN_TEXT = _IMAGE_SUFFIXES | _BINARY_SUFFIXES | {".ipynb"}


def _image_type(data: bytes) -> str | None:
    """The media type from the file's magic bytes (an extension can lie)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class ReadInput(BaseModel):
    file_path: str = Field(description="The absolute path to the file to read")
    offset: int | None = Field(
        default=None,
        ge=0,
        description="The line number to start reading from. Only provide if the file is too large to read at once",
    )
    limit: int | None = Field(
        default=None,
        ge=1,
        description="The number of lines to read. Only provide if the file is too large to read at once.",
    )


class Read(Tool[ReadInput]):
    name: ClassVar[str] = "Read"
    description: ClassVar[str] = (
        "Reads a file from the local filesystem. You can access any file directly by using this tool. "
        "If the user gives a path to a file, assume that path is valid. It is okay to read a file that does "
        "not exist; an error will be returned.\n\n"
        "Usage:\n"
        "- The file_path parameter should be an absolute path (a relative path is taken from the working directory)\n"
        f"- By default, it reads up to {DEFAULT_LINE_LIMIT} lines starting from the beginning of the file\n"
        "- You can optionally specify a line offset and limit (especially handy for long files), but it's "
        "recommended to read the whole file by not providing these parameters; files over "
        f"{MAX_UNPAGED_BYTES // 1024} KB must be read in parts with offset and limit\n"
        f"- Any lines longer than {MAX_LINE_CHARS} characters will be truncated\n"
        "- Results are returned using cat -n format, with line numbers starting at 1: spaces, the line number, "
        "a tab, then the line's content. The prefix is not part of the file.\n"
        "- This tool can read images (PNG, JPG, GIF, WEBP); their contents are presented to you visually.\n"
        "- This tool can read Jupyter notebooks (.ipynb files) and returns all cells with their outputs, "
        "combining code, text, and visualizations.\n"
        "- This tool can only read files, not directories. To list a directory, use Glob or ls via the Bash tool.\n"
        "- Binary files other than images are refused.\n"
        "- You can call multiple tools in a single response. It is always better to speculatively read multiple "
        "potentially useful files as a batch.\n"
        "- You must Read a file before you Edit or overwrite it with Write."
    )
    Input = ReadInput
    kind: ClassVar[ToolKind] = ToolKind.READ
    concurrent_safe: ClassVar[bool] = True

    def summary(self, input: ReadInput) -> str:
        return f"Read {input.file_path}"

    def rule_target(self, input: ReadInput, ctx: ToolContext) -> str | None:
        return str(ctx.resolve(input.file_path))

    def touched_paths(self, input: ReadInput, ctx: ToolContext) -> list[Path]:
        return [ctx.resolve(input.file_path)]

    async def run(self, input: ReadInput, ctx: ToolContext) -> ToolResult:
        path = ctx.resolve(input.file_path)
        if ctx.editor_files is not None and path.is_file() and path.suffix.lower() not in _NOT_PLAIN_TEXT:
            return await self._from_editor(path, input, ctx)
        # A paged read of a huge file takes a while; keep the event loop (and the UI) free.
        return await asyncio.to_thread(self._read, path, input, ctx)

    async def _from_editor(self, path: Path, input: ReadInput, ctx: ToolContext) -> ToolResult:
        """A text file as the editor has it: an open buffer's unsaved text is what the model reads."""
        text, _ = await editor_text(path, ctx)
        remember_text(path, text, ctx)
        start, limit = max(input.offset or 1, 1), input.limit or DEFAULT_LINE_LIMIT
        lines = text.split("\n") if text else []
        if text.endswith("\n"):
            lines.pop()
        return _page_result(shown(path, ctx), lines, start, limit)

    def _read(self, path: Path, input: ReadInput, ctx: ToolContext) -> ToolResult:
        label = shown(path, ctx)
        if not path.exists():
            raise ToolError(missing_file_message(path, ctx))
        if path.is_dir():
            raise ToolError(
                f'{label} is a directory, not a file. List it with Glob (pattern "*", path "{path}") or ls via Bash.'
            )
        if not path.is_file():
            raise ToolError(f"{label} is not a regular file (a device, socket or pipe); it cannot be read.")
        suffix = path.suffix.lower()
        if suffix in _IMAGE_SUFFIXES:
            result = self._image(path, label)
        elif suffix == ".ipynb":
            result = self._notebook(path, label, input, ctx)
        elif suffix in _BINARY_SUFFIXES:
            raise ToolError(f"{label} is a binary file ({suffix}); Read shows only text, images and notebooks.")
        else:
            result = self._text(path, label, input, ctx)
        ctx.remember_read(path)
        return result

    def _image(self, path: Path, label: str) -> ToolResult:
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise ToolError(
                f"{label} is {size / 1e6:.1f} MB; images over {MAX_IMAGE_BYTES / 1e6:.2f} MB cannot be sent to the "
                "model. Make a smaller copy first (e.g. with ImageMagick's `convert -resize` via Bash) and read that."
            )
        data = nofollow.read_bytes(path)
        media_type = _image_type(data)
        if media_type is None:
            raise ToolError(f"{label} is not a PNG, JPEG, GIF or WEBP image (its content does not match).")
        return ToolResult(
            content=[
                TextBlock(text=f"Image {label} ({media_type}, {size / 1024:.1f} KB):"),
                ImageBlock(media_type=media_type, data=base64.b64encode(data).decode("ascii")),
            ]
        )

    def _notebook(self, path: Path, label: str, input: ReadInput, ctx: ToolContext) -> ToolResult:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:  # the size only: the content comes through nofollow
            raise ToolError(f"{label} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB; search it with Grep instead.")
        from claw_tui.tools.notebook import parse_notebook, render_notebook  # NotebookEdit's module: for notebooks only

        text, _ = read_text(path, ctx)
        try:
            blocks = render_notebook(parse_notebook(text))
        except ValueError as exc:  # a broken notebook is still worth seeing as text
            result = self._text(path, label, input, ctx)
            result.content.insert(0, TextBlock(text=f"{label} is {exc}; showing it as text."))
            return result
        return ToolResult(content=blocks)

    def _text(self, path: Path, label: str, input: ReadInput, ctx: ToolContext) -> ToolResult:
        size = path.stat().st_size
        paged = input.offset is not None or input.limit is not None
        if size > MAX_UNPAGED_BYTES and not paged:
            raise ToolError(
                f"{label} is {size / 1024:.0f} KB, more than the {MAX_UNPAGED_BYTES // 1024} KB Read returns at once. "
                f"Read it in parts with offset and limit (e.g. offset=1, limit={DEFAULT_LINE_LIMIT}), "
                "or use Grep to find the part you need."
            )
        start = max(input.offset or 1, 1)  # 1-based; offset 0 means the start too
        limit = input.limit or DEFAULT_LINE_LIMIT
        try:
            if size <= MAX_WHOLE_FILE_BYTES:
                text, _ = decode(nofollow.read_bytes(path))
                lines = text.split("\n") if text else []
                if text.endswith("\n"):
                    lines.pop()
                return _page_result(label, lines, start, limit)
            chosen, total = _stream_lines(path, start, limit)
        except BinaryFileError as exc:
            raise ToolError(f"{label} is a binary file ({exc}); Read shows only text, images and notebooks.") from None
        return _chosen_result(label, chosen, start, total)


def _page_result(label: str, lines: list[str], start: int, limit: int) -> ToolResult:
    """Lines [start, start+limit) of a file held whole, numbered."""
    chosen = [_cut_line(line, len(line)) for line in lines[start - 1 : start - 1 + limit]]
    return _chosen_result(label, chosen, start, len(lines))


def _chosen_result(label: str, chosen: list[str], start: int, total: int | None) -> ToolResult:
    if total == 0:
        return ToolResult.text(f"(The file {label} exists but is empty.)")
    if not chosen:
        length = f", which has {total} lines" if total is not None else ""
        return ToolResult.text(f"(offset {start} is past the end of {label}{length}.)")
    return ToolResult.text(_numbered(chosen, start, total))


def _stream_lines(path: Path, start: int, limit: int) -> tuple[list[str], int | None]:
    """Lines [start, start+limit) of a file too big to load whole, each already cut to
    MAX_LINE_CHARS; the total is unknown. Memory stays bounded even for a file of one huge line."""
    with nofollow.open_file(path) as f:
        _, fmt = decode(f.read(64 * 1024), partial=True)
        f.seek(len(fmt.bom))
        stream = io.TextIOWrapper(f, encoding=fmt.codec, errors="replace", newline="\n")
        lines = itertools.islice(_bounded_lines(stream), start - 1, start - 1 + limit)
        chosen = [_cut_line(head, length) for head, length in lines]
        more = stream.read(1) != ""
    return chosen, None if more or not chosen else start - 1 + len(chosen)


def _bounded_lines(stream: io.TextIOWrapper) -> Iterator[tuple[str, int]]:
    """Each line's first MAX_LINE_CHARS characters and its full length, without its line ending."""
    while piece := stream.readline(_STREAM_CHUNK_CHARS):
        head, length, ending = piece[:MAX_LINE_CHARS], len(piece), piece[-2:]
        while not piece.endswith("\n"):
            piece = stream.readline(_STREAM_CHUNK_CHARS)
            if not piece:
                break
            length += len(piece)
            ending = (ending + piece)[-2:]
            head += piece[: MAX_LINE_CHARS - len(head)]
        cut = 2 if ending == "\r\n" else 1 if ending.endswith("\n") else 0
        yield head[: length - cut], length - cut


def _cut_line(line: str, length: int) -> str:
    """A line of `length` characters (of which `line` holds at least the first MAX_LINE_CHARS), cut."""
    if length <= MAX_LINE_CHARS:
        return line
    return line[:MAX_LINE_CHARS] + f"… [line cut: {length - MAX_LINE_CHARS} more characters]"


def _numbered(lines: list[str], start: int, total: int | None) -> str:
    out: list[str] = []
    used = 0
    for n, line in enumerate(lines, start=start):
        row = f"{n:>6}\t{line}"
        if used + len(row) > MAX_READ_CHARS and out:
            return "\n".join(out) + (
                f"\n… [output cut at line {n - 1} to stay under {MAX_READ_CHARS} characters; continue with offset={n}]"
            )
        out.append(row)
        used += len(row) + 1
    last = start + len(lines) - 1
    if total is None:
        out.append(f"… [more lines may follow; continue with offset={last + 1}]")
    elif last < total:
        out.append(f"… [{total - last} more lines; continue with offset={last + 1}]")
    return "\n".join(out)


class WriteInput(BaseModel):
    file_path: str = Field(description="The absolute path to the file to write (must be absolute, not relative)")
    content: str = Field(description="The content to write to the file")


class Write(FileEditTool[WriteInput]):
    name: ClassVar[str] = "Write"
    description: ClassVar[str] = (
        "Writes a file to the local filesystem.\n\n"
        "Usage:\n"
        "- This tool will overwrite the existing file if there is one at the provided path.\n"
        "- If this is an existing file, you MUST use the Read tool first to read the file's contents. This tool "
        "will fail if you did not read the file first, or if it changed since you read it.\n"
        "- Missing parent directories are created.\n"
        "- An existing file keeps its encoding and line endings (a CRLF file stays CRLF).\n"
        "- ALWAYS prefer editing existing files with Edit. NEVER write new files unless explicitly required.\n"
        "- NEVER proactively create documentation files (*.md) or README files. Only create documentation files "
        "if explicitly requested by the user.\n"
        "- Only use emojis if the user explicitly requests it. Avoid writing emojis to files unless asked."
    )
    Input = WriteInput

    def summary(self, input: WriteInput) -> str:
        return f"Write {input.file_path}"

    def rule_target(self, input: WriteInput, ctx: ToolContext) -> str | None:
        return str(ctx.resolve(input.file_path))

    def touched_paths(self, input: WriteInput, ctx: ToolContext) -> list[Path]:
        return [ctx.resolve(input.file_path)]

    async def propose(self, input: WriteInput, ctx: ToolContext) -> list[FileChange]:
        path = ctx.resolve(input.file_path)
        before, fmt = await _existing_text(path, ctx)
        encode(path, input.content, fmt, ctx)
        return [FileChange(path=path, before=before, after=input.content)]

    async def apply(self, changes: list[FileChange], ctx: ToolContext) -> ToolResult:
        lines = []
        for change in changes:
            created = await save_change(change, ctx)
            verb = "Created" if created else "Updated"
            lines.append(f"{verb} {shown(change.path, ctx)} ({count_lines(change.after)} lines).")
        return ToolResult.text("\n".join(lines))


async def _existing_text(path: Path, ctx: ToolContext) -> tuple[str | None, TextFormat]:
    """The current text of a file about to be changed (None if new); refuses unread or stale files."""
    if not path.exists():
        return None, NEW_FILE_FORMAT
    if not path.is_file():
        raise ToolError(f"{shown(path, ctx)} is a directory or special file, not a regular file.")
    size = path.stat().st_size
    if size > MAX_EDIT_BYTES:
        raise ToolError(
            f"{shown(path, ctx)} is {size / 2**20:.0f} MB; Edit and Write change files of up to "
            f"{MAX_EDIT_BYTES // 2**20} MB, which they hold whole in memory and show as a diff. Change a file this "
            "big with a streaming command via Bash (e.g. `sed -i`), after finding the place with Grep."
        )
    return await current_text(path, ctx)


class EditInput(BaseModel):
    file_path: str = Field(description="The absolute path to the file to modify")
    old_string: str = Field(description="The text to replace")
    new_string: str = Field(description="The text to replace it with (must be different from old_string)")
    replace_all: bool = Field(default=False, description="Replace all occurrences of old_string (default false)")


class Edit(FileEditTool[EditInput]):
    name: ClassVar[str] = "Edit"
    description: ClassVar[str] = (
        "Performs exact string replacements in files.\n\n"
        "Usage:\n"
        "- You must use your `Read` tool at least once in the conversation before editing. This tool will error "
        "if you attempt an edit without reading the file, or if the file changed since you read it.\n"
        "- When editing text from Read tool output, ensure you preserve the exact indentation (tabs/spaces) as it "
        "appears AFTER the line number prefix. The line number prefix format is: spaces + line number + tab. "
        "Everything after that tab is the actual file content to match. Never include any part of the line "
        "number prefix in the old_string or new_string.\n"
        "- ALWAYS prefer editing existing files in the codebase. NEVER write new files unless explicitly required.\n"
        "- Only use emojis if the user explicitly requests it. Avoid adding emojis to files unless asked.\n"
        "- The edit will FAIL if `old_string` is not unique in the file. Either provide a larger string with more "
        "surrounding context to make it unique or use `replace_all` to change every instance of `old_string`.\n"
        "- Use `replace_all` for replacing and renaming strings across the file. This parameter is useful if you "
        "want to rename a variable for instance.\n"
        "- Line endings and encoding are kept: write old_string and new_string with plain \\n newlines.\n"
        "- With an empty old_string on a path that does not exist, the file is created with new_string."
    )
    Input = EditInput

    def summary(self, input: EditInput) -> str:
        return f"Edit {input.file_path}"

    def rule_target(self, input: EditInput, ctx: ToolContext) -> str | None:
        return str(ctx.resolve(input.file_path))

    def touched_paths(self, input: EditInput, ctx: ToolContext) -> list[Path]:
        return [ctx.resolve(input.file_path)]

    async def propose(self, input: EditInput, ctx: ToolContext) -> list[FileChange]:
        path = ctx.resolve(input.file_path)
        label = shown(path, ctx)
        old = input.old_string.replace("\r\n", "\n")
        new = input.new_string.replace("\r\n", "\n")
        if old == new:
            raise ToolError("No changes to make: old_string and new_string are exactly the same.")
        if path.suffix == ".ipynb":
            raise ToolError(f"{label} is a Jupyter notebook. Use NotebookEdit to edit its cells.")
        if not path.exists() and old:
            raise ToolError(missing_file_message(path, ctx) + " To create a file, use Write.")
        text, fmt = await _existing_text(path, ctx)
        if text is None:
            after = new
        elif not old:
            if text.strip():
                raise ToolError(
                    f"Cannot create {label}: it already exists and is not empty. Give old_string to change part of "
                    "it, or use Write to replace it whole."
                )
            after = new
        else:
            count = text.count(old)
            if count == 0:
                raise ToolError(_not_found(text, old, label))
            if count > 1 and not input.replace_all:
                raise ToolError(
                    f"Found {count} matches of old_string in {label}, but replace_all is false. To replace every "
                    "one, set replace_all to true. To replace only one, add more surrounding context to "
                    "old_string so it matches exactly once."
                )
            after = text.replace(old, new) if input.replace_all else text.replace(old, new, 1)
        encode(path, after, fmt, ctx)
        return [FileChange(path=path, before=text, after=after)]

    async def apply(self, changes: list[FileChange], ctx: ToolContext) -> ToolResult:
        parts = []
        for change in changes:
            label = shown(change.path, ctx)
            if change.before == change.after:
                parts.append(f"{label} was left unchanged (no part of the edit was accepted).")
                continue
            created = await save_change(change, ctx)
            if created:
                parts.append(f"Created {label} ({count_lines(change.after)} lines).")
            else:
                parts.append(
                    f"The file {label} has been updated. The edited region, numbered as `cat -n` would:\n"
                    + _snippet(change.before or "", change.after)
                )
        return ToolResult.text("\n".join(parts))


_LINE_NUMBER_PREFIX = re.compile(r"^\s*\d+\t", re.MULTILINE)


def _not_found(text: str, old: str, label: str) -> str:
    message = f"String to replace not found in {label}."
    old_lines = [line for line in old.split("\n") if line.strip()]
    if old_lines and all(_LINE_NUMBER_PREFIX.match(line) for line in old_lines):
        return message + (
            " old_string seems to include the line-number prefixes from Read's output (spaces, number, tab); "
            "give only the text after the tab."
        )
    if _squeezed(old) and _squeezed(old) in _squeezed(text):
        return message + (
            " It matches only when whitespace is ignored: copy the indentation (tabs or spaces) and any trailing "
            "spaces exactly as the file has them."
        )
    return message + " Read the file again to see its current content, and copy old_string exactly."


def _squeezed(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


def _snippet(before: str, after: str) -> str:
    """The changed lines of `after` with a few lines of context, numbered."""
    changes = hunks(before, after)
    lines = after.split("\n")
    if after.endswith("\n"):
        lines.pop()
    if not changes:
        return "(no line changed)"
    first = max(changes[0].b_start - SNIPPET_CONTEXT, 0)
    last = min(max(changes[-1].b_end, changes[-1].b_start + 1) + SNIPPET_CONTEXT, len(lines))
    shown_lines = lines[first:last]
    if len(shown_lines) > MAX_SNIPPET_LINES:
        return number_lines(shown_lines[:MAX_SNIPPET_LINES], first + 1) + (
            f"\n… [{len(shown_lines) - MAX_SNIPPET_LINES} more lines of the edited region; Read the file to see them]"
        )
    return number_lines(shown_lines, first + 1)
