"""Hunks of a text change, and applying only the accepted ones.

Shared by the approval flow (per-hunk accept / reject) and the diff pane.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path


@dataclass
class FileChange:
    """A write proposed or made: `before` is None for a new file."""

    path: Path
    before: str | None
    after: str


@dataclass(frozen=True)
class Hunk:
    index: int
    # Line ranges [start, end) in the before and after texts, with context excluded.
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    removed: tuple[str, ...]
    added: tuple[str, ...]

    def where(self) -> str:
        """Where the hunk sits in the file as it was, in words the model can act on."""
        if self.a_end == self.a_start:
            return f"new lines after line {self.a_start}" if self.a_start else "new lines at the top"
        if self.a_end - self.a_start == 1:
            return f"line {self.a_start + 1}"
        return f"lines {self.a_start + 1}-{self.a_end}"


def split_lines(text: str | None) -> list[str]:
    return [] if not text else text.splitlines(keepends=True)


def hunks(before: str | None, after: str) -> list[Hunk]:
    """One hunk per contiguous change (no context merged in: each can be decided alone)."""
    a, b = split_lines(before), split_lines(after)
    out: list[Hunk] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        out.append(Hunk(len(out), i1, i2, j1, j2, tuple(a[i1:i2]), tuple(b[j1:j2])))
    return out


def apply_hunks(before: str | None, after: str, accepted: set[int]) -> str:
    """The text with only the accepted hunks of before → after applied."""
    a = split_lines(before)
    result: list[str] = []
    pos = 0
    for h in hunks(before, after):
        result.extend(a[pos : h.a_start])
        result.extend(h.added if h.index in accepted else h.removed)
        pos = h.a_end
    result.extend(a[pos:])
    return "".join(result)


def unified(before: str | None, after: str, path: str, context: int = 3) -> str:
    return "".join(
        difflib.unified_diff(
            split_lines(before), split_lines(after), fromfile=f"a/{path}", tofile=f"b/{path}", n=context
        )
    )
