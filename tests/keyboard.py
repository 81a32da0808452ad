"""Typing text into an app under test the way a quick typist does.

Textual's `pilot.press` waits for the app to go idle twice after every key (40 ms or more each
time), so typing a command line key by key was most of what many UI tests spent. `type_text` sends
the same key events, in order, and waits once at the end: each key still reaches the focused widget
as a key event, as from a terminal. A test about the timing of keys (type-ahead) uses `pilot.press`.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.keys import _character_to_key


async def type_text(pilot: Any, text: str, *then: str) -> None:
    """Each character of `text` as the key event a terminal gives for it, wait for the app to settle,
    then press the keys `then` names (as `pilot.press`: "enter", "tab"…)."""
    app = pilot.app
    for char in text:
        event = events.Key(_character_to_key(char), char)  # as Textual's terminal parser names it
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()
    if then:
        await pilot.press(*then)
