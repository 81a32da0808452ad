"""MarkdownView: one widget per answer, drawn block by block; folded code; copying; theme colours."""

from __future__ import annotations

from textual.app import App
from textual.geometry import Offset
from textual.selection import Selection

from claw_tui.ui.theming import CLAW_VARIABLES, register_themes
from claw_tui.ui.widgets.markdown_marks import FOLD_GLYPH
from claw_tui.ui.widgets.markdown_view import MarkdownView

ANSWER = """# Plan

Some *emphasis*, **bold** and `inline code`.

- first point
- second point

1. one
2. two

```python
def handle(event):
    return event
```

Done."""


class ViewApp(App[None]):
    def __init__(self, markdown: str = "") -> None:
        super().__init__()
        self.markdown = markdown

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    def compose(self):
        yield MarkdownView(self.markdown)

    def on_mount(self) -> None:
        register_themes(self)
        self.theme = "claw-dark"

    @property
    def view(self) -> MarkdownView:
        return self.query_one(MarkdownView)


def shown(view: MarkdownView) -> list[str]:
    return [line.text.rstrip() for line in view._lines]


def colour_of(view: MarkdownView, word: str) -> object:
    for line in view._lines:
        for segment in line:
            if word in segment.text and segment.style is not None:
                return segment.style.color
    raise AssertionError(f"{word!r} is not drawn")


async def test_blocks_are_drawn_as_markdown_in_one_widget():
    app = ViewApp(ANSWER)
    async with app.run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        lines = shown(app.view)
        assert lines[0] == "Plan", "the # is a heading, not text"
        assert "Some emphasis, bold and inline code." in lines
        assert " • first point" in lines and " • second point" in lines
        assert " 1. one" in lines and " 2. two" in lines
        assert "  def handle(event):" in lines and "      return event" in lines
        assert lines[-1] == "Done."
        assert not app.view.children, "no widget per block"
        assert app.view.size.height == len(lines)
        assert colour_of(app.view, "def") != colour_of(app.view, "Done"), "code is highlighted"
        assert colour_of(app.view, "inline code") != colour_of(app.view, "Some"), "inline code has its own style"


async def test_an_append_redraws_only_the_last_block():
    app = ViewApp()
    async with app.run_test(size=(60, 30)) as pilot:
        view = app.view
        view.append("First paragraph.\n\nSecond para")
        await pilot.pause()
        first = view._lines[0]
        assert shown(view) == ["First paragraph.", "", "Second para"]
        view.append("graph, longer.\n\n- a list")
        await pilot.pause()
        assert view._lines[0] is first, "a block followed by another is never drawn again"
        assert shown(view) == ["First paragraph.", "", "Second paragraph, longer.", "", " • a list"]
        assert view.size.height == 5, "the widget grows with its text"
        view.append("\n- and more")
        await pilot.pause()
        assert shown(view)[-2:] == [" • a list", " • and more"], "the last block, a list, grew"
        assert view.source == "First paragraph.\n\nSecond paragraph, longer.\n\n- a list\n- and more"


async def test_streamed_markdown_ends_as_if_parsed_whole():
    """Appended a few characters at a time, the text is drawn as the whole text would be."""
    whole = ViewApp(ANSWER)
    async with whole.run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        expected = shown(whole.view)
    streamed = ViewApp()
    async with streamed.run_test(size=(60, 30)) as pilot:
        for start in range(0, len(ANSWER), 7):
            streamed.view.append(ANSWER[start : start + 7])
            await pilot.pause()
        assert shown(streamed.view) == expected


async def test_a_long_code_line_folds_and_copies_back_whole():
    long_line = "    return render(event.token, width=80, with_a_long_keyword_argument='past the edge')"
    app = ViewApp(f"Here:\n\n```python\n{long_line}\nx = 1\n```\n")
    async with app.run_test(size=(50, 20)) as pilot:
        await pilot.pause()
        lines = shown(app.view)
        folded = [line for line in lines if line.startswith(FOLD_GLYPH)]
        assert folded, "the line is folded, not cut"
        assert all(len(line) <= 50 for line in lines)
        text, _ = app.view.get_selection(Selection(None, None))
        assert text == f"Here:\n\n{long_line}\nx = 1", "a copy has no fold marks, padding or trailing spaces"


async def test_a_selection_copies_the_cells_selected():
    app = ViewApp("alpha beta gamma\n\ndelta epsilon")
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        text, _ = app.view.get_selection(Selection(Offset(6, 0), Offset(5, 2)))
        assert text == "beta gamma\n\ndelta"
        offsets = {segment.style.meta.get("offset") for segment in app.view.render_line(2) if segment.style}
        assert (0, 2) in offsets, "each cell says where it is, for the mouse selection to find"


async def test_the_width_and_the_theme_redraw_it():
    app = ViewApp("# Title\n\n" + "word " * 30)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        wide = len(app.view._lines)
        dark_title = colour_of(app.view, "Title")
        await pilot.resize_terminal(40, 20)
        await pilot.pause()
        assert len(app.view._lines) > wide, "narrower: the paragraph wraps onto more lines"
        assert all(line.cell_length == 40 for line in app.view._lines)
        app.theme = "claw-light"
        await pilot.pause()
        assert colour_of(app.view, "Title") != dark_title, "a theme change recolours what is drawn"


