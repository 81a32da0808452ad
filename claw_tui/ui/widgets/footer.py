"""The key hints at the bottom of a screen, ending on whole hints at any width.

Textual's Footer lays every hint out in one row and lets the row run on under the palette key
docked at its right end, so a narrow terminal showed a hint cut in the middle ("^b pa…"). This
one shows the hints that fit, in the order the screen lists its bindings (the most needed first),
and leaves out the rest whole.
"""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class HintFooter(Footer):
    async def recompose(self) -> None:
        """The bindings changed (another screen or focus): fit the new hints."""
        await super().recompose()
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        keys = list(self.query_children(FooterKey))
        docked = [key for key in keys if key.has_class("-command-palette")]
        room = self.size.width - sum(_width(key) for key in docked)
        for key in docked:
            key.display = room >= 0
        for key in keys:
            if key in docked:
                continue
            width = _width(key)
            key.display = width <= room
            room = room - width if key.display else -1  # a hint left out leaves out those after it too


def _width(key: FooterKey) -> int:
    """Columns the hint takes: its text (with the paddings of its key and description), its own
    padding and border, and its margin."""
    return key.render().cell_len + key.styles.gutter.width + key.styles.margin.width
