"""Textual messages: engine events on the UI's bus, and UI-only messages."""

from __future__ import annotations

from textual.message import Message

from claw_tui.core import events as ev


class EngineEvent(Message):
    """One engine event, posted by the turn worker to the main screen, which routes it to every pane."""

    def __init__(self, event: ev.EngineEvent) -> None:
        super().__init__()
        self.event = event


class TasksChanged(Message):
    """The agent's task graph changed (posted from the graph's listener; safe from any thread)."""
