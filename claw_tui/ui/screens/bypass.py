"""The question before bypassPermissions: Shift+Tab never reaches it without an explicit yes."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

WARNING = (
    "Every tool call then runs without asking: commands, edits anywhere in the workspace, web requests. "
    "Deny rules still apply; nothing else stops the model."
)


class BypassScreen(ModalScreen[bool]):
    """Dismisses with True only for Y."""

    DEFAULT_CSS = """
    BypassScreen { align: center middle; background: $background 60%; }
    BypassScreen > Vertical {
        width: 72; max-width: 100%; height: auto; padding: 0 1;
        border: round $error; border-title-color: $error; border-title-style: bold; background: $surface;
    }
    BypassScreen Static { height: auto; }
    BypassScreen #bypass-keys { margin-top: 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,Y", "answer(True)", "turn it on"),  # the question names it in capitals
        Binding("n,N,escape,enter,shift+tab", "answer(False)", "no"),
    ]

    def compose(self):  # type: ignore[override]
        with Vertical() as box:
            box.border_title = "Bypass permissions?"
            yield Static(WARNING)
            yield Static(
                Content.assemble(("Y", "bold $error"), " turns it on · any of N, Esc, Enter goes back to asking"),
                id="bypass-keys",
            )

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
