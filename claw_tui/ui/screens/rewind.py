"""The /rewind picker: the prompts of the current session, to choose the point to go back to."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from claw_tui.core.transcript import Message
from claw_tui.ui.screens.sessions import relative_time
from claw_tui.ui.widgets.footer import HintFooter

PROMPT_LINES = 3


def user_prompts(messages: list[Message]) -> list[int]:
    """Indexes of the messages a person typed (not tool results, compaction summaries or interruption markers)."""
    return [
        index
        for index, message in enumerate(messages)
        if message.role == "user"
        and not message.is_compaction_summary
        and not message.is_interruption
        and message.text.strip()
    ]


class RewindList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select", "rewind here")]


class RewindPicker(ModalScreen[int | None]):
    """Dismisses with the index (in `messages`) of the chosen user prompt, or None.

    Rewinding to a prompt means going back to just before it: the caller keeps messages
    0..index-1, restores the files, and may put the prompt's text back in the prompt box.
    """

    CSS_PATH = "rewind.tcss"
    AUTO_FOCUS = "#rewind-list"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", "close")]

    def __init__(self, messages: list[Message], *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.messages = messages
        self.prompts = user_prompts(messages)
        self.clock = clock

    def compose(self) -> ComposeResult:
        with Vertical(id="rewind-dialog") as dialog:
            dialog.border_title = "Rewind"
            yield Static(
                "Go back to just before a prompt: the conversation after it is dropped and the files "
                "the model changed since are restored.",
                id="rewind-help",
            )
            yield RewindList(*self._options(), id="rewind-list")
        yield HintFooter()

    def _options(self) -> list[Option]:
        if not self.prompts:
            return [
                Option(
                    Content.styled("Nothing to rewind: this session has no prompts yet.", "dim italic"),
                    disabled=True,
                )
            ]
        now = self.clock()
        options = []
        for number, index in enumerate(self.prompts, 1):
            message = self.messages[index]
            lines = message.text.strip().splitlines()
            text = "\n".join(lines[:PROMPT_LINES]) + (" …" if len(lines) > PROMPT_LINES else "")
            later = len(self.messages) - index
            detail = f"  {relative_time(message.created_at, now)} · drops {later} message{'s' if later != 1 else ''}"
            options.append(
                Option(
                    Content.assemble((f"Prompt {number}", "bold"), (detail, "dim"), "\n", text), id=str(index)
                )
            )
        return options

    def on_mount(self) -> None:
        options = self.query_one(RewindList)
        if self.prompts:
            options.highlighted = len(self.prompts) - 1

    @on(OptionList.OptionSelected, "#rewind-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(int(event.option.id))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
