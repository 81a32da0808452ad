"""Snapshots of the conversation pane after a recorded turn (no live model, no clock)."""

from __future__ import annotations

import pytest
from textual.app import App
from ui.recorded_turns import full_turn

from claw_tui.ui.theming import CLAW_VARIABLES, register_themes
from claw_tui.ui.widgets.conversation import Conversation, ToolCallBlock


class ConversationApp(App[None]):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    def compose(self):
        yield Conversation()

    def on_mount(self) -> None:
        register_themes(self)
        self.theme = "claw-dark"


async def _play_turn(pilot) -> None:
    conversation = pilot.app.query_one(Conversation)
    await conversation.add_user("Fix the off-by-one in count_lines, please.")
    for event in full_turn():
        await conversation.handle_event(event)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_streamed_turn(snap_compare, size):
    """You should see the user's prompt, a folded "Thinking… (65 chars)" line, the assistant's
    first sentence, one tool line "✓ Read src/lines.py", then the answer with a highlighted
    Python code block ending in "The tests pass now."."""
    assert snap_compare(ConversationApp(), terminal_size=size, run_before=_play_turn)


def test_expanded_tool_call(snap_compare):
    """You should see the Read call expanded: its JSON input and the file lines it returned."""

    async def expand(pilot) -> None:
        await _play_turn(pilot)
        pilot.app.query_one(ToolCallBlock).collapsed = False
        pilot.app.query_one(Conversation).scroll_home(animate=False)
        await pilot.pause()

    assert snap_compare(ConversationApp(), terminal_size=(80, 24), run_before=expand)
