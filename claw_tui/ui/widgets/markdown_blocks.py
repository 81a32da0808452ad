"""What MarkdownView draws with: the parser, and Rich's Markdown renderer with claw's elements.

Loaded on first use (the app preloads it in a thread after its first frame): markdown-it and
Rich's Markdown, which brings Rich's Syntax and Pygments, are ~70 ms of imports a first frame
does not need.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import Heading, ListItem, MarkdownElement, TextElement
from rich.markdown import Markdown as RichMarkdown
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.content import Content
from textual.style import Style

from claw_tui.ui.widgets.markdown_view import FOLD_GLYPH, FOLDED, NO_COPY, PADDING_ROW

if TYPE_CHECKING:
    from claw_tui.ui.widgets.markdown_view import MarkdownView


class FoldedCode(TextElement):
    """A code block: highlighted, on the theme's code background, long lines folded with a ↪."""

    style_name = "none"

    @classmethod
    def create(cls, markdown: Any, token: Token) -> FoldedCode:
        language = (token.info or "").partition(" ")[0] if token.type == "fence" else ""
        return cls(markdown.view, language)

    def __init__(self, view: MarkdownView, language: str) -> None:
        self.view = view
        self.language = language

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from textual.highlight import highlight

        code = str(self.text).rstrip("\n")
        background = self.view.code_style()
        base = Style.from_rich_style(background)
        parse_style = self.view.app.stylesheet.parse_style
        content = highlight(code, language=self.language or None) if self.language else Content(code)
        width = max(options.max_width, 6)
        room = width - 3  # two cells on the left for the padding or the fold mark, one on the right
        no_copy = background + RichStyle(meta={NO_COPY: True})
        pad = Segment("  ", no_copy)
        fold = Segment(FOLD_GLYPH + " ", background + RichStyle(dim=True, meta={NO_COPY: True, FOLDED: True}))
        blank = Segment(" " * width, background + RichStyle(meta={NO_COPY: True, PADDING_ROW: True}))
        yield blank
        yield Segment.line()
        for line in content.expand_tabs(4).split("\n") or [Content("")]:
            for n, part in enumerate(line.fold(room) if line.cell_length > room else [line]):
                yield fold if n else pad
                yield from _content_segments(part, base, parse_style)
                yield Segment(" " * (width - 2 - part.cell_length), no_copy)
                yield Segment.line()
        yield blank
        yield Segment.line()


class NumberedItem(ListItem):
    """An ordered list's item, numbered "1." rather than Rich's bare "1"."""

    def render_number(self, console: Console, options: ConsoleOptions, number: int, last_number: int) -> RenderResult:
        width = len(str(last_number)) + 3
        lines = console.render_lines(self.elements, options.update(width=options.max_width - width), style=self.style)
        style = console.get_style("markdown.item.number", default="none")
        for n, line in enumerate(lines):
            yield Segment(f"{number}.".rjust(width - 1) + " " if n == 0 else " " * width, style)
            yield from line
            yield Segment.line()


class _Blocks(RichMarkdown):
    """Rich's Markdown renderer over tokens parsed already, with claw's headings, lists and code blocks."""

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **RichMarkdown.elements,
        "heading_open": type("LeftHeading", (Heading,), {"LEVEL_ALIGN": dict.fromkeys(Heading.LEVEL_ALIGN, "left")}),
        "list_item_open": NumberedItem,
        "fence": FoldedCode,
        "code_block": FoldedCode,
        "html_block": FoldedCode,  # raw HTML shows as it was written
    }

    def __init__(self) -> None:
        super().__init__("", hyperlinks=False)
        self.view: MarkdownView | None = None


# One parser and one renderer for every view: they run only on the event loop's thread, one call
# at a time, and building either costs more than a block's whole parse or render.
@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("gfm-like")


@cache
def _blocks() -> _Blocks:
    return _Blocks()


def renderer(tokens: list[Token], view: MarkdownView) -> RichMarkdown:
    """Rich's renderable for these tokens, drawn for this view (its colours, its app)."""
    renderer = _blocks()
    renderer.parsed, renderer.view = tokens, view
    return renderer


def _content_segments(content: Content, base: Style, parse_style: Any) -> Iterable[Segment]:
    for text, style in content.render(base, end="", parse_style=parse_style):
        yield Segment(text, style.rich_style)


def top_level_blocks(text: str) -> list[list[Token]]:
    """The tokens of each top-level block of the text (a paragraph, a whole list, a fence…)."""
    return list(_top_level(_parser().parse(text)))


def _top_level(tokens: list[Token]) -> Iterable[list[Token]]:
    group: list[Token] = []
    depth = 0
    for token in tokens:
        group.append(token)
        depth += token.nesting
        if depth == 0:
            yield group
            group = []
    if group:
        yield group
