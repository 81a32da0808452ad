"""Markdown drawn by one widget, cheap to grow while an answer streams in.

Textual's Markdown widget mounts a widget per paragraph, list item and code block; a long answer is
hundreds of them, and every append then costs a stylesheet pass for the new ones and a layout that
walks them all: the largest stalls of a streaming answer. Here an answer is one widget. Its source is
split into top-level blocks (markdown-it's); each block is drawn once per width by Rich's Markdown
renderer and kept as lines, and an append re-parses and redraws only the last block, the only one
more text can change. Only the lines on screen are painted (Textual's line API).

Colours come from the Textual theme through component classes, so /theme recolours answers too.
Code blocks are highlighted by Textual's highlighter and folded, not cut, at the pane's edge: a
folded line starts with "↪", and a copy joins it back to the line it came from.
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.theme import Theme
from textual.geometry import Size
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from claw_tui.ui.widgets.markdown_marks import FOLDED, NO_COPY, PADDING_ROW, WRAPPED

if TYPE_CHECKING:
    from markdown_it.token import Token

RENDERER = "claw_tui.ui.widgets.markdown_blocks"  # loaded on first use, or preloaded on the import thread

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # all but tab and line feed

# Component class → the Rich theme style Rich's Markdown renderer looks up.
RICH_STYLES = {
    **{f"markdown--h{n}": f"markdown.h{n}" for n in range(1, 7)},
    "markdown--code-inline": "markdown.code",
    "markdown--quote": "markdown.block_quote",
    "markdown--bullet": "markdown.item.bullet",
    "markdown--number": "markdown.item.number",
    "markdown--link": "markdown.link",
    "markdown--link-url": "markdown.link_url",
    "markdown--hr": "markdown.hr",
    "markdown--table-border": "markdown.table.border",
    "markdown--table-header": "markdown.table.header",
}


class MarkdownView(Widget):
    """Markdown as one widget; `append` adds text and redraws only the last top-level block."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {*RICH_STYLES, "markdown--code-block"}

    DEFAULT_CSS = """
    MarkdownView {
        width: 1fr;
        height: auto;
        & > .markdown--h1 { color: $markdown-h1-color; background: $markdown-h1-background; text-style: $markdown-h1-text-style; }
        & > .markdown--h2 { color: $markdown-h2-color; background: $markdown-h2-background; text-style: $markdown-h2-text-style; }
        & > .markdown--h3 { color: $markdown-h3-color; background: $markdown-h3-background; text-style: $markdown-h3-text-style; }
        & > .markdown--h4 { color: $markdown-h4-color; background: $markdown-h4-background; text-style: $markdown-h4-text-style; }
        & > .markdown--h5 { color: $markdown-h5-color; background: $markdown-h5-background; text-style: $markdown-h5-text-style; }
        & > .markdown--h6 { color: $markdown-h6-color; background: $markdown-h6-background; text-style: $markdown-h6-text-style; }
        & > .markdown--code-inline { background: $warning 10%; color: $text-warning 95%; }
        &:light > .markdown--code-inline { background: $error 5%; color: $text-error 95%; }
        & > .markdown--code-block { background: black 10%; color: rgb(210,210,210); }
        &:light > .markdown--code-block { background: white 30%; color: $foreground; }
        & > .markdown--quote { color: $text-muted; }
        & > .markdown--bullet { color: $text-primary; text-style: bold; }
        & > .markdown--number { color: $text-primary; }
        & > .markdown--link { color: $text-accent; text-style: underline; }
        & > .markdown--link-url { color: $text-muted; }
        & > .markdown--hr { color: $foreground 30%; }
        & > .markdown--table-border { color: $foreground 30%; }
        & > .markdown--table-header { color: $text-primary; text-style: bold; }
    }
    """

    def __init__(self, markdown: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._source = ""
        self._blocks: list[list[Token]] = []  # top-level blocks no more text can change
        self._tail: list[Token] = []  # the last block, redrawn by each append
        self._tail_offset = 0  # where the tail's source starts
        self._width = -1  # the width `_lines` were drawn at
        self._lines: list[Strip] = []  # every line: the blocks' lines spaced by blank ones, then the tail's
        self._drawn = 0  # how many of `_blocks` are in `_lines`
        self._fixed = 0  # how many of `_lines` are theirs (the rest are the tail's)
        self._theme: Theme | None = None
        self._style_key: tuple[object, ...] | None = None  # the colours `_lines` were drawn with
        self._cr = False  # the last text ended with "\r": a "\n" starting the next one belongs to it
        self.plain_code_allowed = False  # set while the last block is drawn during a stream
        self.drew_plain_code = False  # the last block's last draw left a long code block unhighlighted
        if markdown:
            self._add_source(markdown)

    @property
    def source(self) -> str:
        return self._source

    @property
    def more_coming(self) -> bool:
        """More text is coming (a subclass that streams says so): long code blocks are drawn plain meanwhile."""
        return False

    def redraw_last_block(self) -> None:
        """After the stream ended: draw the last block again if it holds a code block drawn plain."""
        if self.drew_plain_code and self._width > 0 and self._tail:
            self._draw(self._width)
            self.refresh(layout=True)

    def append(self, text: str) -> None:
        """Add text at the end and redraw what it changed."""
        if not text:
            return
        before = len(self._lines)
        self._add_source(text)
        if self._width > 0:
            self._draw(self._width)
            self.refresh(layout=len(self._lines) != before)
        else:
            self.refresh(layout=True)

    def _add_source(self, text: str) -> None:
        top_level_blocks = _blocks_module().top_level_blocks
        if self._cr and text.startswith("\n"):
            text = text[1:]
        self._cr = text.endswith("\r")
        # One kind of line break, and no other control characters: an answer cannot move the
        # cursor, clear the screen or retitle the terminal.
        self._source += CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
        tail_source = self._source[self._tail_offset :]
        groups = top_level_blocks(tail_source)
        if not groups:
            self._tail = []
            return
        *finished, tail = groups
        start_line = tail[0].map[0] if tail[0].map else 0
        self._tail_offset += _offset_of_line(tail_source, start_line)
        self._blocks.extend(finished)
        self._tail = tail

    # --- drawing ------------------------------------------------------------------------------

    def _draw(self, width: int) -> None:
        """Draw at this width what is not drawn yet, and the tail again."""
        if width != self._width:
            self._width, self._lines, self._drawn, self._fixed = width, [], 0, 0
            self._style_key = self._colours()
        del self._lines[self._fixed :]
        for tokens in self._blocks[self._drawn :]:
            self._extend(self._render_block(tokens, width), width)
        self._drawn, self._fixed = len(self._blocks), len(self._lines)
        self.drew_plain_code = False
        if self._tail:
            self.plain_code_allowed = self.more_coming  # finished blocks above are always highlighted
            try:
                self._extend(self._render_block(self._tail, width), width)
            finally:
                self.plain_code_allowed = False

    def _extend(self, block: list[Strip], width: int) -> None:
        if block:
            if self._lines:
                self._lines.append(Strip.blank(width, self.rich_style))
            self._lines.extend(block)

    def _render_block(self, tokens: list[Token], width: int) -> list[Strip]:
        """A block's rows at this width, on the widget's colours, each exactly `width` cells."""
        renderer = _blocks_module().renderer
        console = self.app.console
        options = console.options.update(
            width=width, min_width=width, max_width=width, height=None, highlight=False, markup=False
        )
        with console.use_theme(self._rich_theme()):
            rows = console.render_lines(renderer(tokens, self), options, pad=False)
        # Rich starts or ends some blocks with a blank line; blocks are spaced by `_draw`.
        while rows and _is_blank(rows[-1]):
            rows.pop()
        first = next((n for n, row in enumerate(rows) if not _is_blank(row)), len(rows))
        base = self.rich_style
        # One Strip per row (a Strip is not cheap to make): the base colours and the padding are
        # applied to the segments first.
        return [
            Strip(Segment.adjust_line_length(list(Segment.apply_style(row, base)), width, base), width)
            for row in rows[first:]
        ]

    def _rich_theme(self) -> Theme:
        if self._theme is None:
            self._theme = Theme(
                {name: self.get_component_rich_style(component) for component, name in RICH_STYLES.items()},
                inherit=True,
            )
        return self._theme

    def code_style(self) -> RichStyle:
        return self.get_component_rich_style("markdown--code-block")

    def notify_style_update(self) -> None:
        """A theme or CSS change: draw again if the colours changed (a focus change restyles
        every widget in a pane, and a long answer takes a while to draw)."""
        super().notify_style_update()
        if self._lines and self._colours() != self._style_key:
            self._theme = None
            self._width = -1
            self.refresh(layout=True)

    def _colours(self) -> tuple[object, ...]:
        return (self.rich_style, *(self.get_component_rich_style(c) for c in sorted(self.COMPONENT_CLASSES)))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width <= 0:
            return 0
        if width != self._width or not self._lines:
            self._draw(width)
        return len(self._lines)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if width > 0 and (width != self._width or not self._lines):
            self._draw(width)
        if y >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        line = self._lines[y]
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            # Selection offsets count characters (as the offsets below do); dividing a strip counts cells.
            text = line.text
            start, end = span
            end = len(text) if end == -1 else end
            cells = [cell_len(text[:start]), cell_len(text[: max(start, end)]), line.cell_length]
            before, selected, after = line.divide(cells)
            highlight = self.screen.get_component_rich_style("screen--selection")
            selected = Strip(Segment.apply_style(selected, post_style=highlight), selected.cell_length)
            line = Strip.join([before, selected, after])
        # Each cell says where it is, for the selection under the mouse; added here, for the rows on screen only.
        return line.apply_offsets(0, y)

    # --- selection ----------------------------------------------------------------------------

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text as written: no code padding, folded code lines joined back."""
        if not self._lines:
            return None
        first = 0 if selection.start is None else selection.start.y
        last = len(self._lines) - 1 if selection.end is None else min(selection.end.y, len(self._lines) - 1)
        copied: list[str] = []
        for y in range(first, last + 1):
            span = selection.get_span(y)
            line = self._lines[y]
            if span is None or _has_mark(line, PADDING_ROW):
                continue
            start, end = span
            part = _copy_text(line, start, None if end == -1 else end)
            if copied and _has_mark(line, FOLDED):
                copied[-1] += part
            elif copied and _has_mark(line, WRAPPED):
                copied[-1] = copied[-1].rstrip() + " " + part.lstrip()
            else:
                copied.append(part)
        return "\n".join(line.rstrip() for line in copied), "\n"


def _is_blank(row: list[Segment]) -> bool:
    """Nothing but spaces: a code block's padding rows (marked not to copy) are part of the block."""
    return not any(segment.text.strip() or (segment.style and segment.style.meta.get(NO_COPY)) for segment in row)


def _has_mark(line: Strip, key: str) -> bool:
    """Whether a cell of the line carries this mark (a folded row's ↪ may follow a list's indent)."""
    return any(segment.style is not None and segment.style.meta.get(key) for segment in line)


def _copy_text(line: Strip, start: int, end: int | None) -> str:
    """The copied text of characters start..end of a line; on a folded row, only what follows the ↪."""
    out: list[str] = []
    x = 0
    for segment in line:
        length = len(segment.text)
        meta = segment.style.meta if segment.style is not None else {}
        if meta.get(FOLDED):
            out.clear()  # the list indent or quote bar before the fold mark is not the code's
        elif not meta.get(NO_COPY):
            lo, hi = max(start - x, 0), length if end is None else min(end - x, length)
            if lo < hi:
                out.append(segment.text[lo:hi])
        x += length
    return "".join(out)


def _offset_of_line(text: str, line: int) -> int:
    offset = 0
    for _ in range(line):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return len(text)
    return offset


def _blocks_module() -> ModuleType:
    """The renderer's module, once its import (perhaps under way on the import thread) has finished."""
    from claw_tui.core import background_imports

    return background_imports.wait(RENDERER)


def warm_up() -> None:
    """What a first parse and highlight load, before the first answer needs them (off the event loop:
    with a parser of its own, as the shared one is used on the event loop only). It runs on the import
    thread, which imports the renderer itself: waiting there for an import queued behind it would never end."""
    import importlib

    from textual.highlight import highlight

    importlib.import_module(RENDERER).new_parser().parse("*warm* https://example.com\n\n| a |\n|---|\n| 1 |\n")
    highlight("x = 1", language="python")