async def test_a_mouse_drag_selects_and_copies_through_the_screen():
    code = "print('" + "x" * 70 + "')"
    app = ViewApp(f"alpha beta gamma\n\n```python\n{code}\n```\n\ndelta")
    async with app.run_test(size=(50, 20)) as pilot:
        await pilot.pause()
        await pilot.mouse_down(app.view, offset=(6, 0))
        await pilot.hover(app.view, offset=(5, 7))
        await pilot.mouse_up(app.view, offset=(5, 7))
        await pilot.pause()
        assert app.screen.get_selected_text() == f"beta gamma\n\n{code}\n\ndelta"


async def test_a_drag_within_a_line_selects_what_is_under_the_mouse_and_highlights_it():
    app = ViewApp("alpha beta gamma delta")
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        await pilot.mouse_down(app.view, offset=(6, 0))
        await pilot.hover(app.view, offset=(10, 0))
        await pilot.hover(app.view, offset=(12, 0))
        await pilot.mouse_up(app.view, offset=(12, 0))
        await pilot.pause()
        assert app.screen.get_selected_text() == "beta ga", "from the cell pressed to the cell released, both in"
        selected_bg = app.screen.get_component_rich_style("screen--selection").bgcolor
        highlighted = "".join(seg.text for seg in app.view.render_line(0) if seg.style and seg.style.bgcolor == selected_bg)
        assert highlighted == "beta ga", "the highlight is drawn over the text's own background"


async def test_wide_characters_are_highlighted_where_they_are_selected():
    app = ViewApp("中文段落测试内容")
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        app.screen.selections = {app.view: Selection(Offset(2, 0), Offset(6, 0))}
        await pilot.pause()
        selected_bg = app.screen.get_component_rich_style("screen--selection").bgcolor
        highlighted = "".join(seg.text for seg in app.view.render_line(0) if seg.style and seg.style.bgcolor == selected_bg)
        assert highlighted == "段落测试" == app.view.get_selection(Selection(Offset(2, 0), Offset(6, 0)))[0]


async def test_copies_keep_paragraphs_whole_and_leave_out_list_indents_and_quote_bars():
    command = "docker run --rm -v $PWD:/src " + "ghcr.io/example/a-rather-long-image-name:latest " * 2 + "make test"
    paragraph = "word " * 30
    markdown = f"{paragraph.strip()}\n\n1. Run:\n\n   ```bash\n   {command}\n   ```\n\n> ```\n> quoted = 1\n> ```\n"
    app = ViewApp(markdown)
    async with app.run_test(size=(50, 30)) as pilot:
        await pilot.pause()
        copied = app.view.get_selection(Selection(None, None))[0].splitlines()
        assert copied[0] == paragraph.strip(), "a wrapped paragraph copies as one line"
        assert command in [line.strip() for line in copied], "a folded command inside a list item copies whole"
        assert "quoted = 1" in copied, "no quote bar in the copy"


async def test_carriage_returns_and_control_characters_do_not_reach_the_screen():
    app = ViewApp()
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.view
        for chunk in ("First paragraph.\r", "\n\r\nSecond\x1b[2J one.\r\rThird", " one.\x07"):
            view.append(chunk)
            await pilot.pause()
        assert view.source == "First paragraph.\n\nSecond[2J one.\n\nThird one."
        assert shown(view) == ["First paragraph.", "", "Second[2J one.", "", "Third one."], "no block is drawn twice"


async def test_a_style_change_that_keeps_the_colours_does_not_redraw():
    app = ViewApp("First.\n\nSecond.")
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        first = app.view._lines[0]
        app.view.notify_style_update()  # what a focus change in the pane sends every widget
        await pilot.pause()
        assert app.view._lines[0] is first


async def test_bare_urls_show_once_and_inline_html_shows_as_written():
    app = ViewApp("See https://auto.link, <https://x.y>, [docs](https://d.e) and <kbd>q</kbd> or <b>bold</b>.")
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        assert shown(app.view) == ["See https://auto.link, https://x.y, docs (https://d.e) and <kbd>q</kbd> or <b>bold</b>."]


async def test_a_file_name_is_not_made_into_a_link():
    """Only an address written out is a link: "hello.py" is not "hello.py (http://hello.py)"."""
    app = ViewApp("I wrote hello.py and README.md; see www.example.com or https://docs.python.org.")
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        assert shown(app.view) == ["I wrote hello.py and README.md; see www.example.com or https://docs.python.org."]


async def test_a_table_is_spaced_like_any_other_block():
    app = ViewApp("Before.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nAfter.")
    async with app.run_test(size=(40, 14)) as pilot:
        await pilot.pause()
        assert shown(app.view) == ["Before.", "", " a  b", " ────", " 1  2", "", "After."]


class StreamedView(MarkdownView):
    """A view whose stream is switched on and off by the test."""

    live = True

    @property
    def more_coming(self) -> bool:
        return self.live


async def test_a_long_code_block_drawn_plain_while_streaming_is_highlighted_once_it_is_finished():
    code = "".join(f"def f{n}(x):\n    return x\n" for n in range(100))
    app = ViewApp()
    async with app.run_test(size=(60, 400)) as pilot:
        view = StreamedView()
        await app.mount(view)
        view.append(f"```python\n{code}")
        await pilot.pause()
        assert colour_of(view, "def") == colour_of(view, "x"), "the last block, streaming: plain"
        view.append("```\n\nAfter the code.")  # the code block is finished; the answer still streams
        await pilot.pause()
        assert colour_of(view, "def") != colour_of(view, "x"), "a finished block is highlighted"
