"""Text files as the file tools see them: decoded, LF-normalised, and written back as found.

The model reads and edits LF text. A file's encoding (BOM included) and line-ending style are
detected from its bytes each time, so a CRLF file stays CRLF and a UTF-8 BOM stays, whatever
the model sends. Shared by Read, Write, Edit and NotebookEdit.
"""

from __future__ import annotations

import codecs
import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from claw_tui.core.diffs import FileChange
from claw_tui.tools import nofollow
from claw_tui.tools.base import FileState, ToolContext, ToolError
from claw_tui.tools.editor_files import digest

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SNIFF_BYTES = 8192
# Control bytes that plain text does not contain (tab, newlines, form feed, escape are fine).
_BINARY_BYTES = bytes(set(range(32)) - set(b"\t\n\r\f\v\b\x1b") | {0x7F})


@dataclass(frozen=True)
class TextFormat:
    """How a file's text is stored: codec for the body, byte-order mark, line endings."""

    codec: str = "utf-8"
    bom: bytes = b""
    newline: str = "\n"


NEW_FILE_FORMAT = TextFormat()


class BinaryFileError(ToolError):
    """The bytes are not text in any encoding claw recognises."""


def decode(data: bytes, *, partial: bool = False) -> tuple[str, TextFormat]:
    """The text with LF line endings, and the format to write it back in.

    `partial` means `data` is only the head of a longer file (it may end mid-character).
    Raises BinaryFileError for NUL bytes or mostly-control bytes.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            decoder = codecs.getincrementaldecoder(codec)(errors="replace" if partial else "strict")
            try:
                return _normalised(decoder.decode(data[len(bom) :], final=not partial), codec, bom)
            except UnicodeDecodeError:
                raise BinaryFileError(f"it starts with a {codec} byte-order mark but is not {codec} text") from None
    sample = data[:_SNIFF_BYTES]
    if b"\x00" in sample:
        raise BinaryFileError("it contains NUL bytes")
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(data, final=not partial)
        return _normalised(text, "utf-8", b"")
    except UnicodeDecodeError:
        pass
    if sample and len(sample.translate(None, _BINARY_BYTES)) < 0.9 * len(sample):
        raise BinaryFileError("it is mostly non-text bytes")
    # Not UTF-8: a legacy 8-bit encoding. cp1252 shows Windows text right; latin-1 decodes anything.
    for codec in ("cp1252", "latin-1"):
        try:
            return _normalised(data.decode(codec), codec, b"")
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _normalised(text: str, codec: str, bom: bytes) -> tuple[str, TextFormat]:
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    newline = "\r\n" if crlf > lf else "\n"
    if crlf:
        text = text.replace("\r\n", "\n")
    return text, TextFormat(codec=codec, bom=bom, newline=newline)


def encode(path: Path, text: str, fmt: TextFormat, ctx: ToolContext) -> bytes:
    """`text` in the file's format; ToolError when the file's encoding cannot hold it."""
    if fmt.newline == "\r\n":
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    try:
        return fmt.bom + text.encode(fmt.codec)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise ToolError(
            f"{shown(path, ctx)} is stored as {fmt.codec}, which cannot hold {bad!r}. "
            "Use only characters that encoding has, or convert the file to UTF-8 first (e.g. with iconv)."
        ) from None


def read_text(path: Path, ctx: ToolContext) -> tuple[str, TextFormat]:
    """A whole existing file as LF text; ToolError for a binary file."""
    try:
        return decode(nofollow.read_bytes(path))
    except BinaryFileError as exc:
        raise ToolError(f"{shown(path, ctx)} is a binary file ({exc}); only text files can be edited.") from None


def shown(path: Path, ctx: ToolContext) -> str:
    """A path as the model and the user should see it: relative when under the working directory."""
    cwd = ctx.cwd.resolve()
    return os.path.relpath(path, cwd) if path.is_relative_to(cwd) else str(path)


def require_fresh(path: Path, ctx: ToolContext) -> None:
    """Refuse to change a file the model has not read, or that changed since it read it."""
    state = ctx.read_files.get(path)
    if state is None:
        raise ToolError(f"{shown(path, ctx)} has not been read yet. Read it first before writing to it.")
    st = path.stat()
    if (st.st_mtime_ns, st.st_size) != (state.mtime_ns, state.size):
        raise ToolError(
            f"File has been modified since read: {shown(path, ctx)} changed (by the user, a formatter or "
            "another program) after you last read it. Read it again before editing it."
        )


def missing_file_message(path: Path, ctx: ToolContext) -> str:
    """Say a file does not exist, with near-miss names from its directory when there are any."""
    message = f"File does not exist: {shown(path, ctx)}."
    parent = path.parent
    if not parent.is_dir():
        return message + f" Its directory {shown(parent, ctx)} does not exist either. Working directory: {ctx.cwd}"
    try:
        names = [entry.name for _, entry in zip(range(2000), os.scandir(parent))]
    except OSError:
        return message
    stem_matches = [n for n in names if Path(n).stem == path.stem and n != path.name]
    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.6)
    similar = list(dict.fromkeys(stem_matches + close))[:3]
    if similar:
        message += " Did you mean: " + ", ".join(shown(parent / n, ctx) for n in similar) + "?"
    return message + f" Working directory: {ctx.cwd}"


def write_change(change: FileChange, ctx: ToolContext) -> bool:
    """Write exactly `change.after` in the file's own format; True when the file was created.

    Refuses (losing nothing) when the file changed between the proposal and now, e.g. while
    the user was looking at the diff.
    """
    path = change.path
    label = shown(path, ctx)
    try:
        old_bytes: bytes | None = nofollow.read_bytes(path)
    except FileNotFoundError:
        old_bytes = None
    if old_bytes is None:
        if change.before is not None:
            raise ToolError(f"{label} was deleted after the change was proposed; nothing was written.")
        fmt = NEW_FILE_FORMAT
    else:
        if change.before is None:
            raise ToolError(
                f"{label} was created by someone else after the change was proposed; Read it, then try again."
            )
        current, fmt = read_text(path, ctx)
        if current != change.before:
            raise ToolError(f"{label} changed after the change was proposed; nothing was written. Read it again.")
    data = encode(path, change.after, fmt, ctx)
    if ctx.before_write is not None:
        ctx.before_write(path, old_bytes)
    try:
        # In place, so the file keeps its inode, mode, owner and hard links; no link followed on the way.
        with nofollow.open_file(path, "wb" if old_bytes is not None else "xb") as f:
            f.write(data)
            f.flush()
            st = os.fstat(f.fileno())
    except FileExistsError:
        raise ToolError(f"{label} was created by someone else meanwhile; nothing was written. Read it, then try again.") from None
    except OSError as exc:
        raise ToolError(f"Could not write {label}: {exc.strerror or exc}") from None
    ctx.remember_read(path, st)
    return old_bytes is None


def count_lines(text: str) -> int:
    return text.count("\n") + (0 if not text or text.endswith("\n") else 1)


def number_lines(lines: list[str], first: int) -> str:
    """`cat -n` style: the line number right-aligned in six columns, a tab, the line."""
    return "\n".join(f"{n:>6}\t{line}" for n, line in enumerate(lines, start=first))


# --- through the editor (ToolContext.editor_files) ---------------------------------------------


async def editor_text(path: Path, ctx: ToolContext) -> tuple[str, TextFormat]:
    """An existing file's text as the editor has it, LF-normalised, with the line endings to write back."""
    assert ctx.editor_files is not None
    try:
        text = await ctx.editor_files.read_text(path)
    except Exception as exc:  # noqa: BLE001 - whatever the editor answered, the model gets a message to act on
        raise ToolError(f"Could not read {shown(path, ctx)} from the editor: {exc}") from None
    return _normalised(text, "utf-8", b"")


