"""The help screen: every slash command and every key, read from the registry and the bindings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from claw_tui.ui.widgets.footer import HintFooter

if TYPE_CHECKING:
    from claw_tui.ui.commands import CommandRegistry


PROMPT_KEYS = (
    ("Enter", "send the prompt (queued while a turn runs)"),
    ("Shift+Enter, Ctrl+J", "new line"),
    ("Up / Down", "previous / next prompt (at the first / last line)"),
    ("/", "commands, completed as you type"),
    ("@", "attach a file's content (fuzzy, honours .gitignore; a large file is cut, saying so; a folder narrows the menu to what is in it) or an MCP resource (@server:uri)"),
    ("!cmd", "run a shell command yourself; it and its output go to the model with your next prompt"),
    ("Esc, Ctrl+C", "cancel the running turn and its tools; Ctrl+C clears the prompt, twice quits"),
    ("Ctrl+D", "quit, on an empty prompt"),
    ("Click, or Tab + Enter", "open a tool call to see all of it (its first lines show under it)"),
)


KEY_WORDS = {"ctrl": "Ctrl", "shift": "Shift", "alt": "Alt", "escape": "Esc", "tab": "Tab", "enter": "Enter"}


def key_name(key: str) -> str:
    """A binding's key written as the rest of the help writes keys: "ctrl+b" → "Ctrl+B", "f2" → "F2"."""
    return "+".join(KEY_WORDS.get(part, part.upper() if len(part) <= 3 else part.capitalize()) for part in key.split("+"))


def help_markdown(registry: CommandRegistry, bindings: Iterable[BindingType]) -> str:
    lines = ["# claw help", "", "## Commands", "", "| Command | What it does |", "|---|---|"]
    for command in registry.commands.values():
        usage = f"{command.slash} {command.argument_hint}".strip()
        lines.append(f"| `{usage}` | {command.help_with_key} |")
    lines += ["", "## Prompt", "", "| Key | |", "|---|---|"]
    lines += [f"| {key} | {what} |" for key, what in PROMPT_KEYS]
    lines += ["", "## Screen", "", "| Key | |", "|---|---|"]
    for binding in bindings:
        assert isinstance(binding, Binding)
        what = binding.tooltip or binding.description
        # The footer may show one key for a family ("f2-f7"); here each key stands on its own line.
        lines.append(f"| {key_name(binding.key)} | {what} |")
    lines += ["| Ctrl+P | command palette |", "| Ctrl+Q | quit |"]
    from claw_tui.ui.screens.approval import ApprovalScreen

    lines += ["", "## Approving a call", "", "| Key | |", "|---|---|"]
    for binding in ApprovalScreen.BINDINGS:
        assert isinstance(binding, Binding)
        if binding.tooltip:  # letters as typed: a (accept all) is not A (always allow)
            keys = ", ".join(key if len(key) == 1 else key_name(key) for key in binding.key.split(","))
            lines.append(f"| {keys} | {binding.tooltip} |")
    return "\n".join(lines) + "\n"


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 100%; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HelpScreen Markdown { background: transparent; margin: 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,f1", "dismiss", "close")]

    def __init__(self, registry: CommandRegistry, bindings: Iterable[BindingType]) -> None:
        """`bindings`: the keys of the screen the help is about."""
        super().__init__()
        self._text = help_markdown(registry, bindings)

    def compose(self):  # type: ignore[override]
        with VerticalScroll():
            yield Markdown(self._text)
        yield HintFooter()
