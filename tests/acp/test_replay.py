"""`session/load`'s replay of a stored conversation (acp/translate.replay), message by message."""

from __future__ import annotations

from pathlib import Path

from claw_tui.acp.translate import replay
from claw_tui.core.transcript import (
    Message,
    TextBlock,
    ToolUseBlock,
    interruption,
    tool_result,
    user_text,
)


def test_a_turn_the_user_stopped_replays_as_a_note_after_what_was_cut():
    """The stored `[Request interrupted by user]` markers are the model's, not the user's words: the editor
    shows a note where each turn was stopped (after the cut call's result), never a user message."""
    call = ToolUseBlock(id="call_1", name="Bash", input={"command": "sleep 60"})
    messages = [
        user_text("talk"),
        Message(role="assistant", content=[TextBlock(text="one two")]),
        interruption(during_tool_use=False),
        user_text("run it"),
        Message(role="assistant", content=[call]),
        Message(role="user", content=[tool_result("call_1", "Cancelled by the user.", is_error=True)]),
        interruption(during_tool_use=True),
    ]
    updates = list(replay(messages, Path("/project"), {}, {}))
    shown = [(u.session_update, getattr(getattr(u, "content", None), "text", None) or getattr(u, "status", None))
             for u in updates]
    note = ("agent_message_chunk", "\n> Interrupted by the user.\n\n")
    assert shown == [
        ("user_message_chunk", "talk"), ("agent_message_chunk", "one two"), note,
        ("user_message_chunk", "run it"), ("tool_call", "pending"), ("tool_call_update", "failed"), note,
    ]
