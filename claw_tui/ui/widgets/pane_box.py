"""A titled frame around one side pane of the main screen; zooms (maximizes) as a whole."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widget import Widget


class PaneBox(Vertical):
    """A titled frame around one secondary pane; zooms (maximizes) as a whole."""

    ALLOW_MAXIMIZE = True

    def __init__(self, pane: Widget, *, title: str, id: str) -> None:
        super().__init__(pane, id=id)
        self.border_title = title
