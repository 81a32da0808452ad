"""What a tool call shows under its line in the conversation: the first lines of its result, or all of it.

Errors show in full, an edit as a small coloured diff, a command as its output (its latest lines while
it runs), a read as its line count; the whole call (its input as fields, every line of the diff or
output) when it is opened. Pure functions of the call's fields, so a stored call draws as it did live.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from textual.content import Content

PREVIEW_LINES = 6  # result lines shown under a closed call
ERROR_LINES = 40  # an error shows whole, up to this
OPEN_LINES = 400  # lines shown when a call is opened; the tool log keeps the rest
LINE_CHARS = 400
EDIT_TOOLS = frozenset({"Edit", "Write", "NotebookEdit"})
MORE_HINT = "click or Enter shows all"


@dataclass
class Change:
    path: str
    before: str | None
    after: str


# How either approval (the app's, ACP's) tells the model about each hunk of an edit the user left out.
REJECTED_HUNK = "The user rejected hunk"


def hunks_in(change: Change) -> int:
    """The hunks a written change holds (each contiguous change is one, as the approval offers them)."""
    from claw_tui.core.diffs import hunks

    return len(hunks(change.before, change.after))


def hunk_tally(applied: int, output: str | None) -> str | None:
    """"1 of 2 hunks applied" for an edit accepted in part (`applied` hunks written, its result naming the
    rejected ones); None when the user rejected none."""
    rejected = (output or "").count(REJECTED_HUNK)
    return f"{applied} of {applied + rejected} hunks applied" if rejected else None


@dataclass
class CallView:
    """The fields a preview is drawn from (a live block's or a stored call's)."""

    name: str
    status: str
    input: dict[str, Any] | None = None
    output: str | None = None
    changes: list[Change] = field(default_factory=list)
    live: str = ""  # the end of what a running command has printed so far


def diff_lines(call: CallView) -> list[tuple[str, str]]:
    """(style, line) of the call's changes, as unified diff lines without file headers."""
    changes = call.changes or _changes_from_input(call)
    rows: list[tuple[str, str]] = []
    for change in changes:
        if len(changes) > 1:
            rows.append(("bold", change.path))
        before = (change.before or "").splitlines()
        for line in difflib.unified_diff(before, change.after.splitlines(), lineterm="", n=1):
            if line.startswith(("---", "+++")):
                continue
            if line.startswith("@@"):
                if rows and rows[-1][0] != "bold":
                    rows.append(("$text-muted", "  ⋮"))
                continue
            style = {"+": "$text-success", "-": "$text-error"}.get(line[:1], "$text-muted")
            rows.append((style, line[:1] + " " + line[1:]))
    return rows


def _changes_from_input(call: CallView) -> list[Change]:
    data = call.input or {}
    path = str(data.get("file_path") or data.get("notebook_path") or "")
    if call.name == "Edit" and isinstance(data.get("old_string"), str):
        return [Change(path, data["old_string"], str(data.get("new_string", "")))]
    if call.name == "Write" and isinstance(data.get("content"), str):
        return [Change(path, None, data["content"])]
    return []


def _lines(rows: list[tuple[str, str]], limit: int) -> Content:
    if len(rows) == limit + 1:  # the line itself takes no more room than "… 1 more line" would
        limit += 1
    shown = [Content.styled(text[:LINE_CHARS], style) for style, text in rows[:limit]]
    if len(rows) > limit:
        shown.append(Content.styled(f"… {len(rows) - limit} more lines · {MORE_HINT}", "$text-muted italic"))
    return Content("\n").join(shown)


def _output_rows(text: str, style: str = "") -> list[tuple[str, str]]:
    return [(style, line) for line in text.rstrip("\n").splitlines()]


def preview(call: CallView) -> Content | None:
    """The lines under a closed call; None while it has no result worth showing yet."""
    output = call.output
    if call.status == "running" and call.live.strip():  # its latest lines, as they come
        rows = _output_rows(call.live, "$text-muted")
        return _lines(rows[-PREVIEW_LINES:], PREVIEW_LINES)
    if call.status in ("failed", "denied") and output:
        return _lines(_output_rows(output, "$text-error"), ERROR_LINES)
    if call.status != "done" or output is None:
        return None
    if call.name in EDIT_TOOLS and (rows := diff_lines(call)):
        return _lines(rows, PREVIEW_LINES)
    if call.name == "Read":
        count = len(output.splitlines())
        return Content.styled(f"Read {count} line{'s' if count != 1 else ''} · {MORE_HINT}", "$text-muted")
    if not output.strip():
        return Content.styled("(no output)", "$text-muted")
    return _lines(_output_rows(output), PREVIEW_LINES if call.name == "Bash" else 3)


def full(call: CallView) -> Content:
    """The whole call: its input as fields (a command, a diff), then its output."""
    parts: list[Content] = []
    data = call.input or {}
    if call.name == "Bash" and isinstance(data.get("command"), str):
        parts.append(Content.assemble(("$ ", "bold"), data["command"]))
    elif call.name in EDIT_TOOLS and (rows := diff_lines(call)):
        parts.append(_lines(rows, OPEN_LINES))
    elif data:
        parts.append(Content("\n").join(_field(key, value) for key, value in data.items()))
    if call.output is not None and not (call.name in EDIT_TOOLS and call.status == "done" and parts):
        style = "$text-error" if call.status in ("failed", "denied") else ""
        parts.append(_lines(_output_rows(call.output, style), OPEN_LINES) if call.output.strip() else Content("(no output)"))
    elif call.output is not None:
        parts.append(Content.styled(call.output.splitlines()[0] if call.output else "", "$text-muted"))
    return Content("\n").join(parts) if parts else Content.styled("…", "$text-muted")


def _field(key: str, value: Any) -> Content:
    text = value if isinstance(value, str) else repr(value) if not isinstance(value, (dict, list)) else _compact(value)
    if "\n" in text:
        lines = text.splitlines()
        body = "\n".join("  " + line[:LINE_CHARS] for line in lines[:40])
        more = f"\n  … {len(lines) - 40} more lines" if len(lines) > 40 else ""
        return Content.assemble((f"{key}:", "bold"), "\n", body + more)
    return Content.assemble((f"{key}: ", "bold"), text[:LINE_CHARS])


def _compact(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
