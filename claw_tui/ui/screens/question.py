"""AskUserQuestion in the app: the model's questions, one at a time, answered from the keyboard.

Up/Down (or the option's number) moves, Enter chooses; with several answers allowed, Space ticks
options and Enter confirms them. The last row takes the user's own words. Esc declines every
question; the model is told the user did not answer.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from claw_tui.tools.ask import Question
from claw_tui.ui.widgets.footer import HintFooter

OTHER = "__other__"


class QuestionScreen(ModalScreen[dict[str, str] | None]):
    """Dismisses with question text → answer (labels comma-joined when several), or None."""

    DEFAULT_CSS = """
    QuestionScreen { align: center middle; background: $background 60%; }
    QuestionScreen > #question-dialog {
        width: 100%; max-width: 100; height: auto; max-height: 100%; padding: 0 1;
        border: round $accent; border-title-color: $accent; border-title-style: bold; background: $surface;
    }
    QuestionScreen #question-text { text-style: bold; margin-bottom: 1; height: auto; }
    QuestionScreen OptionList { height: auto; max-height: 14; border: none; background: transparent; padding: 0; }
    QuestionScreen #question-keys { color: $text-muted; height: auto; }
    QuestionScreen Input { margin-top: 1; }
    """
    AUTO_FOCUS = "#question-options"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "decline", "decline", tooltip="Answer none of the questions"),
        Binding("space", "tick", "tick", show=False),
    ]

    def __init__(self, questions: list[Question]) -> None:
        super().__init__()
        self.questions = questions
        self.index = 0
        self.answers: dict[str, str] = {}
        self.ticked: set[int] = set()

    @property
    def question(self) -> Question:
        return self.questions[self.index]

    def compose(self):  # type: ignore[override]
        with Vertical(id="question-dialog"):
            yield Static(id="question-text")
            yield OptionList(id="question-options")
            yield Static(id="question-keys")
        yield HintFooter(compact=True)

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        question = self.question
        dialog = self.query_one("#question-dialog")
        count = f" ({self.index + 1} of {len(self.questions)})" if len(self.questions) > 1 else ""
        dialog.border_title = f"The model asks: {question.header}{count}"
        self.query_one("#question-text", Static).update(question.question)
        self.ticked = set()
        self._fill()
        self.query_one(OptionList).highlighted = 0
        keys = "↑↓ move · space tick · enter confirm" if question.multiSelect else "↑↓ or 1-9 move · enter choose"
        self.query_one("#question-keys", Static).update(f"{keys} · last row: your own answer · esc declines")
        self.query_one(OptionList).focus()

    def _fill(self) -> None:
        options = self.query_one(OptionList)
        highlighted = options.highlighted or 0
        options.clear_options()
        for n, option in enumerate(self.question.options):
            box = ("[x] " if n in self.ticked else "[ ] ") if self.question.multiSelect else ""
            options.add_option(
                Option(Content.assemble(f"{n + 1}. {box}", (option.label, "bold"), ("  " + option.description, "dim")))
            )
        options.add_option(Option(Content.styled(f"{len(self.question.options) + 1}. Other: type your own answer", "italic"), id=OTHER))
        options.highlighted = min(highlighted, options.option_count - 1)

    def on_key(self, event: Key) -> None:
        if event.character and event.character.isdigit() and not isinstance(self.focused, Input):
            number = int(event.character)
            options = self.query_one(OptionList)
            if 1 <= number <= options.option_count:
                event.stop()
                options.highlighted = number - 1

    def action_tick(self) -> None:
        options = self.query_one(OptionList)
        if not self.question.multiSelect or options.highlighted is None or isinstance(self.focused, Input):
            return
        if options.highlighted < len(self.question.options):
            self.ticked ^= {options.highlighted}
            self._fill()

    @on(OptionList.OptionSelected, "#question-options")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == OTHER:
            self._ask_own_words()
            return
        question = self.question
        if question.multiSelect:
            picked = self.ticked or {event.option_index}
            self._answer(", ".join(question.options[n].label for n in sorted(picked)))
        else:
            self._answer(question.options[event.option_index].label)

    def _ask_own_words(self) -> None:
        box = Input(placeholder="Your answer; Enter sends, Esc goes back to the options", id="question-own")
        self.query_one("#question-dialog").mount(box, before="#question-keys")
        box.focus()

    @on(Input.Submitted, "#question-own")
    async def _own_words(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if text:
            await event.input.remove()
            self._answer(text)

    def _answer(self, answer: str) -> None:
        self.answers[self.question.question] = answer
        if self.index + 1 < len(self.questions):
            self.index += 1
            self._show()
        else:
            self.dismiss(self.answers)

    async def action_decline(self) -> None:
        own = self.query("#question-own")
        if own:  # Esc in the answer box goes back to the options
            await own.remove()
            self.query_one(OptionList).focus()
            return
        self.dismiss(None)