def remember_text(path: Path, text: str, ctx: ToolContext) -> None:
    """Note what the model saw of a file read through the editor (a buffer may differ from the disk)."""
    try:
        st = path.stat()
        ctx.read_files[path] = FileState(st.st_mtime_ns, st.st_size, digest(text))
    except OSError:
        ctx.read_files[path] = FileState(0, 0, digest(text))


async def current_text(path: Path, ctx: ToolContext) -> tuple[str, TextFormat]:
    """The text of an existing file about to be changed; refuses a file not read or changed since."""
    if ctx.editor_files is None:
        require_fresh(path, ctx)
        return read_text(path, ctx)
    text, fmt = await editor_text(path, ctx)
    state = ctx.read_files.get(path)
    if state is None:
        raise ToolError(f"{shown(path, ctx)} has not been read yet. Read it first before writing to it.")
    if state.digest != digest(text):
        raise ToolError(
            f"File has been modified since read: {shown(path, ctx)} changed in the editor (or on disk) after you "
            "last read it. Read it again before editing it."
        )
    return text, fmt


async def save_change(change: FileChange, ctx: ToolContext) -> bool:
    """`write_change`, through the editor when there is one; True when the file was created."""
    if ctx.editor_files is None:
        return write_change(change, ctx)
    path = change.path
    label = shown(path, ctx)
    exists = path.exists()
    fmt = NEW_FILE_FORMAT
    if not exists and change.before is not None:
        raise ToolError(f"{label} was deleted after the change was proposed; nothing was written.")
    if exists:
        if change.before is None:
            raise ToolError(
                f"{label} was created by someone else after the change was proposed; Read it, then try again."
            )
        current, fmt = await editor_text(path, ctx)
        if current != change.before:
            raise ToolError(f"{label} changed after the change was proposed; nothing was written. Read it again.")
    if ctx.before_write is not None:
        ctx.before_write(path, path.read_bytes() if exists else None)
    text = change.after.replace("\n", fmt.newline) if fmt.newline != "\n" else change.after
    try:
        await ctx.editor_files.write_text(path, text)
    except Exception as exc:  # noqa: BLE001 - reported to the model; nothing else was changed
        raise ToolError(f"Could not write {label} through the editor: {exc}") from None
    remember_text(path, change.after, ctx)
    return not exists
