"""/model: pick a catalog model or one a local server offers; type to filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from claw_tui.providers import catalog
from claw_tui.ui.widgets.footer import HintFooter
from claw_tui.ui.workers import ReportsWorkerFailures


@dataclass(frozen=True)
class ModelChoice:
    id: str  # "anthropic/claude-sonnet-4-5", "local/llama3"
    detail: str  # context window and prices, or the server it came from
    base_url: str | None = None  # the local server that serves it


def _tokens(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def _price(value: float | None) -> str:
    return "?" if value is None else f"${value:g}"


def catalog_choices() -> list[ModelChoice]:
    return [
        ModelChoice(
            info.full_id,
            f"{_tokens(info.context_window)} context · {_price(info.input_price)} in / {_price(info.output_price)} out per Mtok",
        )
        for info in catalog.all_models()
    ]


class ModelPickerScreen(ReportsWorkerFailures, ModalScreen[ModelChoice | None]):
    """Dismisses with the chosen model (a local one with its server's address), or None."""

    DEFAULT_CSS = """
    ModelPickerScreen { align: center middle; }
    ModelPickerScreen > Vertical {
        width: 90; max-width: 100%; height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ModelPickerScreen #model-title { text-style: bold; margin-bottom: 1; }
    ModelPickerScreen #model-filter { margin-bottom: 1; }
    ModelPickerScreen OptionList { height: 1fr; border: none; background: transparent; }
    ModelPickerScreen #model-local { color: $text-muted; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "close"),
        Binding("down", "cursor('down')", show=False),
        Binding("up", "cursor('up')", show=False),
    ]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current
        self.choices = catalog_choices()
        self.local: list[ModelChoice] = []

    def compose(self):  # type: ignore[override]
        with Vertical():
            yield Static(Content.assemble("Model  ", (f"now: {self.current}", "dim")), id="model-title")
            yield Input(placeholder="Filter, or type provider/model and press Enter", id="model-filter")
            yield OptionList(id="model-list")
            yield Static("Looking for local model servers…", id="model-local")
        yield HintFooter()

    def on_mount(self) -> None:
        self._fill("")
        self._discover()

    @work(exclusive=True, group="model-discovery", name="look for local model servers", exit_on_error=False)
    async def _discover(self) -> None:
        servers = await self.app.discover_local()  # type: ignore[attr-defined]
        self.local = [
            ModelChoice(f"local/{model}", f"local server {url}", base_url=url) for url, models in servers for model in models
        ]
        note = f"{len(self.local)} local models found." if self.local else "No local model server found."
        self.query_one("#model-local", Static).update(note)
        self._fill(self.query_one("#model-filter", Input).value)

    def _fill(self, query: str) -> None:
        q = query.lower().strip()
        shown = [c for c in [*self.local, *self.choices] if q in c.id.lower()]
        options = self.query_one("#model-list", OptionList)
        options.clear_options()
        width = max((len(c.id) for c in shown), default=0)  # the details line up in a column
        for choice in shown:
            marker = "● " if choice.id == self.current else "  "
            options.add_option(
                Option(Content.assemble(marker, (choice.id.ljust(width), "bold"), "  ", (choice.detail, "dim")), id=choice.id)
            )
        if q and "/" in q and not any(c.id.lower() == q for c in shown):
            options.add_option(Option(Content.assemble("  use ", (query.strip(), "bold")), id=query.strip()))
        if options.option_count:
            ids = [c.id.lower() for c in shown]
            # A model typed in full is the one Enter picks, not the first id it is part of ("openai/gpt-5"
            # is not "openai/gpt-5.5"); unfiltered, the current model is highlighted, so Enter keeps it.
            wanted = q or self.current.lower()
            options.highlighted = ids.index(wanted) if wanted in ids else 0

    @on(Input.Changed, "#model-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#model-filter")
    def _submit(self) -> None:
        options = self.query_one("#model-list", OptionList)
        if options.highlighted is not None:
            self._choose(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected, "#model-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, model_id: str | None) -> None:
        if model_id:
            known = next((c for c in [*self.local, *self.choices] if c.id == model_id), None)
            self.dismiss(known or ModelChoice(model_id, ""))

    def action_cursor(self, direction: str) -> None:
        options = self.query_one("#model-list", OptionList)
        options.action_cursor_down() if direction == "down" else options.action_cursor_up()
