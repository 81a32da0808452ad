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
    _shown: tuple[object, ...] | None = None  # what the hints were made from

    def __init__(self, *, compact: bool = False) -> None:
        super().__init__(compact=compact)
        # Hints from the first frame on: Textual's footer waits for the screen's first change of bindings
        # and is blank until then (a blank row as the main screen replaced the boot screen).
        self.set_reactive(Footer._bindings_ready, True)

    async def recompose(self) -> None:
        """The bindings changed (another screen or focus): fit the new hints. Textual says so on every
        change of focus, most of which leave the hints as they were (from the prompt to a pane and
        back, an edit's approval coming up): then the hints stay, not made again (~10 ms each time)."""
        if not self.is_attached:  # its screen closed before the recompose came (Textual's own check, first)
            return
        shown = self._made_from()
        if shown == self._shown and self.children:
            return
        self._shown = shown
        await super().recompose()
        self._fit()

    def _made_from(self) -> tuple[object, ...]:
        """Everything Footer.compose reads: the shown bindings and the palette's (key, action, label,
        group, enabled, tooltip), and the footer's own settings."""
        if not self._bindings_ready:
            return ()
        palette = self.app.COMMAND_PALETTE_BINDING
        bindings = tuple(
            (key, binding.action, binding.description, binding.group, enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == palette
        )
        return (self.compact, self.show_command_palette, bindings)

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
