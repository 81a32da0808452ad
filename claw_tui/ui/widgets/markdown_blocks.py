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
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import BlockQuote, Heading, ListItem, MarkdownElement, Paragraph, TextElement
from rich.markdown import Markdown as RichMarkdown
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.content import Content
from textual.style import Style

from claw_tui.ui.widgets.markdown_marks import FOLD_GLYPH, FOLDED, NO_COPY, PADDING_ROW, WRAPPED

if TYPE_CHECKING:
    from claw_tui.ui.widgets.markdown_view import MarkdownView

NO_COPY_STYLE = RichStyle(meta={NO_COPY: True})
PLAIN_WHILE_STREAMING = 150  # lines
WRAPPED_STYLE = RichStyle(meta={WRAPPED: True})


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
        # A long block still streaming in is drawn plain: highlighting it whole again for every
        # append would hold the event loop longer each time. Its last draw, when done, highlights it.
        streamed_plain = self.view.plain_code_allowed and code.count("\n") >= PLAIN_WHILE_STREAMING
        self.view.drew_plain_code |= bool(self.language) and streamed_plain
        plain = not self.language or streamed_plain
        width = max(options.max_width, 6)
        room = width - 3  # two cells on the left for the padding or the fold mark, one on the right
        no_copy = background + NO_COPY_STYLE
        pad = Segment("  ", no_copy)
        fold = Segment(FOLD_GLYPH + " ", background + RichStyle(dim=True, meta={NO_COPY: True, FOLDED: True}))
        blank = Segment(" " * width, background + RichStyle(meta={NO_COPY: True, PADDING_ROW: True}))
        yield blank
        yield Segment.line()
        rows: Iterable[tuple[bool, int, list[Segment]]]  # (a fold of the row above, its cells, the row)
        if plain:
            rows = (
                (n > 0, cell_len(part), [Segment(part, background)])
                for line in code.expandtabs(4).split("\n")
                for n, part in enumerate(_fold(line, room))
            )
        else:
            content = highlight(code, language=self.language).expand_tabs(4)
            rows = (
                (n > 0, part.cell_length, list(_content_segments(part, base, parse_style)))
                for line in content.split("\n")
                for n, part in enumerate(line.fold(room) if line.cell_length > room else [line])
            )
        for folded, cells, row in rows:
            yield fold if folded else pad
            yield from row
            yield Segment(" " * (width - 2 - cells), no_copy)
            yield Segment.line()
        yield blank
        yield Segment.line()


class Item(ListItem):
    """A list item: numbered "1." rather than Rich's bare "1"; its indent under the bullet is not copied."""

    def render_bullet(self, console: Console, options: ConsoleOptions) -> RenderResult:
        style = console.get_style("markdown.item.bullet", default="none")
        yield from self._with_marker(console, options, Segment(" • ", style), 3)

    def render_number(self, console: Console, options: ConsoleOptions, number: int, last_number: int) -> RenderResult:
        width = len(str(last_number)) + 3
        style = console.get_style("markdown.item.number", default="none")
        yield from self._with_marker(console, options, Segment(f"{number}.".rjust(width - 1) + " ", style), width)

    def _with_marker(self, console: Console, options: ConsoleOptions, marker: Segment, width: int) -> RenderResult:
        lines = console.render_lines(self.elements, options.update(width=options.max_width - width), style=self.style)
        indent = Segment(" " * width, NO_COPY_STYLE)
        for n, line in enumerate(lines):
            yield marker if n == 0 else indent
            yield from line
            yield Segment.line()


class Quote(BlockQuote):
    """A block quote whose bar is not copied."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self.elements, options.update(width=options.max_width - 4), style=self.style)
        bar = Segment("▌ ", self.style + NO_COPY_STYLE)
        for line in lines:
            yield bar
            yield from line
            yield Segment.line()


class WrappedParagraph(Paragraph):
    """A paragraph whose rows after the first of each line carry the mark a copy joins them by."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.text.split("\n", allow_blank=True):  # hard breaks stay breaks
            for n, row in enumerate(line.wrap(console, options.max_width, justify=self.justify)):
                if n and row:
                    row.stylize(WRAPPED_STYLE, 0, 1)
                row.end = "\n"
                yield row


class _Blocks(RichMarkdown):
    """Rich's Markdown renderer over tokens parsed already, with claw's headings, lists and code blocks."""

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **RichMarkdown.elements,
        "heading_open": type("LeftHeading", (Heading,), {"LEVEL_ALIGN": dict.fromkeys(Heading.LEVEL_ALIGN, "left")}),
        "list_item_open": Item,
        "blockquote_open": Quote,
        "paragraph_open": WrappedParagraph,
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
    return new_parser()


def new_parser() -> MarkdownIt:
    """GitHub's flavour, where only a written-out address is a link: "hello.py" stays a file name."""
    parser = MarkdownIt("gfm-like")
    parser.linkify.set({"fuzzy_link": False})  # type: ignore[union-attr]  # gfm-like has linkify
    return parser


@cache
def _blocks() -> _Blocks:
    return _Blocks()


def renderer(tokens: list[Token], view: MarkdownView) -> RichMarkdown:
    """Rich's renderable for these tokens, drawn for this view (its colours, its app)."""
    renderer = _blocks()
    renderer.parsed, renderer.view = tokens, view
    return renderer


def _fold(line: str, room: int) -> list[str]:
    """A code line in pieces of at most `room` cells."""
    if cell_len(line) <= room:
        return [line]
    if line.isascii():
        return [line[start : start + room] for start in range(0, len(line), room)]
    return [part.plain for part in Content(line).fold(room)]


def _content_segments(content: Content, base: Style, parse_style: Any) -> Iterable[Segment]:
    for text, style in content.render(base, end="", parse_style=parse_style):
        yield Segment(text, style.rich_style)


def top_level_blocks(text: str) -> list[list[Token]]:
    """The tokens of each top-level block of the text (a paragraph, a whole list, a fence…)."""
    tokens = _parser().parse(text)
    for token in tokens:
        if token.children:
            token.children = _plain_inlines(token.children)
    return list(_top_level(tokens))


def _plain_inlines(children: list[Token]) -> list[Token]:
    """Inline HTML shown as written (Rich drops it), and a bare URL once rather than as "url (url)"."""
    out: list[Token] = []
    for n, token in enumerate(children):
        if token.type == "html_inline":
            out.append(Token("text", "", 0, content=token.content))
        elif token.type in ("link_open", "link_close") and _bare_link(children, n):
            continue
        else:
            out.append(token)
    return out


def _bare_link(children: list[Token], n: int) -> bool:
    """Whether the link that opens or closes at n shows its own address as its text."""
    start = n if children[n].type == "link_open" else n - 2
    if start < 0 or start + 2 >= len(children):
        return False
    opening, text, closing = children[start : start + 3]
    href = str(opening.attrs.get("href", ""))
    return (opening.type, text.type, closing.type) == ("link_open", "text", "link_close") and href.removeprefix(
        "mailto:"
    ) in (text.content, text.content.removeprefix("mailto:"))


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
