"""First run: no API key and no local model server — say exactly how to get going."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Markdown

WELCOME = """\
# Welcome to claw

claw needs a model to talk to, and it found neither an API key nor a local model server.

**Anthropic (Claude)** — set your key, then start claw again:

```sh
export ANTHROPIC_API_KEY=sk-ant-…
```

**OpenAI** — set your key and pick a model:

```sh
export OPENAI_API_KEY=sk-…
claw --model openai/gpt-5
```

**A local model** (Ollama, LM Studio, llama.cpp, vLLM) — claw looks on the usual ports
(11434, 1234, 8080, 8000); for any other address:

```sh
export CLAW_LOCAL_BASE_URL=http://127.0.0.1:11434/v1
claw --model local/llama3
```

Keys can also go in the user config (`[providers.anthropic] api_key = "…"`), but the
environment or your OS keyring is safer.
"""


class WelcomeScreen(ModalScreen[bool]):
    """Dismisses with True to continue anyway, False to quit."""

    DEFAULT_CSS = """
    WelcomeScreen { align: center middle; }
    WelcomeScreen > #welcome {
        width: 84; max-width: 100%; height: 100%; max-height: 36;
        border: round $primary; background: $surface; padding: 0 1;
    }
    WelcomeScreen #welcome-text { height: 1fr; }
    WelcomeScreen Markdown { background: transparent; margin: 0; }
    WelcomeScreen #welcome-buttons { height: auto; align: center middle; }
    WelcomeScreen Button { margin: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,c", "continue", "Continue anyway"),
        Binding("q", "quit_app", "Quit"),
    ]

    def compose(self):  # type: ignore[override]
        with Vertical(id="welcome"):
            with VerticalScroll(id="welcome-text"):
                yield Markdown(WELCOME)
            # Outside the scroll, so focusing a button never scrolls the instructions away.
            with Horizontal(id="welcome-buttons"):
                yield Button("Continue anyway", id="continue", variant="primary")
                yield Button("Quit", id="quit", variant="default")

    def on_mount(self) -> None:
        self.query_one("#continue", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "continue")

    def action_continue(self) -> None:
        self.dismiss(True)

    def action_quit_app(self) -> None:
        self.dismiss(False)
