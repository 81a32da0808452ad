"""The screen claw shows while it loads the rest: the main screen's frame and its prompt.

Start-up draws this first, from the few modules it needs, and then loads the session's parts (the
engine, the agent, the panes) behind it. The keys typed meanwhile show in its prompt as they come
and wait for the main screen, which takes them all, in order, as if they had been typed there: an
Enter sends the prompt, Ctrl+C stops, / opens the menu. Nothing typed is lost or done twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from claw_tui.core.home_paths import short_path
from claw_tui.ui.short_terminal import fit_rows
from claw_tui.ui.widgets.footer import HintFooter
from claw_tui.ui.widgets.pane_box import PaneBox
from claw_tui.ui.widgets.prompt import FileIndex, PromptBar, PromptHistory, PromptInput, lf_line_ends
from claw_tui.ui.widgets.status_bar import StatusBar

WIDE_MIN_COLUMNS = 140  # narrower: the conversation alone, the side panes as tabs (Ctrl+B)

# (key in focus_pane, frame id, tab label, focus key)
PANES = (
    ("tools", "pane-tools", "Tools", "f3"),
    ("diff", "pane-diff", "Diff", "f4"),
    ("tasks", "pane-tasks", "Tasks", "f5"),
    ("cost", "pane-cost", "Cost", "f6"),
)

# The main screen's keys; the footer of both screens shows them.
MAIN_KEYS: list[BindingType] = [
    Binding(
        "ctrl+c", "interrupt", "stop/quit", key_display="^c",
        tooltip="Copy the selection; else cancel the running turn or command; else clear the prompt; twice on an empty prompt quits (so does Ctrl+D)",
    ),
    Binding("escape", "escape", "cancel", show=False, tooltip="Cancel the running turn, or go back to the prompt"),
    Binding("f1", "slash('help')", "help", tooltip="Commands and keys"),
    # The footer shows F2 as "f2-f7 focus"; the help screen lists each key on its own.
    Binding("f2", "focus_pane('conversation')", "focus", key_display="f2-f7", tooltip="Focus the conversation"),
    *(
        Binding(key, f"focus_pane('{name}')", label.lower(), show=False, tooltip=f"Focus the {label.lower()} pane")
        for name, _, label, key in PANES
    ),
    Binding("f7", "focus_pane('prompt')", "prompt", show=False, tooltip="Focus the prompt"),
    Binding("ctrl+b", "toggle_side", "panes", tooltip="Show or hide the side panes"),
    Binding("f8", "hide_pane", "hide", tooltip="Hide the focused side pane (its focus key shows it again)"),
    Binding("f11", "zoom", "zoom", tooltip="Zoom the focused pane (again or Esc to restore)"),
    Binding("shift+tab", "cycle_mode", "mode", show=False, tooltip="Cycle permission mode: default, acceptEdits, plan (bypassPermissions asks first)"),
]


class BootScreen(Screen[None]):
    """The main screen's frame with empty panes; its prompt shows what is typed until the main screen
    takes the keys (the app holds them: `echo` is all this screen does with them)."""

    # Never run: the app holds every key while this screen shows. Listed so the footer is the main screen's.
    BINDINGS: ClassVar[list[BindingType]] = MAIN_KEYS
    AUTO_FOCUS = "#prompt"

    def __init__(self, cwd: Path) -> None:
        super().__init__()
        self.cwd = cwd
        self.prompt = PromptInput(history=PromptHistory(None), files=FileIndex(cwd), commands=lambda _typed: [], id="prompt")

    def compose(self):  # type: ignore[override]
        with Horizontal(id="body"):
            conversation = Vertical(id="conversation")
            conversation.border_title = "Conversation · F2"
            yield conversation
            with Vertical(id="side"):
                for _, frame_id, label, key in PANES:
                    # The cost pane's four lines, so the panes above it keep the main screen's heights.
                    yield PaneBox(Static("\n\n\n" if frame_id == "pane-cost" else ""), title=f"{label} · {key.upper()}", id=frame_id)
        yield PromptBar(self.prompt)
        yield StatusBar(id="status")
        yield HintFooter(compact=True)

    def on_mount(self) -> None:
        status = self.query_one(StatusBar)
        status.cwd = short_path(self.cwd)
        status.mode = ""  # not known yet: the main screen shows it
        self.on_resize()

    def on_resize(self) -> None:
        self.set_class(self.app.size.width < WIDE_MIN_COLUMNS, "-narrow")
        fit_rows(self, self.app.size.height)

    async def echo(self, event: events.Key | events.Paste) -> None:
        """Show a held key's effect on the text, as the main screen's prompt will when it takes it."""
        if isinstance(event, events.Paste):
            self.prompt.insert(lf_line_ends(event.text))
        elif event.key == "enter":
            self.prompt.clear()  # the main screen will send it
        elif event.key in ("shift+enter", "ctrl+j"):
            self.prompt.insert("\n")
        elif event.is_printable and event.character:
            self.prompt.insert(event.character)
        else:
            await self.prompt.run_own_binding(event.key)  # Backspace, the arrows, Ctrl+W…
