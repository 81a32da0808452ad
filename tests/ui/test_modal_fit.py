"""Every dialog lies inside its screen, at any terminal size: none runs over an edge."""

from __future__ import annotations

import html
import re

from snapshots.pane_harness import bash_request, write_request
from textual.app import App
from textual.containers import Vertical
from textual.screen import ModalScreen

from claw_tui.core.transcript import Message, TextBlock, user_text
from claw_tui.tools.ask import Option, Question
from claw_tui.ui.screens.approval import ApprovalScreen
from claw_tui.ui.screens.question import QuestionScreen
from claw_tui.ui.screens.rewind import RewindPicker
from claw_tui.ui.screens.trust import TrustScreen
from claw_tui.ui.theming import DEFAULT_THEME, register_themes


def dialogs() -> list[ModalScreen]:
    answer = Message(role="assistant", content=[TextBlock(text="Done.")])
    question = Question(question="Which database?", header="Database",
                        options=[Option(label="SQLite", description="a file"), Option(label="Postgres", description="a server")])
    return [
        ApprovalScreen(write_request()),
        ApprovalScreen(bash_request()),
        QuestionScreen([question]),
        RewindPicker([user_text("first prompt"), answer, user_text("second prompt"), answer]),
        TrustScreen("~/project", ["hook PreToolUse: ./check.sh", "MCP server tracker: npx tracker"]),
    ]


class Host(App[None]):
    def on_mount(self) -> None:
        register_themes(self)
        self.theme = DEFAULT_THEME


async def test_no_dialog_runs_over_the_screens_edge():
    """Each dialog's box (its margin too) lies inside its screen's content region, at odd widths too. A
    dialog as wide as the screen covers it edge to edge: the approval dialog kept a column free on each
    side, where the panes' borders behind it showed beside its own, as if it overlapped them."""
    app = Host()
    async with app.run_test() as pilot:
        for size in [(50, 15), (80, 24), (160, 48), (101, 30)]:
            await pilot.resize_terminal(*size)
            for screen in dialogs():
                await check(pilot, screen, size)


async def check(pilot, screen: ModalScreen, size: tuple[int, int]) -> None:
    app = pilot.app
    await app.push_screen(screen)
    await pilot.pause()
    dialog = next(w for w in screen.children if isinstance(w, Vertical))
    box, content = dialog.region.grow(dialog.styles.margin), screen.content_region
    assert content.contains_region(box), (type(screen).__name__, box, content)
    if isinstance(screen, ApprovalScreen | QuestionScreen) and size[0] <= dialog.styles.max_width.value:
        edges = (dialog.region.x, dialog.region.right)
        assert edges == (content.x, content.right), (type(screen).__name__, dialog.region)
    app.pop_screen()
    await pilot.pause()


async def test_an_edits_dialog_covers_the_screen_so_nothing_behind_it_is_drawn():
    """A write's dialog takes the whole screen: its screen is opaque, so Textual neither draws nor dims the
    conversation underneath (a third of the time from Enter to the approval). A command's dialog is small:
    the conversation shows, dimmed, around it."""
    app = Host()
    async with app.run_test(size=(160, 48)) as pilot:
        for screen, opaque in ((ApprovalScreen(write_request()), True), (ApprovalScreen(bash_request()), False)):
            await app.push_screen(screen)
            await pilot.pause()
            assert (screen.styles.background.a == 1) is opaque
            dialog = screen.query_one("#approval-dialog")
            content = screen.content_region  # and it does cover the screen, all but the footer's row
            covers = dialog.region.width == content.width and dialog.region.height >= content.height - 1
            assert covers or not opaque
            app.pop_screen()


async def test_on_a_short_screen_an_edits_dialog_shows_its_changed_lines():
    """At 50x15 the dialog showed the hunk's header and two lines of context, none of the change: on a
    short screen its rows go to the diff (a short hunk keys line, no blank lines, the file named once)."""
    app = Host()
    async with app.run_test(size=(50, 15)) as pilot:
        screen = ApprovalScreen(write_request())
        await app.push_screen(screen)
        await pilot.pause()
        shown = ["".join(line.split()) for line in screen_lines(app)]  # its runs of spaces are not kept
        assert any("-defgreet(name):" in line for line in shown), shown
        assert any("+defgreet(name:str)->str:" in line for line in shown), shown
        assert any("j/khunk·spaceaccept/reject·a/rall" in line for line in shown), "the hunk keys, short"


def screen_lines(app) -> list[str]:
    """The screen's text, row by row, from its screenshot (a <text> element per run of one style)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in re.findall(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', app.export_screenshot()):
        rows.setdefault(float(y), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    return ["".join(text for _, text in sorted(row)) for _, row in sorted(rows.items())]


async def test_on_a_short_screen_the_trust_question_keeps_its_answer_keys_in_view():
    """At 50x15 the question's last line ("N or Esc: not now") was cut: the list of what would run now
    scrolls in the rows left."""
    from claw_tui.ui.screens.trust import TrustScreen

    items = ["PreToolUse hook runs `./audit.sh`", "MCP server docs runs `python3 servers/docs.py --port 9000`",
             "runs without asking: Bash", "anthropic requests, with your key, go to https://proxy.example"]
    app = Host()
    async with app.run_test(size=(50, 15)) as pilot:
        await app.push_screen(TrustScreen("~/project", items))
        await pilot.pause()
        assert any("NorEsc:notnow(/trustlater)" in "".join(line.split()) for line in screen_lines(app))
