"""Trusting a folder: a screen of its own that names what the folder's own configuration would run."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from claw_tui.ui.short_terminal import fit_rows
from claw_tui.ui.type_ahead import KeyQuestion
from claw_tui.ui.widgets.footer import HintFooter


class TrustScreen(KeyQuestion, ModalScreen[bool]):
    """Dismisses with True to trust the folder, False to keep its configuration out."""

    DEFAULT_CSS = """
    TrustScreen { align: center middle; background: $background 60%; }
    TrustScreen > Vertical {
        width: 100; max-width: 100%; height: auto; max-height: 100%; padding: 0 1;
        border: round $warning; border-title-color: $warning; border-title-style: bold; background: $surface;
    }
    TrustScreen Static { height: auto; }
    TrustScreen #trust-items { height: auto; max-height: 20; margin: 1 0; }
    TrustScreen #trust-keys { color: $text-muted; }
    /* A short screen (50x15): the list scrolls in the rows left, so the answer keys stay in view. */
    TrustScreen.-short > Vertical { height: 100%; }
    TrustScreen.-short #trust-items { height: 1fr; margin: 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,Y", "answer(True)", "trust it"),  # the question names them in capitals
        Binding("n,N,escape", "answer(False)", "not now"),
    ]

    def __init__(self, folder: str, items: list[str]) -> None:
        super().__init__()
        self.folder = folder
        self.items = items

    def compose(self):  # type: ignore[override]
        with Vertical() as box:
            box.border_title = "Do you trust this folder?"
            yield Static(
                Content.assemble(
                    ("", ""), self.folder, " carries its own claw or Claude Code configuration. ",
                    "Until you trust it, claw leaves out what would run code or widen what runs without asking:",
                )
            )
            with VerticalScroll(id="trust-items"):
                yield Static(Content("\n").join(Content.assemble("• ", item) for item in self.items))
            yield Static(
                Content.assemble(
                    ("Y", "bold $warning"), " trusts it now (remembered for this folder) · ",
                    ("N", "bold"), " or Esc: not now (/trust later)",
                ),
                id="trust-keys",
            )
        yield HintFooter(compact=True)

    def on_resize(self) -> None:
        fit_rows(self, self.size.height)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
